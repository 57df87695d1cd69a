package broker

import (
	"context"
	"testing"
	"time"
)

func TestCronState(t *testing.T) {
	b, _ := setup(t, Options{})
	cs := b.CronState()
	ctx := context.Background()
	if _, ok, err := cs.LastFired(ctx, "weekly-report"); ok || err != nil {
		t.Fatalf("LastFired on empty state = %v, %v", ok, err)
	}
	t1 := time.Date(2027, 3, 28, 3, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	steps := []struct {
		name string
		set  time.Time
		want time.Time
	}{
		{"first fire recorded", t1, t1},
		{"later fire advances", t1.Add(time.Hour), t1.Add(time.Hour)},
		{"earlier fire never moves it back", t1, t1.Add(time.Hour)},
	}
	for _, s := range steps {
		if err := cs.SetLastFired(ctx, "weekly-report", s.set); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, ok, err := cs.LastFired(ctx, "weekly-report")
		if err != nil || !ok || !got.Equal(s.want) {
			t.Errorf("%s: LastFired = %s, %v, %v; want %s", s.name, got, ok, err, s.want)
		}
	}
	if _, ok, _ := cs.LastFired(ctx, "other-rule"); ok {
		t.Error("state leaked to another rule")
	}
}
