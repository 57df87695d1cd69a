package rules

import (
	"fmt"
	"sync"
	"time"
)

// zoneCache remembers the time zones that expressions named, so that
// loading one (which reads the zone database) happens once per name. Only
// valid names are kept, so it grows no larger than the zone database.
type zoneCache struct {
	m sync.Map // name → *time.Location
}

// load returns the zone called name.
func (z *zoneCache) load(name string) (*time.Location, error) {
	if loc, ok := z.m.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("time zone %q depends on the machine; give a zone such as Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	z.m.Store(name, loc)
	return loc, nil
}
