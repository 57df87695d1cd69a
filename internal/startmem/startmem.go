// Package startmem releases the pages of the running executable that only
// start-up needed. Starting korelay runs the initialisation of every
// package it links (the embedded NATS server's among them, even when an
// external server is used) and touches code and read-only data that are
// never run again; the kernel keeps those pages mapped, counted in the
// process's resident set (and, under cgroup v2, in its memory use), until
// memory runs short. Release asks the kernel to reclaim them now; a page
// needed again later is read back in by an ordinary page fault.
package startmem

// Released is what a Release did.
type Released struct {
	// Mappings is how many read-only mappings of the executable were
	// released.
	Mappings int
	// Before and After are the process's resident file-backed bytes
	// (RssFile, mostly the executable) around the release.
	Before, After int64
}
