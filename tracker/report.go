package tracker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Kinds of finding.
const (
	KindLeak           = "leak"
	KindDoubleFree     = "double-free"
	KindInvalidFree    = "invalid-free"
	KindWriteAfterFree = "write-after-free"
)

// Stack is a symbolized allocation or free stack.
type Stack struct {
	// Go is the goroutine's stack, innermost first, without the runtime and
	// cgo-generated frames.
	Go []Frame `json:"go"`
	// Via names the C entry point the Go code called (C.CString, C.free,
	// C.make_buffer), from the cgo-generated frame.
	Via string `json:"via,omitempty"`
	// C is the C code that called the allocator or free (a hint: C frames
	// above it are not walked).
	C         *Frame `json:"c_caller,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	Callback  bool   `json:"callback,omitempty"` // passed through a C->Go callback
}

// Site returns the innermost user Go frame, the line the report names.
func (s *Stack) Site() Frame {
	if s == nil || len(s.Go) == 0 {
		return Frame{Func: "?"}
	}
	return s.Go[0]
}

// Finding is one leak site (possibly many blocks) or one bad free.
type Finding struct {
	Kind   string `json:"kind"`
	Site   string `json:"site"` // file:line of the innermost user Go frame
	Blocks int    `json:"blocks,omitempty"`
	Bytes  uint64 `json:"bytes"`
	Ptr    uint64 `json:"ptr,omitempty"`
	// Offset is the first modified byte of a block written after free.
	Offset int64 `json:"offset,omitempty"`
	// Count is how many times a bad free or write after free happened
	// with these same stacks (the first one's address and size are kept).
	Count      int    `json:"count,omitempty"`
	Alloc      *Stack `json:"alloc,omitempty"`
	Free       *Stack `json:"free,omitempty"`
	SecondFree *Stack `json:"second_free,omitempty"` // the bad free (double or invalid)
}

// Stats counts what the tracker saw.
type Stats struct {
	Allocs     uint64 `json:"allocs"`
	Frees      uint64 `json:"frees"`
	AllocBytes uint64 `json:"alloc_bytes"`
	FreeBytes  uint64 `json:"free_bytes"`
	LiveGo     int    `json:"live_from_go"` // blocks live at exit allocated by Go's C calls
	LiveOther  int    `json:"live_other"`   // blocks live at exit allocated outside cgo calls (C threads, start-up)
}

// Report is the tracker's result for one process.
type Report struct {
	Program    string    `json:"program"`
	PID        int       `json:"pid"`
	Child      bool      `json:"child,omitempty"` // a subprocess running the same binary
	Findings   []Finding `json:"findings"`
	Suppressed int       `json:"suppressed,omitempty"`
	Stats      Stats     `json:"stats"`
	Warnings   []string  `json:"warnings,omitempty"`
	// SampleRate is Options.SampleRate of the run: when positive, the
	// findings and Stats cover only the sampled blocks.
	SampleRate uint64 `json:"sample_rate,omitempty"`
}

// DefaultSuppressions cover allocations the C library and the dynamic
// loader keep on purpose for the life of the process: the standard
// library's cgo resolver and user database (by Go function), and the
// loader's own bookkeeping such as a new thread's TLS vector (by C caller).
var DefaultSuppressions = []string{
	"leak:net.",
	"leak:os/user.",
	"leak:(ld-linux-x86-64.so.2)",
	// glibc's node for a C++ thread_local destructor, freed when the
	// thread exits, which the threads of a process that ends never do.
	"leak:__cxa_thread_atexit_impl",
	// glibc's per-thread message of the last failed dlopen/dlsym, kept
	// until the thread's next dl call or its exit. Named only when libc's
	// debug symbols are installed (libc6-dbg); otherwise the caller is
	// "?? (libc.so.6)", which no default may match.
	"leak:_dlerror_run",
}

// LoadSuppressions reads a suppression file: one pattern per line,
// optionally prefixed by a kind ("leak:", "double-free:", "invalid-free:",
// "write-after-free:"); '#' starts a comment. A pattern matches a finding
// when it is a prefix of a function name, a "(library.so)" that the C
// caller lies in, or a substring of a "file:line", in any frame of the
// finding's stacks.
func LoadSuppressions(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if i := strings.Index(l, "#"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if l == "" {
			continue
		}
		if err := checkSuppression(l); err != nil {
			// A pattern that means something else than its author thinks
			// would hide findings silently: refuse the file.
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// kindPrefix matches what can only be meant as a kind prefix ("leak:");
// a file:line pattern has a dot or a slash before its colon.
var kindPrefix = regexp.MustCompile(`^[a-z][a-z-]*:`)

// checkSuppression rejects a pattern with an unknown kind, and an empty
// pattern after a kind, which would match every finding of that kind.
func checkSuppression(l string) error {
	m := kindPrefix.FindString(l)
	if m == "" {
		return nil
	}
	kind := strings.TrimSuffix(m, ":")
	switch kind {
	case KindLeak, KindDoubleFree, KindInvalidFree, KindWriteAfterFree:
	default:
		return fmt.Errorf("unknown kind %q (want leak, double-free, invalid-free or write-after-free)", kind)
	}
	if strings.TrimSpace(l[len(m):]) == "" {
		return fmt.Errorf("%q has no pattern after the kind: it would suppress every %s", l, kind)
	}
	return nil
}

func suppressed(f *Finding, pats []string) bool {
	for _, p := range pats {
		kind := ""
		for _, k := range []string{KindLeak, KindDoubleFree, KindInvalidFree, KindWriteAfterFree} {
			if strings.HasPrefix(p, k+":") {
				kind, p = k, p[len(k)+1:]
			}
		}
		if kind != "" && kind != f.Kind {
			continue
		}
		for _, s := range []*Stack{f.Alloc, f.Free, f.SecondFree} {
			if s == nil {
				continue
			}
			frames := s.Go
			if s.C != nil {
				frames = append(append([]Frame{}, frames...), *s.C)
			}
			for _, fr := range frames {
				if frameMatches(fr, p) {
					return true
				}
			}
		}
	}
	return false
}

// frameMatches reports whether suppression pattern p matches frame f: a
// prefix of its function name, a "(library)" in its name, or a substring
// of its file:line.
func frameMatches(f Frame, p string) bool {
	switch {
	case strings.HasPrefix(f.Func, p):
		return true
	case strings.HasPrefix(p, "(") && strings.Contains(f.Func, p):
		return true
	case f.File != "" && strings.Contains(f.Pos(), p):
		return true
	}
	return false
}

// builder turns raw records into findings.
type builder struct {
	sym  *Symbolizer
	rec  *records
	libs libSymbolizer
	memo map[uint32]*Stack
}

func (b *builder) stack(id uint32, cpc uint64) *Stack {
	if id == 0 {
		if cpc == 0 {
			return nil
		}
		st := &Stack{}
		st.C = b.cFrame(cpc)
		return st
	}
	if s, ok := b.memo[id]; ok {
		return s
	}
	raw := b.rec.stack(id)
	if raw == nil || len(raw.PCs) == 0 {
		b.memo[id] = nil
		return nil
	}
	st := &Stack{Truncated: raw.Flags&sfTrunc != 0, Callback: raw.Flags&sfCallback != 0}
	if c := b.cFrame(raw.PCs[0]); c != nil && !isPlumbing(*c) {
		st.C = c // C.malloc and C.free called from Go directly have no C caller worth naming
	}
	for _, pc := range raw.PCs[1:] {
		for _, fr := range b.sym.Frames(pc - b.rec.Bias) {
			if isPlumbing(fr) {
				if st.Via == "" && len(st.Go) == 0 {
					st.Via = viaName(fr.Func)
				}
				continue
			}
			// cgo wraps calls that pass Go pointers in a closure
			// (main.f.func1) inlined at the same line: one frame is
			// enough.
			if k := len(st.Go) - 1; k >= 0 && st.Go[k].Inlined && st.Go[k].Pos() == fr.Pos() && strings.HasPrefix(st.Go[k].Func, fr.Func+".func") {
				st.Go[k] = fr
				continue
			}
			st.Go = append(st.Go, fr)
		}
	}
	// The test runner's frames below a test function say nothing.
	for len(st.Go) > 1 && strings.HasPrefix(st.Go[len(st.Go)-1].Func, "testing.") {
		st.Go = st.Go[:len(st.Go)-1]
	}
	b.memo[id] = st
	return st
}

// cFrame symbolizes the C return address of a hook; addresses outside the
// binary (shared libraries) keep only the address.
func (b *builder) cFrame(pc uint64) *Frame {
	if pc == 0 {
		return nil
	}
	if f := b.libs.frame(pc); f != nil {
		return f
	}
	fr := b.sym.Frames(pc - b.rec.Bias)
	if len(fr) == 0 || strings.HasPrefix(fr[0].Func, "?? ") {
		return &Frame{Func: "?? (outside the binary)", PC: pc}
	}
	f := fr[0]
	f.PC = pc
	return &f
}

// viaName turns a cgo-generated function name into the C name Go code used.
func viaName(fn string) string {
	for _, p := range []string{"._Cfunc_", "._C2func_"} {
		if i := strings.Index(fn, p); i >= 0 {
			n := fn[i+len(p):]
			switch n {
			case "CString", "CBytes", "GoString", "GoStringN", "GoBytes":
				return "C." + n
			case "_CMalloc":
				return "C.malloc"
			}
			return "C." + n
		}
	}
	return ""
}

func (b *builder) report(program string, pats []string, all bool) *Report {
	return b.reportFiltered(program, pats, all, nil)
}

// reportFiltered is report restricted to the live blocks keep accepts (nil:
// all); bad frees are always included.
func (b *builder) reportFiltered(program string, pats []string, all bool, keep func(*rawNode) bool) *Report {
	r := &Report{Program: program, PID: b.rec.PID, Findings: []Finding{}}
	r.Stats = Stats{Allocs: b.rec.Allocs, Frees: b.rec.Frees, AllocBytes: b.rec.AllocBytes, FreeBytes: b.rec.FreeBytes}
	r.SampleRate = b.rec.SampleRate
	if b.rec.Flags&flagOverflow != 0 {
		r.Warnings = append(r.Warnings, "the record file could not grow: some allocations were not tracked")
	}
	if b.rec.Flags&flagStacksFull != 0 {
		r.Warnings = append(r.Warnings, "the stack store is full: some stacks were not recorded")
	}
	if b.rec.Flags&flagErrsFull != 0 {
		r.Warnings = append(r.Warnings, "too many errors: some were not recorded")
	}
	groups := map[string]*Finding{}
	var order []string
	for i := range b.rec.Nodes {
		n := &b.rec.Nodes[i]
		if n.State != stateLive || (keep != nil && !keep(n)) {
			continue
		}
		if n.AStack == 0 {
			r.Stats.LiveOther++
			if !all {
				continue
			}
		} else {
			r.Stats.LiveGo++
		}
		st := b.stack(n.AStack, n.APC)
		key := stackKey(st)
		g, ok := groups[key]
		if !ok {
			g = &Finding{Kind: KindLeak, Alloc: st, Site: st.Site().Pos()}
			groups[key] = g
			order = append(order, key)
		}
		g.Blocks++
		g.Bytes += n.Size
	}
	for _, k := range order {
		f := groups[k]
		if suppressed(f, pats) {
			r.Suppressed++
			continue
		}
		r.Findings = append(r.Findings, *f)
	}
	// Largest leaks first, then by site for a stable order.
	sort.SliceStable(r.Findings, func(i, j int) bool {
		if r.Findings[i].Bytes != r.Findings[j].Bytes {
			return r.Findings[i].Bytes > r.Findings[j].Bytes
		}
		return r.Findings[i].Site < r.Findings[j].Site
	})
	errIdx := map[string]int{}
	for _, e := range b.rec.Errs {
		f := Finding{Ptr: e.Ptr, Bytes: e.Size, Count: 1}
		switch e.Kind {
		case errDoubleFree:
			f.Kind = KindDoubleFree
			f.Alloc = b.stack(e.AStack, e.APC)
			f.Free = b.stack(e.FStack, e.FPC)
			f.SecondFree = b.stack(e.F2Stack, e.F2PC)
			f.Site = f.SecondFree.Site().Pos()
		case errInvalidFree, errInvalidRealloc:
			f.Kind = KindInvalidFree
			f.SecondFree = b.stack(e.F2Stack, e.F2PC)
			f.Site = f.SecondFree.Site().Pos()
		case errWriteAfterFree:
			f.Kind = KindWriteAfterFree
			f.Offset = int64(e.Detail)
			f.Alloc = b.stack(e.AStack, e.APC)
			f.Free = b.stack(e.FStack, e.FPC)
			f.Site = f.Free.Site().Pos()
		default:
			continue
		}
		if suppressed(&f, pats) {
			r.Suppressed++
			continue
		}
		key := f.Kind + "\x00" + stackKey(f.Alloc) + "\x00" + stackKey(f.Free) + "\x00" + stackKey(f.SecondFree)
		if i, ok := errIdx[key]; ok {
			r.Findings[i].Count++
			continue
		}
		errIdx[key] = len(r.Findings)
		r.Findings = append(r.Findings, f)
	}
	return r
}

func stackKey(s *Stack) string {
	if s == nil {
		return ""
	}
	var sb strings.Builder
	sb.WriteString(s.Via)
	for _, f := range s.Go {
		fmt.Fprintf(&sb, "|%s:%d", f.File, f.Line)
	}
	if s.C != nil {
		fmt.Fprintf(&sb, "|C:%s:%s:%d", s.C.Func, s.C.File, s.C.Line)
	}
	return sb.String()
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	who := r.Program
	if r.Child {
		who += " (child process)"
	}
	for _, wmsg := range r.Warnings {
		fmt.Fprintf(w, "cgoguard: %s (pid %d): warning: %s\n", who, r.PID, wmsg)
	}
	if len(r.Findings) == 0 {
		return
	}
	fmt.Fprintf(w, "cgoguard: %s (pid %d): %s\n", who, r.PID, summary(r.Findings))
	if r.SampleRate > 0 {
		fmt.Fprintf(w, "cgoguard: sampled run (one block per %d bytes on average): findings cover the sampled blocks only\n", r.SampleRate)
	}
	for _, f := range r.Findings {
		fmt.Fprintln(w)
		r.writeFinding(w, f)
	}
	fmt.Fprintln(w)
}

// writeFinding prints one finding.
func (r *Report) writeFinding(w io.Writer, f Finding) {
	switch f.Kind {
	case KindLeak:
		if r.SampleRate > 0 {
			_, est := scale(int64(f.Blocks), int64(f.Bytes), int64(r.SampleRate))
			fmt.Fprintf(w, "LEAK: %d bytes in %d sampled block%s (about %d bytes in all) allocated at %s%s, never freed\n", f.Bytes, f.Blocks, plural(f.Blocks), est, f.Site, via(f.Alloc))
		} else {
			fmt.Fprintf(w, "LEAK: %d bytes in %d block%s allocated at %s%s, never freed\n", f.Bytes, f.Blocks, plural(f.Blocks), f.Site, via(f.Alloc))
		}
		writeStack(w, "allocated", f.Alloc)
	case KindDoubleFree:
		fmt.Fprintf(w, "DOUBLE FREE: %d-byte block %#x freed again at %s%s%s\n", f.Bytes, f.Ptr, f.Site, via(f.SecondFree), times(f.Count))
		writeStack(w, "second free", f.SecondFree)
		writeStack(w, "first free", f.Free)
		writeStack(w, "allocated", f.Alloc)
	case KindInvalidFree:
		fmt.Fprintf(w, "INVALID FREE: %#x is not a live C block, freed at %s%s%s\n", f.Ptr, f.Site, via(f.SecondFree), times(f.Count))
		writeStack(w, "freed", f.SecondFree)
	case KindWriteAfterFree:
		fmt.Fprintf(w, "WRITE AFTER FREE: byte %d of a %d-byte block %#x changed after it was freed at %s%s%s\n", f.Offset, f.Bytes, f.Ptr, f.Site, via(f.Free), times(f.Count))
		writeStack(w, "freed", f.Free)
		writeStack(w, "allocated", f.Alloc)
	}
}

func times(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (%d times with these stacks; the first shown)", n)
}

func via(s *Stack) string {
	if s == nil || s.Via == "" {
		return ""
	}
	return " by " + s.Via
}

func writeStack(w io.Writer, title string, s *Stack) {
	if s == nil {
		fmt.Fprintf(w, "  %s: (no stack: not called from a goroutine's cgo call)\n", title)
		return
	}
	fmt.Fprintf(w, "  %s:\n", title)
	for _, f := range s.Go {
		inl := ""
		if f.Inlined {
			inl = " (inlined)"
		}
		fmt.Fprintf(w, "    %s%s\n        %s\n", f.Func, inl, f.Pos())
	}
	if s.Truncated {
		fmt.Fprintf(w, "    ... (stack truncated)\n")
	}
	if s.C != nil {
		fmt.Fprintf(w, "    [C caller: %s %s]\n", s.C.Func, cpos(s.C))
	}
}

func cpos(f *Frame) string {
	if f.File == "" {
		return fmt.Sprintf("pc %#x", f.PC)
	}
	return fmt.Sprintf("%s:%d", f.File, f.Line)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func summary(fs []Finding) string {
	counts := map[string]int{}
	for _, f := range fs {
		counts[f.Kind]++
	}
	var parts []string
	for _, k := range []string{KindLeak, KindDoubleFree, KindInvalidFree, KindWriteAfterFree} {
		if n := counts[k]; n > 0 {
			name := map[string]string{KindLeak: "leak site", KindDoubleFree: "double free", KindInvalidFree: "invalid free", KindWriteAfterFree: "write after free"}[k]
			parts = append(parts, fmt.Sprintf("%d %s%s", n, name, plural(n)))
		}
	}
	return strings.Join(parts, ", ")
}
