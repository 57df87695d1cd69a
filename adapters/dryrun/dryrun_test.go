package dryrun_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/kore"
)

var (
	_ delivery.Notifier      = (*dryrun.Notifier)(nil)
	_ delivery.StatusChecker = (*dryrun.Notifier)(nil)
)

func TestNotifyPrintsOneJSONLine(t *testing.T) {
	var out bytes.Buffer
	d := dryrun.New(&out)
	req := kore.NotifyRequest{
		Channel:    kore.ChannelSlack,
		Message:    kore.Message{Type: kore.MessageText, Val: "Hi <Ann> & co"},
		Identities: []string{"ann@example.com", "bob@example.com"},
	}
	job, err := d.Notify(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != "dryrun-1" || job.Status != kore.JobSuccess || !job.Done() {
		t.Errorf("job = %+v, want dryrun-1 SUCCESS", job)
	}
	want := `{"endpoint":"notify","channel":"slack","message":{"type":"text","val":"Hi <Ann> & co"},"identities":["ann@example.com","bob@example.com"]}` + "\n"
	if got := out.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
	job, err = d.Notify(t.Context(), req)
	if err != nil || job.ID != "dryrun-2" {
		t.Errorf("second job = %v, %v; want dryrun-2", job, err)
	}
}

func TestNotifyStatus(t *testing.T) {
	var out bytes.Buffer
	d := dryrun.New(&out)
	job, err := d.NotifyStatus(t.Context(), "dryrun-7")
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != "dryrun-7" || job.Status != kore.JobSuccess {
		t.Errorf("job = %+v", job)
	}
	if got, want := out.String(), `{"endpoint":"notify_status","job_id":"dryrun-7"}`+"\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

func TestNotifyRefusesInvalidRequests(t *testing.T) {
	valid := kore.NotifyRequest{Channel: "msteams", Message: kore.Message{Type: "script", Val: "print('x')"}, Identities: []string{"a"}}
	tests := []struct {
		name   string
		modify func(*kore.NotifyRequest)
	}{
		{"unknown channel", func(r *kore.NotifyRequest) { r.Channel = "email" }},
		{"unknown type", func(r *kore.NotifyRequest) { r.Message.Type = "html" }},
		{"empty message", func(r *kore.NotifyRequest) { r.Message.Val = "" }},
		{"no identities", func(r *kore.NotifyRequest) { r.Identities = nil }},
		{"too many identities", func(r *kore.NotifyRequest) { r.Identities = make([]string, kore.MaxIdentities+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			req := valid
			tt.modify(&req)
			_, err := dryrun.New(&out).Notify(t.Context(), req)
			if !errors.Is(err, kore.ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
			if out.Len() != 0 {
				t.Errorf("printed %q for an invalid request", out.String())
			}
		})
	}
}

func TestNotifyHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := kore.NotifyRequest{Channel: "slack", Message: kore.Message{Type: "text", Val: "x"}, Identities: []string{"a"}}
	if _, err := dryrun.New(new(bytes.Buffer)).Notify(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestConcurrentCallsWriteWholeLines(t *testing.T) {
	var out bytes.Buffer
	d := dryrun.New(&out)
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := kore.NotifyRequest{Channel: "slack", Message: kore.Message{Type: "text", Val: strings.Repeat("x", 1000)},
				Identities: []string{fmt.Sprint("user", i)}}
			if _, err := d.Notify(t.Context(), req); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct{ Identities []string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		ids[line.Identities[0]] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct lines, want %d", len(ids), n)
	}
}
