package broker_test

import (
	"testing"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/triggers"
)

// The ingest stream must capture what the triggers publish.
func TestSubjectsMatchTriggers(t *testing.T) {
	if got := triggers.WebhookSubject(">"); got != broker.WebhookSubjects {
		t.Errorf("triggers publish webhooks on %q, broker captures %q", got, broker.WebhookSubjects)
	}
	if got := triggers.CronSubject(">"); got != broker.CronSubjects {
		t.Errorf("triggers publish cron fires on %q, broker captures %q", got, broker.CronSubjects)
	}
}
