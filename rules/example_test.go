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
