package broker

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A port another process listens on fails at once, naming the address,
// instead of after the readiness timeout.
func TestStartEmbeddedPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	start := time.Now()
	s, err := StartEmbedded(EmbeddedOptions{Port: port, StoreDir: t.TempDir()})
	if err == nil {
		s.Shutdown()
		t.Fatal("started on a taken port")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s to fail", took)
	}
	if want := "127.0.0.1:" + strconv.Itoa(port); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

// Port 0, like -1, picks a free port (not NATS's default 4222).
func TestStartEmbeddedPortZero(t *testing.T) {
	for _, port := range []int{0, -1} {
		s, err := StartEmbedded(EmbeddedOptions{Port: port, StoreDir: t.TempDir()})
		if err != nil {
			t.Fatalf("port %d: %v", port, err)
		}
		addr := s.Addr().(*net.TCPAddr)
		s.Shutdown()
		s.WaitForShutdown()
		if addr.Port == 0 || addr.Port == 4222 {
			t.Errorf("port %d: listened on %d, want a free port", port, addr.Port)
		}
	}
}
