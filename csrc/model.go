// Package csrc is cgoguard's model of the C side of a cgo package: the cgo
// preambles and the package's .c and .h files, parsed with a real C front end
// (modernc.org/cc/v4), and a summary of every C function that Go code calls:
// does it return memory the caller owns, free or keep a parameter, block its
// thread, or return a pointer into thread-local storage.
//
// Summaries are computed lazily, only for the functions asked about (and what
// they call), so that a large C file in the package does not slow the analysis.
package csrc

import (
	"fmt"
	"go/token"
	"strings"
)

// Evidence is the path of facts that proves a summary: the chain of calls from
// the summarised function to the primitive fact (e.g. get_message → malloc),
// and where the primitive fact is.
type Evidence struct {
	Via  []string       // call chain, first element the summarised function
	Pos  token.Position // position of the primitive fact in the C source
	Note string         // e.g. "returns the result of malloc", "stores p in global cache"
}

func (e *Evidence) String() string {
	if e == nil {
		return ""
	}
	s := e.Note
	if len(e.Via) > 1 {
		s += " (via " + strings.Join(e.Via, " → ") + ")"
	}
	if e.Pos.IsValid() {
		s += fmt.Sprintf(" at %s:%d", e.Pos.Filename, e.Pos.Line)
	}
	return s
}

// Func summarises one C function.
type Func struct {
	Name    string
	Pos     token.Position // definition, or declaration when there is no body
	Defined bool           // a body was seen
	Params  []string       // parameter names, "" where unnamed

	// ReturnsOwned is set when the result is heap memory the caller must free:
	// the body returns an allocator's result (directly, through a local, or
	// through another summarised function), or the declaration carries
	// __attribute__((malloc)), or a cgoguard annotation says so.
	ReturnsOwned *Evidence
	// Dealloc names the function that releases ReturnsOwned memory ("free" unless known otherwise).
	Dealloc string
	// FreesParam maps a parameter index to the proof that the body releases it.
	FreesParam map[int]*Evidence
	// StoresParam maps a parameter index to the proof that the body keeps it
	// beyond the call: stored in static or global storage, in memory reachable
	// from another parameter, or handed to pthread_create or a registration.
	StoresParam map[int]*Evidence
	// StoresInto says, for each StoresParam index, where the parameter is
	// kept: -1 for storage that outlives the call (global or static,
	// thread-local, another thread, an object stored or returned), or the
	// index of the parameter whose memory receives it (q->field = p).
	StoresInto map[int]int
	// MayBlock is set when the body, transitively, calls a function that may
	// block its OS thread (knowledge.DB.Blocking).
	MayBlock *Evidence
	// ReturnsThreadLocal is set when the result points into __thread /
	// _Thread_local storage (or a knowledge.DB thread-local function's result).
	ReturnsThreadLocal *Evidence

	// Partial is non-empty when the summary may miss facts, and says why:
	// the body (or a callee's) could not be parsed. Facts that are set hold.
	Partial string
}

// Preamble is the C text of one Go file's cgo preamble.
type Preamble struct {
	GoFile string         // the Go file it belongs to
	Pos    token.Position // position of the preamble's first line in the Go file
	Text   string         // the comment text, with #cgo lines still in it
}
