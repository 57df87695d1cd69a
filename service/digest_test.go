package service

import (
	"fmt"
	"testing"

	"github.com/korelay/korelay/rules"
)

func TestDigestEntriesGroupByChannelAndIdentity(t *testing.T) {
	item := func(event, channel string, ids ...string) heldItem {
		return heldItem{Notification: rules.Notification{EventID: event, Channel: channel, Identities: ids}}
	}
	tests := []struct {
		name  string
		items []heldItem
		want  string
	}{
		{"one identity, three events", []heldItem{item("e1", "slack", "ann"), item("e2", "slack", "ann"), item("e3", "slack", "ann")},
			"[slack ann: e1 e2 e3]"},
		{"identities in first-seen order", []heldItem{item("e1", "slack", "bob", "ann"), item("e2", "slack", "ann")},
			"[slack bob: e1] [slack ann: e1 e2]"},
		{"channels apart", []heldItem{item("e1", "slack", "ann"), item("e2", "msteams", "ann")},
			"[slack ann: e1] [msteams ann: e2]"},
		{"nothing", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			for i, e := range digestEntries(tt.items) {
				if i > 0 {
					got += " "
				}
				got += fmt.Sprintf("[%s %s:", e.channel, e.identity)
				for _, h := range e.items {
					got += " " + h.Notification.EventID
				}
				got += "]"
			}
			if got != tt.want {
				t.Errorf("digestEntries = %s, want %s", got, tt.want)
			}
		})
	}
}
