package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in
// /proc/PID/stat. It is 100 on every mainstream Linux build.
const clockTicks = 100

// proc is a system under test running as a subprocess.
type proc struct {
	name   string // korelay or reference
	cmd    *exec.Cmd
	log    string        // its stdout+stderr
	exited chan struct{} // closed when it exits
	err    error         // its exit status, once exited
}

// startProc runs bin with args in dir, logging to dir/logName.
func startProc(name, bin string, args []string, dir, logName string) (*proc, error) {
	logPath := filepath.Join(dir, logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Die with the harness, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// startKorelay runs `bin run -config cfg`, logging to dir/logName, and
// profiling its CPU into profile when set.
func startKorelay(bin, cfg, dir, logName, profile string) (*proc, error) {
	args := []string{"run", "-config", cfg}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	return startProc(sysKorelay, bin, args, dir, logName)
}

// pid is the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitReady polls ready until it reports true.
func (p *proc) waitReady(ctx context.Context, ready func(context.Context) bool, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for !ready(ctx) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready (%v); log:\n%s", p.name, p.err, p.tail())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %v; log:\n%s", p.name, limit, p.tail())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// readyz is korelay's readiness: http://addr/readyz answers 200.
func readyz(addr string) func(context.Context) bool {
	client := &http.Client{Timeout: time.Second}
	return func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

// fileExists is the reference's readiness: it creates a file once consuming.
func fileExists(path string) func(context.Context) bool {
	return func(context.Context) bool {
		_, err := os.Stat(path)
		return err == nil
	}
}

// stop sends SIGTERM and waits up to drain (plus a little slack) for the
// exit; past that it kills the process and says so.
func (p *proc) stop(drain time.Duration) (exit string, took time.Duration, ok bool) {
	start := time.Now()
	select {
	case <-p.exited:
		return fmt.Sprintf("had already exited (%v)", p.err), 0, false
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		took = time.Since(start)
		if p.err != nil {
			return fmt.Sprintf("exited with %v", p.err), took, false
		}
		return "clean", took, true
	case <-time.After(drain + 2*time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Sprintf("did not exit within its %v drain timeout; killed", drain), time.Since(start), false
	}
}

// kill ends the process at once (error paths, -kill).
func (p *proc) kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tail returns the end of the process's log.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cpuTime is utime+stime of the process, from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is the first; utime and stime are the 12th and 13th.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// memKiB reads a "…:  N kB" line (VmHWM, VmRSS, RssFile) of /proc/PID/status.
func memKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
