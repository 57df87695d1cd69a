// Package jsack reads the acknowledgement JetStream sends for a publish
// made with a reply subject of the publisher's own (rather than through
// nats.go's jetstream package), for the writers that match
// acknowledgements themselves.
package jsack

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Error reads a JetStream publish acknowledgement: nil when the message
// was stored, nats.ErrNoResponders when nothing listens on its subject,
// else the server's error.
func Error(m *nats.Msg) error {
	if m.Header.Get("Status") == "503" {
		return nats.ErrNoResponders
	}
	if !bytes.Contains(m.Data, []byte(`"error"`)) {
		return nil
	}
	var a struct {
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &a); err != nil || a.Error == nil {
		return fmt.Errorf("unreadable acknowledgement %q", m.Data)
	}
	return fmt.Errorf("jetstream: %s (code %d, error %d)", a.Error.Description, a.Error.Code, a.Error.ErrCode)
}
