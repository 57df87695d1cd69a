package startmem

import "testing"

func TestReadOnlyMapping(t *testing.T) {
	const exe = "/usr/bin/korelay"
	tests := []struct {
		line       string
		start, end uintptr
		ok         bool
	}{
		{"00400000-00c6e000 r-xp 00000000 fd:01 1234 /usr/bin/korelay", 0x400000, 0xc6e000, true},
		{"00c6e000-01b5d000 r--p 0086e000 fd:01 1234 /usr/bin/korelay", 0xc6e000, 0x1b5d000, true},
		{"01b5d000-01bbe000 rw-p 0175d000 fd:01 1234 /usr/bin/korelay", 0, 0, false}, // writable data
		{"c000000000-c000400000 rw-p 00000000 00:00 0", 0, 0, false},                 // heap
		{"7f0000000000-7f0000021000 r-xp 00000000 fd:01 99 /usr/lib/libc.so.6", 0, 0, false},
		{"00400000-00c6e000 ---p 00000000 fd:01 1234 /usr/bin/korelay", 0, 0, false}, // no access
		{"garbage", 0, 0, false},
		{"00c6e000-00400000 r--p 0 fd:01 1234 /usr/bin/korelay", 0, 0, false}, // end before start
	}
	for _, tt := range tests {
		start, end, ok := readOnlyMapping(tt.line, exe)
		if ok != tt.ok || start != tt.start || end != tt.end {
			t.Errorf("readOnlyMapping(%q) = %#x, %#x, %v; want %#x, %#x, %v", tt.line, start, end, ok, tt.start, tt.end, tt.ok)
		}
	}
}

// TestReleaseDropsExecutablePages: after Release the test binary keeps
// fewer of its own pages resident than before, and still runs.
func TestReleaseDropsExecutablePages(t *testing.T) {
	r, err := Release()
	if err != nil {
		t.Skipf("this kernel cannot release pages: %v", err)
	}
	if r.Mappings == 0 {
		t.Fatal("no read-only mapping of the executable found")
	}
	if r.Before == 0 || r.After >= r.Before {
		t.Errorf("resident executable %d bytes before, %d after: want fewer after", r.Before, r.After)
	}
}
