package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configures the in-process NATS server korelay starts when
// no nats.url is configured.
type EmbeddedOptions struct {
	// Host is the address to listen on; empty means 127.0.0.1.
	Host string
	// Port is the client port; 0 or -1 picks a free port.
	Port int
	// StoreDir is where JetStream keeps its data (korelay's data_dir). Required.
	StoreDir string
	// ServerName names the server; empty means "korelay".
	ServerName string
	// Logger, when set, receives the server's own log lines: notices at
	// debug level, warnings and errors at their levels. Nil keeps the server
	// silent.
	Logger *slog.Logger
}

// embeddedReadyTimeout bounds how long StartEmbedded waits for the server to
// accept connections.
const embeddedReadyTimeout = 10 * time.Second

// StartEmbedded starts an in-process NATS server with JetStream enabled and
// waits until it accepts connections. A port already taken fails at once,
// naming the address. The caller shuts the server down with Shutdown (and
// WaitForShutdown); ClientURL gives the address to connect to.
func StartEmbedded(opts EmbeddedOptions) (*server.Server, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("embedded nats: store dir is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.ServerName == "" {
		opts.ServerName = "korelay"
	}
	if opts.Port <= 0 {
		opts.Port = server.RANDOM_PORT
	} else if err := checkPortFree(opts.Host, opts.Port); err != nil {
		return nil, err
	}
	s, err := server.NewServer(&server.Options{
		ServerName: opts.ServerName,
		Host:       opts.Host,
		Port:       opts.Port,
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoLog:      opts.Logger == nil,
		NoSigs:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if opts.Logger != nil {
		s.SetLoggerV2(serverLogger{opts.Logger}, false, false, false)
	}
	s.Start()
	if !s.ReadyForConnections(embeddedReadyTimeout) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats on %s:%d: not ready after %s (port in use or store dir %s unusable?)",
			opts.Host, opts.Port, embeddedReadyTimeout, opts.StoreDir)
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: jetstream did not start (store dir %s)", opts.StoreDir)
	}
	return s, nil
}

// checkPortFree reports a port another process listens on, so that a taken
// port fails at once instead of after the readiness timeout: the server
// only logs its failure to listen.
func checkPortFree(host string, port int) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("embedded nats: cannot listen on %s (port %d taken by another korelay or NATS server?): %w", addr, port, err)
	}
	if err := ln.Close(); err != nil {
		return fmt.Errorf("embedded nats: check %s: %w", addr, err)
	}
	return nil
}

// serverLogger adapts slog to nats-server's Logger interface.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) log(level slog.Level, format string, v []any) {
	s.l.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats-server")
}

// Noticef logs a server notice at debug level.
func (s serverLogger) Noticef(format string, v ...any) { s.log(slog.LevelDebug, format, v) }

// Warnf logs a server warning.
func (s serverLogger) Warnf(format string, v ...any) { s.log(slog.LevelWarn, format, v) }

// Fatalf logs a fatal server error.
func (s serverLogger) Fatalf(format string, v ...any) { s.log(slog.LevelError, format, v) }

// Errorf logs a server error.
func (s serverLogger) Errorf(format string, v ...any) { s.log(slog.LevelError, format, v) }

// Debugf logs a server debug line.
func (s serverLogger) Debugf(format string, v ...any) { s.log(slog.LevelDebug, format, v) }

// Tracef drops protocol traces.
func (s serverLogger) Tracef(string, ...any) {}
