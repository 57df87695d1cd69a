package webhook

import (
	"strings"
	"testing"
)

// A reload serves the new set of hooks; an invalid one is refused whole
// and the old hooks stay in service.
func TestUpdate(t *testing.T) {
	f := newFixture(t)
	status := func(name string) int { return f.do(post("/hooks/"+name, `{}`)).Code }
	if err := f.h.Update([]Hook{{Name: "billing", Auth: Auth{Type: AuthNone}}}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := status("billing"); got != 202 {
		t.Errorf("new hook answers %d, want 202", got)
	}
	if got := status("open"); got != 404 {
		t.Errorf("removed hook answers %d, want 404", got)
	}
	err := f.h.Update([]Hook{{Name: "shop", Auth: Auth{Type: AuthNone}}, {Name: "bad.name", Auth: Auth{Type: AuthNone}}})
	if err == nil || !strings.Contains(err.Error(), `webhook "bad.name"`) {
		t.Fatalf("Update with an invalid hook = %v, want an error naming it", err)
	}
	if got := status("billing"); got != 202 {
		t.Errorf("after a refused update the old hook answers %d, want 202", got)
	}
	if got := status("shop"); got != 404 {
		t.Errorf("a hook of a refused update answers %d, want 404", got)
	}
}
