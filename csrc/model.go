// Package csrc is cgoguard's model of the C side of a cgo package: the cgo
// preambles and the package's .c and .h files, parsed with a real C front end
// (modernc.org/cc/v4), and a summary of every C function that Go code calls:
// does it return memory the caller owns, free or keep a parameter, block its
// thread, or return a pointer into thread-local storage.
//
// Summaries are computed lazily, only for the functions asked about (and what
// they call), so that a large C file in the package does not slow the analysis.
//
// # Translation units
//
// As cmd/cgo builds them: each preamble is a translation unit (after cgo's
// own prolog, with the package's #cgo CFLAGS and CPPFLAGS for linux/amd64),
// each .c file is one, and .h files are reached through #include (the
// package directory and the -I directories are searched; _cgo_export.h is
// stood in for). Positions in a preamble are positions in its Go file.
//
// A unit is cut into top-level chunks by a lightweight scanner; the parser
// is given only the chunks a question needs: the definitions asked about and
// what they call, the declarations that mention their identifiers, every
// typedef and every directive. Bodies already parsed are not parsed again.
// A unit most of which is wanted is parsed whole.
//
// # Failures
//
// Nothing fails: a missing header is replaced by an empty one, an undeclared
// type name (from a missing header) is assumed to be a typedef, a definition
// or declaration the parser rejects is dropped and the rest parsed again.
// Each is recorded (Model.Problems) and a function whose body could not be
// parsed has Func.Partial set.
//
// # Annotations
//
// A comment beside a function's declaration (on the same line, or on the
// lines just before it) adds facts that the C code cannot show:
//
//	/* cgoguard:owned my_free */   the result is owned, released by my_free (default free)
//	/* cgoguard:frees 0 */         the function releases its parameter 0
//	/* cgoguard:keeps 1 */         the function keeps its parameter 1 after it returns
//
// Project-wide facts about library functions come from knowledge.DB.
package csrc

import (
	"fmt"
	"go/token"
	"path/filepath"
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

func (e *Evidence) String() string { return e.From("") }

// From renders the evidence as String does, naming the C file relative to
// dir when it lies below it (dir is usually the reporting Go file's folder).
func (e *Evidence) From(dir string) string {
	if e == nil {
		return ""
	}
	s := e.Note
	if len(e.Via) > 1 {
		s += " (via " + strings.Join(e.Via, " → ") + ")"
	}
	if e.Pos.IsValid() {
		file := e.Pos.Filename
		if dir != "" {
			if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
				file = rel
			}
		}
		s += fmt.Sprintf(" at %s:%d", file, e.Pos.Line)
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
//
// Text must keep the comment's lines as cmd/cgo does (its commentText:
// "//" comments contribute their text and a newline, "/*" comments their
// text between the markers), so that line n of Text is line Pos.Line+n-1 of
// the Go file. (ast.CommentGroup.Text does not: it drops blank lines.)
type Preamble struct {
	GoFile string         // the Go file it belongs to
	Pos    token.Position // position of the preamble's first line in the Go file
	Text   string         // the comment text, with #cgo lines still in it
}
