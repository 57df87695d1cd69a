package rules_test

import (
	"fmt"
	"time"

	"github.com/korelay/korelay/rules"
)

func ExampleSet_Evaluate() {
	set, err := rules.Load([]string{"testdata/example/orders.yaml"}, rules.Env{
		Webhooks: map[string]bool{"orders": true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	payload, _ := rules.DecodeJSON([]byte(`{"id": 1234567890123456789, "status": "shipped",
		"customer": {"name": "Ann", "email": "ann@example.com"}}`))
	res := set.Evaluate(&rules.Event{ID: "orders-1", Source: rules.SourceWebhook, Trigger: "orders", Payload: payload})
	for _, n := range res.Notifications {
		fmt.Println(n.Rule, n.Channel, n.Identities, n.DedupKey, n.DedupFor)
		fmt.Println(n.Message)
	}
	// Output:
	// order-shipped slack [ann@example.com] 1234567890123456789 24h0m0s
	// Hi Ann, order 1234567890123456789 has shipped.
}

func ExampleLoad() {
	_, err := rules.Load([]string{"testdata/example/typos.yaml"}, rules.Env{
		Webhooks: map[string]bool{"orders": true},
	})
	fmt.Println(err)
	// Output:
	// testdata/example/typos.yaml:4:16: on.webhook: unknown webhook "order" (configured webhooks: orders)
	// testdata/example/typos.yaml:5:5: rule: unknown key "wehn" (did you mean "when"?)
	// testdata/example/typos.yaml:9:20: notify.text: unknown name .evnt (templates see .event, .meta, .item, .data and .now) (did you mean "event"?)
}

func ExampleCronEvent() {
	scheduled := time.Date(2027, 3, 8, 9, 0, 0, 0, time.UTC)
	ev := rules.CronEvent("expense-reminder", scheduled, scheduled.Add(2*time.Second))
	fmt.Println(ev.ID, ev.Source, ev.Trigger, ev.Payload)
	// Output:
	// cron:expense-reminder:1804496400 cron expense-reminder map[fired:2027-03-08T09:00:02Z rule:expense-reminder scheduled:2027-03-08T09:00:00Z]
}

// Template helpers format money, dates and lists, and fill in missing
// values; docs/rules.md lists them all.
func ExampleSet_Evaluate_helpers() {
	set, err := rules.Load([]string{"testdata/example/helpers.yaml"}, rules.Env{
		Webhooks: map[string]bool{"billing": true},
		Now:      func() time.Time { return time.Date(2027, 3, 7, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	payload, _ := rules.DecodeJSON([]byte(`{"id": 98765432109876543210, "amount": 1234.5, "currency": "eur",
		"due": "2027-03-17", "created": 1804291200, "items": ["hosting", 2, true], "tax_rate": 19,
		"customer": {"email": "ann@example.com"}}`))
	res := set.Evaluate(&rules.Event{ID: "b-1", Source: rules.SourceWebhook, Trigger: "billing", Payload: payload})
	for _, n := range res.Notifications {
		fmt.Println(n.Message)
	}
	for _, f := range res.Failures {
		fmt.Println(f.Reason, f.Err)
	}
	// Output:
	// Hi there, invoice 98765432109876543210 for 1,234.50 EUR (1.234,50) is due on 17 Mar 2027 (10 days); created 2027-03-06. Items: hosting, 2, true. Tax: 19.0%. Region: none.
}
