package service

import (
	"slices"
	"testing"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/rules"
)

// The rules refuse NATS subjects that reach korelay's own: the list they
// check must name every subject space korelay publishes on.
func TestRulesReserveKorelaysSubjects(t *testing.T) {
	for _, own := range []string{broker.WebhookSubjects, broker.CronSubjects, broker.ReplaySubjectPrefix + ">", broker.DLQSubjectPrefix + ">",
		broker.HeldSubjects, journal.SubjectPrefix + ">"} {
		if !slices.Contains(rules.ReservedSubjects, own) {
			t.Errorf("rules.ReservedSubjects lacks %s", own)
		}
	}
}
