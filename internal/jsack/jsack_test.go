package jsack

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestError(t *testing.T) {
	noResponders := nats.NewMsg("_INBOX.x")
	noResponders.Header.Set("Status", "503")
	tests := []struct {
		name string
		msg  *nats.Msg
		want string // "" means stored
	}{
		{"stored", &nats.Msg{Data: []byte(`{"stream":"KV_L","seq":7}`)}, ""},
		{"stored, duplicate", &nats.Msg{Data: []byte(`{"stream":"KV_L","seq":7,"duplicate":true}`)}, ""},
		{"no responders", noResponders, nats.ErrNoResponders.Error()},
		{"refused", &nats.Msg{Data: []byte(`{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`)},
			"jetstream: maximum messages exceeded (code 503, error 10077)"},
		{"unreadable", &nats.Msg{Data: []byte(`{"error":`)}, `unreadable acknowledgement "{\"error\":"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Error(tt.msg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Error = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Error = %v, want %q", err, tt.want)
			}
			if tt.name == "no responders" && !errors.Is(err, nats.ErrNoResponders) {
				t.Errorf("no responders: %v is not nats.ErrNoResponders", err)
			}
		})
	}
}
