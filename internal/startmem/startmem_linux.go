package startmem

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// madvPageout is MADV_PAGEOUT (Linux 5.4): reclaim the pages of a range
// now. Clean file pages are dropped, to be read back on their next use.
const madvPageout = 21

// Release reclaims every read-only, file-backed mapping of the running
// executable (its code and constant data; never its writable data). On a
// kernel without MADV_PAGEOUT it returns an error and changes nothing.
func Release() (Released, error) {
	var r Released
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return r, fmt.Errorf("release start-up pages: %w", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return r, fmt.Errorf("release start-up pages: %w", err)
	}
	r.Before = rssFile()
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		start, end, ok := readOnlyMapping(sc.Text(), exe)
		if !ok {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvPageout); errno != 0 {
			return r, fmt.Errorf("release start-up pages: madvise: %w", errno)
		}
		r.Mappings++
	}
	r.After = rssFile()
	return r, nil
}

// readOnlyMapping parses a /proc/self/maps line and reports the range of
// a read-only mapping of file exe.
func readOnlyMapping(line, exe string) (start, end uintptr, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[5] != exe || len(fields[1]) < 2 || fields[1][0] != 'r' || fields[1][1] != '-' {
		return 0, 0, false
	}
	from, to, found := strings.Cut(fields[0], "-")
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(from, 16, 64)
	e, err2 := strconv.ParseUint(to, 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}

// rssFile is the process's RssFile in bytes (0 when unreadable).
func rssFile() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
