package csrc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	cc "modernc.org/cc/v4"

	"github.com/cgoguard/cgoguard/knowledge"
)

// Options configure Load.
type Options struct {
	DB     *knowledge.DB // facts about C library functions; nil means knowledge.Base
	Dir    string        // the package directory: relative -I paths and ${SRCDIR} are resolved against it
	CFLAGS []string      // extra C flags for every translation unit (e.g. from CGO_CFLAGS); -I, -D, -U, -include, -isystem, -iquote, -std are honoured
	// Exports are the C names of the package's //export Go functions: the
	// lockset analysis records the C calls of them (Model.Callbacks).
	Exports []string
}

// Model is the C side of one cgo package. Load builds it cheaply (the sources
// are only scanned); each translation unit is parsed when a question about one
// of its functions first needs it, and only with the parts that question
// needs. A Model is safe for concurrent use.
//
// What a summary means, and the model's limits, by design:
//   - Facts are "may" facts along some path, proven by a primitive fact in a
//     body (a call of malloc, an assignment to a global) or by the knowledge
//     base, an attribute or an annotation: FreesParam means some path frees
//     the parameter, MayBlock that some reachable call may block.
//     ReturnsOwned is stricter: every return is owned memory or NULL.
//   - Summaries are intraprocedural over each body and combined across direct
//     calls by the callees' summaries, with least fixed points over
//     recursion (a recursive allocator is not recognised). Calls through
//     function pointers are not followed: unknown callees borrow their
//     arguments and return non-owned memory.
//   - Within a body the analysis is flow-insensitive: a local variable stands
//     for everything ever assigned to it. ReturnsOwned and FreesParam need
//     every assignment to agree; StoresParam needs the stored value to
//     derive from that parameter only. A parameter that is reassigned is no
//     longer followed.
//   - Aliasing is followed through simple local variables (q = p, q = p + 1,
//     casts, &p[0]) and one level of heap object (n = malloc(..);
//     n->data = p; then n is stored or returned). Values loaded from memory
//     (p->next, *pp, a[i]) are unknown, but stores through them are
//     attributed to the memory of the variable they are loaded from.
//   - Types are syntactic: pointer-ness comes from declarators and typedefs;
//     struct fields have no types (t.buf of a thread-local struct t is not
//     recognised as thread-local, &t.buf is).
//   - Dealloc is the allocator's deallocator: a constructor that returns
//     calloc'd memory gets "free" even when the library has a destructor
//     that frees its fields too.
//   - In a large unit parsed piecewise, a definition whose name only a
//     token-pasting macro makes (get_##n) is not found.
type Model struct {
	mu       sync.Mutex
	db       *knowledge.DB
	opts     Options
	flags    tuFlags
	tus      []*tunit
	files    map[string]*fileScan // scanned sources by the name positions use (for annotations)
	overlay  *overlayFS
	problems []string
	seen     map[string]bool

	nodes        map[nodeKey]*fnNode
	funcs        map[string]*Func // Func answers by name, nil included
	decls        map[string][]*declInfo
	attrDeallocs map[string]deallocAttr
	declSeen     map[string]bool // name@pos of declInfos already recorded
	globals      map[string]bool
	threads      *[]*ThreadStart  // ThreadStarts' answer, once computed
	exports      map[string]bool  // Options.Exports
	callbacks    *[]*CallbackCall // Callbacks' answer, once computed
	allBodies    bool             // every unit parsed with every body
	epoch        int              // of the current call graph traversal
}

// tuFlags are the package-wide C flags (cgo applies the #cgo CFLAGS/CPPFLAGS
// of every file of the package to every C compilation of the package).
type tuFlags struct {
	quote, include, system []string // -iquote, -I, -isystem directories
	defines                strings.Builder
	std                    []string // -std=, -ansi: dialect options for cc.ApplyOptions
	pending                string   // an option whose argument is the next flag ("-I" "dir")
}

var (
	baseOnce  sync.Once
	baseCfg   *cc.Config
	baseErr   error
	srcCache  = &cc.SourceCache{} // headers are shared by every Model of the process
	stubDir   = "/cgoguard-stub"  // virtual directory of stand-in headers (overlayFS)
	maxRepair = 24                // parse attempts per translation unit before giving up
	smallUnit = 64 << 10          // bytes: a unit this small is parsed whole (see load)
)

// config returns the host C configuration, made once per process (it runs
// the host C preprocessor to learn its predefined macros and include paths).
func config() (*cc.Config, error) {
	baseOnce.Do(func() {
		baseCfg, baseErr = cachedConfig()
	})
	return baseCfg, baseErr
}

// Load scans the preambles and the package's C and header files and returns
// the model. It never fails: problems are recorded (see Problems).
// files may contain any of the package's other files; .c files are
// translation units, .h files are read for cgoguard annotations, others are
// ignored.
func Load(opts Options, preambles []Preamble, files []string) *Model {
	return load(opts, preambles, files, smallUnit)
}

// load is Load with the size under which a unit is parsed whole (tests
// use 0 to exercise piecewise parsing on small files).
func load(opts Options, preambles []Preamble, files []string, small int) *Model {
	if opts.DB == nil {
		opts.DB = knowledge.Base
	}
	m := &Model{
		db:           opts.DB,
		opts:         opts,
		files:        map[string]*fileScan{},
		overlay:      &overlayFS{files: map[string][]byte{}},
		seen:         map[string]bool{},
		nodes:        map[nodeKey]*fnNode{},
		funcs:        map[string]*Func{},
		decls:        map[string][]*declInfo{},
		attrDeallocs: map[string]deallocAttr{},
		declSeen:     map[string]bool{},
		globals:      map[string]bool{},
		exports:      map[string]bool{},
	}
	for _, e := range opts.Exports {
		m.exports[e] = true
	}
	defer func() {
		if r := recover(); r != nil {
			m.problem(fmt.Sprintf("cgoguard internal error loading C sources: %v\n%s", r, debug.Stack()))
		}
	}()
	var flagErrs []string
	for _, p := range preambles {
		text, flags, pkgs := cgoLines(p.Text)
		if len(pkgs) > 0 {
			pf, err := pkgConfig(pkgs)
			if err != nil {
				flagErrs = append(flagErrs, fmt.Sprintf("%s: #cgo pkg-config: %v (headers of these packages may be missing)", p.GoFile, err))
			}
			flags = append(flags, pf...)
		}
		for _, f := range flags {
			if err := m.flags.add(f, opts.Dir); err != "" {
				flagErrs = append(flagErrs, fmt.Sprintf("%s: #cgo flags: %s", p.GoFile, err))
			}
		}
		base := p.Pos.Line - 1
		if base < 0 {
			base = 0
		}
		t := &tunit{m: m, name: p.GoFile, fileName: p.GoFile, lineBase: base, text: []byte(text), preamble: true}
		m.tus = append(m.tus, t)
	}
	for _, f := range opts.CFLAGS {
		if err := m.flags.add(f, opts.Dir); err != "" {
			flagErrs = append(flagErrs, "CFLAGS: "+err)
		}
	}
	for _, e := range flagErrs {
		m.problem(e)
	}
	sorted := append([]string(nil), files...)
	sort.Strings(sorted)
	for _, f := range sorted {
		path := f
		if !filepath.IsAbs(path) && opts.Dir != "" {
			path = filepath.Join(opts.Dir, path)
		}
		switch filepath.Ext(path) {
		case ".c", ".h":
		default:
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			m.problem(fmt.Sprintf("%s: %v", path, err))
			continue
		}
		if filepath.Ext(path) == ".h" {
			m.files[path] = scanSource(data)
			continue
		}
		m.tus = append(m.tus, &tunit{m: m, name: path, fileName: path, text: data})
	}
	for _, t := range m.tus {
		t.scan = scanSource(t.text)
		m.files[t.fileName] = t.scan
		reportNotes(m, t.scan, t.fileName, t.lineBase)
		// A small unit is parsed whole, once: the cost of a parse is then
		// mostly its headers, and parsing it again for each new question
		// would cost more than parsing what nobody asked about.
		if len(t.text) <= small {
			t.full, t.allBodies = true, true
		}
	}
	for name, fs := range m.files {
		if !m.isUnit(name) {
			reportNotes(m, fs, name, 0)
		}
	}
	m.overlay.set(filepath.Join(stubDir, "_cgo_export.h"), []byte(m.exportHeader()))
	return m
}

func (m *Model) isUnit(name string) bool {
	for _, t := range m.tus {
		if t.fileName == name {
			return true
		}
	}
	return false
}

func reportNotes(m *Model, fs *fileScan, name string, base int) {
	for _, a := range fs.badNotes {
		m.problem(fmt.Sprintf("%s:%d: cgoguard:%s annotation ignored: %s", name, a.line+base, a.verb, a.err))
	}
}

// problem records a human-readable problem once.
func (m *Model) problem(s string) {
	if !m.seen[s] {
		m.seen[s] = true
		m.problems = append(m.problems, s)
	}
}

// Problems returns the problems met so far, each once, as "file:line: message".
// Parsing is lazy: call it after the Func and Global questions, and report
// the problems once (cgoguard does with -v).
func (m *Model) Problems() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.problems...)
}

// cgoLines blanks the #cgo lines of a preamble (keeping its line count) and
// returns the flags they give for this platform (linux/amd64).
func cgoLines(text string) (string, []string, []string) {
	lines := strings.Split(text, "\n")
	var flags, pkgs []string
	for i, l := range lines {
		s := strings.TrimSpace(l)
		if !strings.HasPrefix(s, "#cgo") || len(s) > 4 && s[4] != ' ' && s[4] != '\t' {
			continue
		}
		lines[i] = ""
		s = strings.TrimSpace(s[4:])
		colon := strings.Index(s, ":")
		if colon < 0 {
			continue
		}
		head, val := strings.Fields(s[:colon]), s[colon+1:]
		if len(head) == 0 {
			continue
		}
		verb := head[len(head)-1]
		if verb != "CFLAGS" && verb != "CPPFLAGS" && verb != "pkg-config" || !matchConstraints(head[:len(head)-1]) {
			continue
		}
		fs, err := splitQuoted(val)
		if err != nil {
			continue
		}
		if verb == "pkg-config" {
			pkgs = append(pkgs, fs...)
		} else {
			flags = append(flags, fs...)
		}
	}
	return strings.Join(lines, "\n"), flags, pkgs
}

// pkgConfig returns the C flags of pkg-config packages, as cmd/go asks for
// them ($PKG_CONFIG, default pkg-config).
func pkgConfig(pkgs []string) ([]string, error) {
	tool := os.Getenv("PKG_CONFIG")
	if tool == "" {
		tool = "pkg-config"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, append([]string{"--cflags", "--"}, pkgs...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("%s --cflags %s: %v", tool, strings.Join(pkgs, " "), err)
	}
	return splitQuoted(string(out))
}

// matchConstraints evaluates the build constraints of a #cgo line
// ("linux,amd64 darwin": a space-separated OR of comma-separated ANDs).
func matchConstraints(opts []string) bool {
	if len(opts) == 0 {
		return true
	}
	for _, alt := range opts {
		ok := true
		for _, term := range strings.Split(alt, ",") {
			neg := strings.HasPrefix(term, "!")
			term = strings.TrimPrefix(term, "!")
			has := term == "linux" || term == "amd64" || term == "unix" || term == "cgo" || term == "gc"
			if has == neg {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// splitQuoted splits s as cmd/cgo does: on blanks, with '…' and "…" quoting.
func splitQuoted(s string) ([]string, error) {
	var out []string
	var cur []rune
	quote, escaped, inArg := rune(0), false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
			continue
		case quote != 0:
			if r == quote {
				quote = 0
				continue
			}
		case r == '"' || r == '\'':
			inArg, quote = true, r
			continue
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inArg {
				out = append(out, string(cur))
				cur, inArg = cur[:0], false
			}
			continue
		}
		inArg = true
		cur = append(cur, r)
	}
	if inArg {
		out = append(out, string(cur))
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unclosed quote")
	}
	return out, nil
}

// add records one flag; it returns a description of a flag it cannot use.
// Flags with a separate argument ("-I dir") arrive as "-I" then "dir": the
// pending state is kept in the builder between calls.
func (f *tuFlags) add(flag, dir string) string {
	flag = strings.ReplaceAll(flag, "${SRCDIR}", dir)
	abs := func(p string) string {
		if !filepath.IsAbs(p) && dir != "" {
			return filepath.Join(dir, p)
		}
		return p
	}
	if f.pending != "" {
		opt := f.pending
		f.pending = ""
		return f.add(opt+flag, dir)
	}
	switch flag {
	case "-I", "-D", "-U", "-include", "-isystem", "-iquote":
		f.pending = flag
		if flag == "-include" || flag == "-isystem" || flag == "-iquote" {
			f.pending = flag + "="
		}
		return ""
	}
	switch {
	case strings.HasPrefix(flag, "-I"):
		f.include = append(f.include, abs(flag[2:]))
	case strings.HasPrefix(flag, "-isystem="):
		f.system = append(f.system, abs(flag[len("-isystem="):]))
	case strings.HasPrefix(flag, "-isystem"):
		f.system = append(f.system, abs(flag[len("-isystem"):]))
	case strings.HasPrefix(flag, "-iquote="):
		f.quote = append(f.quote, abs(flag[len("-iquote="):]))
	case strings.HasPrefix(flag, "-iquote"):
		f.quote = append(f.quote, abs(flag[len("-iquote"):]))
	case strings.HasPrefix(flag, "-include="):
		fmt.Fprintf(&f.defines, "#include %q\n", abs(flag[len("-include="):]))
	case strings.HasPrefix(flag, "-include"):
		fmt.Fprintf(&f.defines, "#include %q\n", abs(flag[len("-include"):]))
	case strings.HasPrefix(flag, "-D"):
		name, val, ok := strings.Cut(flag[2:], "=")
		if !ok {
			val = "1"
		}
		if name == "" {
			return "empty -D"
		}
		fmt.Fprintf(&f.defines, "#define %s %s\n", name, val)
	case strings.HasPrefix(flag, "-U"):
		fmt.Fprintf(&f.defines, "#undef %s\n", flag[2:])
	case strings.HasPrefix(flag, "-std=") || flag == "-ansi":
		f.std = append(f.std, flag)
	}
	return ""
}

// unitConfig returns the cc configuration of the package's translation units.
func (m *Model) unitConfig() (*cc.Config, error) {
	base, err := config()
	if err != nil {
		return nil, err
	}
	c := *base
	quote := append([]string{""}, m.flags.quote...)
	if m.opts.Dir != "" {
		quote = append(quote, m.opts.Dir)
	}
	sys := append(append(append([]string(nil), m.flags.include...), m.flags.system...), base.SysIncludePaths...)
	sys = append(sys, stubDir)
	c.IncludePaths = append(append(append(quote, m.flags.include...), m.flags.system...), base.HostIncludePaths...)
	c.IncludePaths = append(c.IncludePaths, base.SysIncludePaths...)
	c.IncludePaths = append(c.IncludePaths, stubDir)
	c.SysIncludePaths = sys
	c.FS = m.overlay
	c.SourceCache = srcCache
	if len(m.flags.std) > 0 {
		if err := c.ApplyOptions(m.flags.std...); err != nil {
			m.problem(err.Error())
		}
	}
	return &c, nil
}

// exportHeader is the stand-in for cgo's generated _cgo_export.h, which the
// package's .c files may include: the Go types cgo defines there and the
// preambles (cgo copies them into it).
func (m *Model) exportHeader() string {
	var b strings.Builder
	// Guarded as a whole: a preamble copied into it may include it.
	b.WriteString(`#ifndef CGOGUARD_CGO_EXPORT_H
#define CGOGUARD_CGO_EXPORT_H
#line 1 "cgo-generated-export-prolog"
#include <stddef.h>
#ifndef GO_CGO_EXPORT_PROLOGUE_H
#define GO_CGO_EXPORT_PROLOGUE_H
#ifndef GO_CGO_GOSTRING_TYPEDEF
typedef struct { const char *p; ptrdiff_t n; } _GoString_;
#endif
#endif
`)
	for _, t := range m.tus {
		if t.preamble {
			fmt.Fprintf(&b, "#line %d %s\n%s\n", t.lineBase+1, cQuote(t.fileName), t.text)
		}
	}
	b.WriteString(`#line 1 "cgo-generated-wrapper"
#ifndef GO_CGO_PROLOGUE_H
#define GO_CGO_PROLOGUE_H
typedef signed char GoInt8;
typedef unsigned char GoUint8;
typedef short GoInt16;
typedef unsigned short GoUint16;
typedef int GoInt32;
typedef unsigned int GoUint32;
typedef long long GoInt64;
typedef unsigned long long GoUint64;
typedef GoInt64 GoInt;
typedef GoUint64 GoUint;
typedef __SIZE_TYPE__ GoUintptr;
typedef float GoFloat32;
typedef double GoFloat64;
typedef float _Complex GoComplex64;
typedef double _Complex GoComplex128;
typedef _GoString_ GoString;
typedef void *GoMap;
typedef void *GoChan;
typedef struct { void *t; void *v; } GoInterface;
typedef struct { void *data; GoInt len; GoInt cap; } GoSlice;
#endif
#endif
`)
	return b.String()
}

// cgoProlog is what cmd/cgo puts before every preamble (cmd/cgo/out.go builtinProlog).
const cgoProlog = `#line 1 "cgo-builtin-prolog"
#include <stddef.h>
typedef ptrdiff_t intgo;
#define GO_CGO_GOSTRING_TYPEDEF
typedef struct { const char *p; intgo n; } _GoString_;
typedef struct { char *p; intgo n; intgo c; } _GoBytes_;
_GoString_ GoString(char *p);
_GoString_ GoStringN(char *p, int l);
_GoBytes_ GoBytes(void *p, int n);
char *CString(_GoString_);
void *CBytes(_GoBytes_);
void *_CMalloc(size_t);
__attribute__ ((unused))
static size_t _GoStringLen(_GoString_ s) { return (size_t)s.n; }
__attribute__ ((unused))
static const char *_GoStringPtr(_GoString_ s) { return s.p; }
`

// cQuote quotes s as a C string literal.
func cQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
