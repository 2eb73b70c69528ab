package csrc

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	cc "modernc.org/cc/v4"
)

// tunit is one translation unit: a preamble (with cgo's prolog before it) or
// a .c file.
type tunit struct {
	m        *Model
	name     string // cc source name
	fileName string // the file positions name: the Go file of a preamble, the .c file
	lineBase int    // line of the file where the text's line 1 is, minus one
	text     []byte
	preamble bool
	scan     *fileScan
	included *[]*fileScan // scans of the .c files the unit includes (locks.go), once read

	wantFuncs   map[int]bool    // function chunks wanted
	parsedFuncs map[int]bool    // function chunks whose definitions are in defs: not parsed again
	parsedDecls map[int]bool    // declaration chunks already indexed: not parsed again (unless typedef)
	wantIdents  map[string]bool // identifiers whose declarations are included
	full        bool            // keep every declaration (the reduced text did not parse)
	allBodies   bool            // keep every function body
	dropped     map[int]bool    // chunks removed by repair
	guesses     []string        // identifiers assumed to be type names
	failed      string          // non-empty: the unit cannot be parsed; the reason
	parsed      bool
	parses      int // parse attempts so far

	// The current parse.
	defs     map[string]*cc.FunctionDefinition
	globals  map[string]*variable
	typedefs map[string]*typedefInfo
	fdecls   map[string][]fdecl // function declarations at file scope
}

type fdecl struct {
	ds *cc.DeclarationSpecifiers
	d  *cc.Declarator
}

type typedefInfo struct {
	specs *cc.DeclarationSpecifiers
	decl  *cc.Declarator
}

// ensure makes the unit's current parse include the definitions and
// declarations of names (and the definitions those definitions call). It
// reports whether the unit has a usable parse.
func (t *tunit) ensure(names ...string) bool {
	if t.failed != "" {
		return false
	}
	if t.wantFuncs == nil {
		t.wantFuncs, t.wantIdents, t.dropped = map[int]bool{}, map[string]bool{}, map[int]bool{}
		t.parsedFuncs, t.parsedDecls = map[int]bool{}, map[int]bool{}
	}
	changed := !t.parsed
	queue := append([]string(nil), names...)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if !t.wantIdents[n] {
			if !t.full && !changed {
				for _, i := range t.scan.declChunks(n) {
					if !t.dropped[i] && !t.parsedDecls[i] && !t.keepDecl(i) {
						changed = true
						break
					}
				}
			}
			t.wantIdents[n] = true
			// What a macro expands to may name functions and declarations too.
			for _, i := range t.scan.macroChunks(n) {
				for id := range t.scan.idents(i) {
					if !t.wantIdents[id] {
						queue = append(queue, id)
					}
				}
			}
		}
		for _, i := range t.scan.funcChunks(n) {
			if t.wantFuncs[i] || t.dropped[i] {
				continue
			}
			t.wantFuncs[i] = true
			if !t.parsedFuncs[i] {
				changed = true
			}
			for id := range t.scan.idents(i) {
				if !t.wantIdents[id] {
					queue = append(queue, id)
				}
			}
		}
	}
	if changed {
		if !t.allBodies && (t.parses >= maxIncrements || t.wantedShare() > wholeShare) {
			// Most of the unit is wanted anyway, or questions keep coming:
			// one parse of everything is cheaper than more increments.
			t.full, t.allBodies = true, true
		}
		t.parse()
	}
	return t.failed == ""
}

const (
	maxIncrements = 4    // parses of a unit before it is parsed whole
	wholeShare    = 0.25 // share of a unit's function text wanted beyond which it is parsed whole
)

// wantedShare returns the share of the unit's function text that is wanted.
func (t *tunit) wantedShare() float64 {
	var want, all int
	for i := range t.scan.chunks {
		ch := &t.scan.chunks[i]
		if ch.kind == ckFunc {
			all += ch.end - ch.start
			if t.wantFuncs[i] {
				want += ch.end - ch.start
			}
		}
	}
	if all == 0 {
		return 0
	}
	return float64(want) / float64(all)
}

// keepDecl reports whether declaration chunk i is in the current text.
func (t *tunit) keepDecl(i int) bool {
	ch := &t.scan.chunks[i]
	if t.full || ch.typedef || ch.macroish {
		return true
	}
	for _, id := range t.scan.declIdents(i) {
		if t.wantIdents[id] {
			return true
		}
	}
	return false
}

func (t *tunit) keep(i int) bool {
	if t.dropped[i] {
		return false
	}
	ch := &t.scan.chunks[i]
	switch ch.kind {
	case ckDirective:
		if badInclude(t.text[ch.start:ch.end]) {
			t.m.problem(fmt.Sprintf("%s:%d: malformed #include: skipped", t.fileName, ch.line+t.lineBase))
			return false
		}
		return true
	case ckFunc:
		// A body already parsed is not parsed again: its definition stays
		// in defs, and the next parse only adds the newly wanted ones.
		return (t.allBodies || t.wantFuncs[i]) && !t.parsedFuncs[i]
	case ckDecl:
		// Likewise a declaration already indexed, unless it declares a
		// type name, which parsing what follows needs.
		if t.parsedDecls[i] && !t.full && !ch.typedef && !ch.macroish {
			return false
		}
		return t.keepDecl(i)
	}
	return true
}

// build returns the text handed to the parser: the kept chunks, with #line
// directives so that positions are those of the original file.
func (t *tunit) build() []byte {
	var b bytes.Buffer
	b.Grow(len(t.text) / 8)
	lastEnd, contiguous := 0, false
	for i := range t.scan.chunks {
		ch := &t.scan.chunks[i]
		if !t.keep(i) {
			contiguous = false
			if ch.dirsMatter && !t.dropped[i] {
				// The chunk goes, the preprocessor state it changes stays.
				for _, d := range ch.dirs {
					fmt.Fprintf(&b, "\n#line %d %s\n", d.line+t.lineBase, cQuote(t.fileName))
					b.Write(t.text[d.start:d.end])
				}
				b.WriteByte('\n')
			}
			continue
		}
		if contiguous {
			b.Write(t.text[lastEnd:ch.start])
		} else {
			fmt.Fprintf(&b, "\n#line %d %s\n", ch.line+t.lineBase, cQuote(t.fileName))
			for k := 1; k < ch.col; k++ {
				b.WriteByte(' ')
			}
		}
		b.Write(t.text[ch.start:ch.end])
		lastEnd = ch.end
		// A directive may end a conditional group that skipped the last
		// #line: say where we are again after it.
		contiguous = ch.kind != ckDirective
	}
	b.WriteByte('\n')
	for range t.scan.openIfs {
		b.WriteString("#endif\n")
	}
	if !noSentinel {
		b.WriteString(sentinel)
	}
	return b.Bytes()
}

// sentinel ends every text handed to the parser. modernc.org/cc/v4 loops
// forever on some malformed input that ends inside a declaration (it keeps
// "skipping" the end of the input while waiting for a ')', ',', ']', '}' or an
// identifier); with these valid declarations after the text, it finds one
// and reports an error instead. Random token soups that hang it without
// them (e.g. "* }", "^") all terminate with them.
const sentinel = "\n#line 1 \"<cgoguard-sentinel>\"\nstruct " + sentinelPrefix + "s { int " + sentinelPrefix + "a; };\n" +
	"void " + sentinelPrefix + "end(int " + sentinelPrefix + "b, int " + sentinelPrefix + "c[1]);\n"

const sentinelPrefix = "__cgoguard_sentinel_"

var noSentinel = false // tests: show what the sentinel prevents

var errLine = regexp.MustCompile(`^(.+?):(\d+):(\d+): (.*)$`)

type parseError struct {
	file      string
	line, col int
	msg       string
}

func parseErrors(err error) []parseError {
	var out []parseError
	for _, l := range strings.Split(err.Error(), "\n") {
		if l == "" {
			continue
		}
		if m := errLine.FindStringSubmatch(l); m != nil {
			ln, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			out = append(out, parseError{file: m[1], line: ln, col: col, msg: m[4]})
		} else {
			out = append(out, parseError{msg: l})
		}
	}
	return out
}

// parse parses the unit's current text, repairing what it can.
func (t *tunit) parse() {
	m := t.m
	cfg, err := m.unitConfig()
	if err != nil {
		t.failed = "no C configuration: " + err.Error()
		m.problem(fmt.Sprintf("%s: cannot parse C: %v", t.fileName, err))
		return
	}
	lastErr := ""
	for attempt := 0; attempt < maxRepair; attempt++ {
		ast, err := t.parseOnce(cfg)
		t.parses++
		t.reportMissing()
		if err == nil {
			t.index(ast)
			t.parsed = true
			for i := range t.scan.chunks {
				switch k := t.scan.chunks[i].kind; {
				case k == ckFunc && t.keep(i):
					t.parsedFuncs[i] = true
				case k == ckDecl && t.keep(i):
					t.parsedDecls[i] = true
				}
			}
			return
		}
		if errors.Is(err, errFatal) {
			lastErr = err.Error()
			break
		}
		if !t.full {
			// The reduced text may lack a declaration that a macro hides.
			t.full = true
			continue
		}
		errs := parseErrors(err)
		key := err.Error()
		if !t.repair(errs, key == lastErr) {
			lastErr = key
			break
		}
		lastErr = key
	}
	if t.parsed {
		// An earlier parse stands: give up only on what this one added.
		var names []string
		for i := range t.scan.chunks {
			ch := &t.scan.chunks[i]
			if ch.kind == ckFunc && t.keep(i) {
				t.dropped[i] = true
				if len(ch.names) > 0 {
					names = append(names, ch.names[0])
				}
			}
		}
		m.problem(fmt.Sprintf("%s: C source could not be parsed (%s); no summary for %s", t.fileName, firstLine(lastErr), strings.Join(names, ", ")))
		return
	}
	t.failed = "could not be parsed"
	m.problem(fmt.Sprintf("%s: C source could not be parsed (%s); its functions have no summary", t.fileName, firstLine(lastErr)))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// parseOnce runs the C parser on the current text; a panic in it is an error.
func (t *tunit) parseOnce(cfg *cc.Config) (*cc.AST, error) {
	srcs := []cc.Source{
		{Name: "<predefined>", Value: cfg.Predefined},
		{Name: "<builtin>", Value: cc.Builtin},
	}
	if t.preamble {
		srcs = append(srcs, cc.Source{Name: "<cgo-builtin-prolog>", Value: cgoProlog})
	}
	var pre strings.Builder
	pre.WriteString(t.m.flags.defines.String())
	for _, g := range t.guesses {
		fmt.Fprintf(&pre, "typedef int %s;\n", g)
	}
	if pre.Len() > 0 {
		srcs = append(srcs, cc.Source{Name: "<cgoguard-flags>", Value: pre.String()})
	}
	text := t.build()
	srcs = append(srcs, cc.Source{Name: t.name, Value: text})
	// Every token the preprocessor handles counts, headers included: the
	// limit stops runaway inclusion (cc does not bound the depth of
	// #include) and exponential macros, far above what real code needs.
	c := *cfg
	c.ExpansionLimit = 4_000_000 + 4*len(text)
	type result struct {
		ast *cc.AST
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				t.m.problem(fmt.Sprintf("%s: C parser internal error: %v\n%s", t.fileName, r, debug.Stack()))
				done <- result{nil, fmt.Errorf("%w: C parser internal error: %v", errFatal, r)}
			}
		}()
		a, err := cc.Parse(&c, srcs)
		done <- result{a, err}
	}()
	// The sentinel prevents the parser's known endless loops; should another
	// one strike, the analysis goes on without this unit (the parser's
	// goroutine cannot be stopped and is abandoned).
	limit := parseTimeout(len(text))
	timer := time.NewTimer(limit)
	defer timer.Stop()
	var r result
	select {
	case r = <-done:
	case <-timer.C:
		return nil, fmt.Errorf("%w: the C parser did not finish in %v (a modernc.org/cc/v4 bug on this input)", errFatal, limit)
	}
	if r.err != nil && strings.Contains(r.err.Error(), "macro expansion limit exceeded") {
		return nil, fmt.Errorf("%w: %v", errFatal, r.err)
	}
	return r.ast, r.err
}

// parseTimeout bounds one parse of a text of n bytes: generous, the normal
// rate is about 2 MB/s on one core.
var parseTimeout = func(n int) time.Duration {
	return 30*time.Second + time.Duration(n/100_000)*time.Second
}

// errFatal marks a parse failure that no repair can help.
var errFatal = errors.New("cannot parse")

// reportMissing reports the headers that were stood in for in the last
// parse, at the #include that names them when it is in the unit's text.
func (t *tunit) reportMissing() {
	names := t.m.overlay.takeMissing()
	sort.Strings(names)
	for _, n := range names {
		where := t.fileName
		for i := range t.scan.chunks {
			ch := &t.scan.chunks[i]
			if ch.kind != ckDirective {
				continue
			}
			d := t.text[ch.start:ch.end]
			if bytes.Contains(d, []byte("include")) && (bytes.Contains(d, []byte("<"+n+">")) || bytes.Contains(d, []byte("\""+n+"\""))) {
				where = fmt.Sprintf("%s:%d", t.fileName, ch.line+t.lineBase)
				break
			}
		}
		t.m.problem(fmt.Sprintf("%s: header %s not found: parsed without it (its declarations are unknown)", where, n))
	}
}

// repair changes the unit so that the next attempt may get further. It
// reports false when it has nothing left to try.
func (t *tunit) repair(errs []parseError, again bool) bool {
	m := t.m
	// Missing headers: stand-ins, all at once.
	fixed := false
	for _, e := range errs {
		if !strings.HasPrefix(e.msg, "include file not found: ") {
			continue
		}
		raw := strings.TrimPrefix(e.msg, "include file not found: ")
		if len(raw) < 2 {
			continue
		}
		name := filepath.Clean(raw[1 : len(raw)-1])
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			name = filepath.Base(name)
		}
		stub := filepath.Join(stubDir, name)
		if _, ok := m.overlay.get(stub); ok {
			continue
		}
		m.overlay.set(stub, []byte("/* stand-in for a missing header */\n"))
		m.problem(fmt.Sprintf("%s:%d: header %s not found: parsed without it (its declarations are unknown)", e.file, e.line, raw))
		fixed = true
	}
	if fixed {
		return true
	}
	var e *parseError
	for i := range errs {
		if errs[i].file != "" && errs[i].file != "-" {
			e = &errs[i]
			break
		}
	}
	if e == nil {
		return false
	}
	// An identifier that the missing declarations would have made a type name.
	if !again && len(t.guesses) < 16 {
		if g := t.typeGuess(e); g != "" {
			t.guesses = append(t.guesses, g)
			m.problem(fmt.Sprintf("%s:%d: %s is not declared (missing header?): assumed to be a type name", e.file, e.line, g))
			return true
		}
	}
	// Otherwise drop the declaration or definition that holds the error.
	if e.file == t.fileName {
		i := t.chunkAt(e.line-t.lineBase, e.col)
		if i < 0 || t.dropped[i] {
			return false
		}
		ch := &t.scan.chunks[i]
		if ch.kind == ckDirective && isConditional(t.text[ch.start:ch.end]) {
			return false
		}
		t.dropped[i] = true
		m.problem(fmt.Sprintf("%s:%d: %s: skipped %s", e.file, e.line, e.msg, describeChunk(ch)))
		return true
	}
	return t.dropInHeader(e)
}

// badInclude reports an #include whose argument is neither "file", <file>
// nor a macro. The C preprocessor stops the whole unit there, which can
// leave the parser spinning at the end of its input (see sentinel).
func badInclude(dir []byte) bool {
	s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(dir)), "#"))
	for _, w := range []string{"include_next", "include", "import"} {
		if rest, ok := strings.CutPrefix(s, w); ok {
			if rest == "" || rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"' && rest[0] != '<' {
				return false // another directive (#includex?) or no space: let the parser judge
			}
			rest = strings.TrimSpace(rest)
			return !(rest != "" && (rest[0] == '"' && strings.Count(rest, "\"") >= 2 || rest[0] == '<' && strings.Contains(rest, ">")) ||
				macroInclude.MatchString(rest))
		}
	}
	return false
}

// macroInclude is #include MACRO or #include MACRO(args), as FreeType's
// #include FT_FREETYPE_H.
var macroInclude = regexp.MustCompile(`^[A-Za-z_]\w*\s*(\(.*\))?\s*(//.*|/\*.*)?$`)

func describeChunk(ch *chunk) string {
	switch {
	case ch.kind == ckFunc && len(ch.names) > 0:
		return "the definition of " + ch.names[0] + " (no summary)"
	case ch.kind == ckDirective:
		return "the directive"
	case len(ch.names) > 0:
		return "the declaration of " + ch.names[0]
	}
	return "the declaration"
}

func isConditional(dir []byte) bool {
	s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(dir)), "#"))
	for _, w := range []string{"if", "el", "endif"} {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	return false
}

// chunkAt returns the index of the chunk of the unit's text at line, col
// (text coordinates), or -1.
func (t *tunit) chunkAt(line, col int) int {
	return chunkAt(t.scan.chunks, line, col)
}

func chunkAt(chunks []chunk, line, col int) int {
	i := sort.Search(len(chunks), func(i int) bool {
		c := &chunks[i]
		return c.line > line || c.line == line && c.col > col
	})
	i--
	if i < 0 || chunks[i].endLine < line {
		return -1
	}
	return i
}

// dropInHeader blanks the chunk of a header that holds error e, in an
// overlay copy of the header.
func (t *tunit) dropInHeader(e *parseError) bool {
	m := t.m
	data, ok := m.overlay.get(e.file)
	if !ok {
		var err error
		if data, err = os.ReadFile(e.file); err != nil {
			return false
		}
	}
	fs := scanSource(data)
	i := chunkAt(fs.chunks, e.line, e.col)
	if i < 0 {
		return false
	}
	ch := &fs.chunks[i]
	if ch.kind == ckDirective && isConditional(data[ch.start:ch.end]) {
		return false
	}
	blank := append([]byte(nil), data...)
	for k := ch.start; k < ch.end; k++ {
		if blank[k] != '\n' {
			blank[k] = ' '
		}
	}
	m.overlay.set(e.file, blank)
	m.problem(fmt.Sprintf("%s:%d: %s: skipped %s", e.file, e.line, e.msg, describeChunk(ch)))
	return true
}

// typeGuess finds, on the line of a syntax error and before it, an
// identifier in the position of a type name: IDENT IDENT, IDENT * IDENT,
// ( IDENT ) IDENT. It is what an undeclared typedef (a missing header)
// looks like to the parser.
func (t *tunit) typeGuess(e *parseError) string {
	var line []byte
	if e.file == t.fileName {
		line = lineOf(t.text, e.line-t.lineBase)
	} else if data, ok := t.m.overlay.get(e.file); ok {
		line = lineOf(data, e.line)
	} else if data, err := os.ReadFile(e.file); err == nil {
		line = lineOf(data, e.line)
	}
	type tok struct {
		s     string
		col   int
		ident bool
	}
	var toks []tok
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case isIdentByte(c):
			j := i
			for j < len(line) && isIdentByte(line[j]) {
				j++
			}
			toks = append(toks, tok{string(line[i:j]), i + 1, !('0' <= c && c <= '9')})
			i = j
		case c == ' ' || c == '\t' || c == '\r':
			i++
		default:
			toks = append(toks, tok{string(c), i + 1, false})
			i++
		}
	}
	known := map[string]bool{}
	for _, g := range t.guesses {
		known[g] = true
	}
	ok := func(s string) bool { return !cKeywords[s] && !known[s] && !strings.HasPrefix(s, "__builtin") }
	operand := func(k tok) bool {
		return k.ident || k.s == "(" || k.s == "\"" || k.s == "'" || '0' <= k.s[0] && k.s[0] <= '9'
	}
	for i := len(toks) - 2; i >= 0; i-- {
		a := toks[i]
		if !a.ident || !ok(a.s) || a.col > e.col {
			continue
		}
		next := toks[i+1]
		switch {
		case next.ident:
			return a.s
		case next.s == "*" && i+2 < len(toks) && (toks[i+2].ident || toks[i+2].s == "*" || toks[i+2].s == ")"):
			return a.s
		case next.s == ")" && i > 0 && toks[i-1].s == "(" && i+2 < len(toks) && operand(toks[i+2]):
			return a.s
		}
	}
	return ""
}

func lineOf(data []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return nil
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return data
}

// index adds the file-scope declarations of a fresh parse to the unit's
// (a parse adds bodies to those of the previous ones).
func (t *tunit) index(ast *cc.AST) {
	if t.defs == nil {
		t.defs = map[string]*cc.FunctionDefinition{}
		t.globals = map[string]*variable{}
		t.typedefs = map[string]*typedefInfo{}
		t.fdecls = map[string][]fdecl{}
	}
	for tu := ast.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		ed := tu.ExternalDeclaration
		if ed == nil {
			continue
		}
		switch ed.Case {
		case cc.ExternalDeclarationFuncDef:
			fd := ed.FunctionDefinition
			if fd == nil || fd.Declarator == nil {
				continue
			}
			name := fd.Declarator.Name()
			if strings.HasPrefix(name, sentinelPrefix) {
				continue
			}
			if _, ok := t.defs[name]; !ok {
				t.defs[name] = fd
			}
			t.m.recordDecl(name, fd.DeclarationSpecifiers, fd.Declarator, nil, true)
		case cc.ExternalDeclarationDecl:
			t.indexDecl(ed.Declaration)
		}
	}
}

func (t *tunit) indexDecl(d *cc.Declaration) {
	if d == nil || d.DeclarationSpecifiers == nil {
		return
	}
	sc := storageOf(d.DeclarationSpecifiers)
	for l := d.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
		id := l.InitDeclarator
		if id == nil || id.Declarator == nil {
			continue
		}
		dr := id.Declarator
		name := dr.Name()
		if name == "" || strings.HasPrefix(name, sentinelPrefix) {
			continue
		}
		switch {
		case sc.typedef:
			t.typedefs[name] = &typedefInfo{specs: d.DeclarationSpecifiers, decl: dr}
		case shapeOf(dr) == shapeFunc:
			t.fdecls[name] = append(t.fdecls[name], fdecl{d.DeclarationSpecifiers, dr})
			t.m.recordDecl(name, d.DeclarationSpecifiers, dr, id.AttributeSpecifierList, false)
		default:
			v := &variable{name: name, kind: vGlobal, tls: sc.tls, static: sc.static, pos: token.Position(dr.NameTok().Position())}
			v.array = shapeOf(dr) == shapeArray
			v.ptr = t.pointerish(d.DeclarationSpecifiers, dr)
			v.atomic = t.atomicObject(d.DeclarationSpecifiers, dr)
			if old, ok := t.globals[name]; !ok || !old.array && v.array {
				t.globals[name] = v
			}
			t.m.globals[name] = true
		}
	}
}

// storage is what the declaration specifiers say about storage.
type storage struct {
	typedef, static, extern, tls bool
}

func storageOf(ds *cc.DeclarationSpecifiers) storage {
	var s storage
	for ; ds != nil; ds = ds.DeclarationSpecifiers {
		if ds.Case != cc.DeclarationSpecifiersStorage || ds.StorageClassSpecifier == nil {
			continue
		}
		switch ds.StorageClassSpecifier.Case {
		case cc.StorageClassSpecifierTypedef:
			s.typedef = true
		case cc.StorageClassSpecifierStatic:
			s.static = true
		case cc.StorageClassSpecifierExtern:
			s.extern = true
		case cc.StorageClassSpecifierThreadLocal:
			s.tls = true
		}
	}
	return s
}

// shape is the outermost type constructor of a declarator: the one closest
// to the identifier.
type shape uint8

const (
	shapeBase shape = iota
	shapePointer
	shapeArray
	shapeFunc
)

func shapeOf(d *cc.Declarator) shape {
	if s := closestDecl(d, 0); s != shapeBase {
		return s
	}
	return shapeBase
}

func closestDecl(d *cc.Declarator, depth int) shape {
	if d == nil || depth > 64 {
		return shapeBase
	}
	if s := closest(d.DirectDeclarator, depth+1); s != shapeBase {
		return s
	}
	if d.Pointer != nil {
		return shapePointer
	}
	return shapeBase
}

func closest(dd *cc.DirectDeclarator, depth int) shape {
	if dd == nil || depth > 64 {
		return shapeBase
	}
	switch dd.Case {
	case cc.DirectDeclaratorIdent:
		return shapeBase
	case cc.DirectDeclaratorDecl:
		return closestDecl(dd.Declarator, depth+1)
	case cc.DirectDeclaratorArr, cc.DirectDeclaratorStaticArr, cc.DirectDeclaratorArrStatic, cc.DirectDeclaratorStar:
		if s := closest(dd.DirectDeclarator, depth+1); s != shapeBase {
			return s
		}
		return shapeArray
	case cc.DirectDeclaratorFuncParam, cc.DirectDeclaratorFuncIdent:
		if s := closest(dd.DirectDeclarator, depth+1); s != shapeBase {
			return s
		}
		return shapeFunc
	}
	return shapeBase
}

// tri is a three-valued answer.
type tri uint8

const (
	maybe tri = iota
	yes
	no
)

// pointerish reports whether an object declared with ds and d holds a
// pointer (or an array, which decays to one).
func (t *tunit) pointerish(ds *cc.DeclarationSpecifiers, d *cc.Declarator) tri {
	switch shapeOf(d) {
	case shapePointer, shapeArray, shapeFunc:
		return yes
	}
	return t.specsPointerish(ds, 0)
}

func (t *tunit) specsPointerish(ds *cc.DeclarationSpecifiers, depth int) tri {
	if depth > 32 {
		return maybe
	}
	for ; ds != nil; ds = ds.DeclarationSpecifiers {
		if ds.Case != cc.DeclarationSpecifiersTypeSpec || ds.TypeSpecifier == nil {
			continue
		}
		ts := ds.TypeSpecifier
		switch ts.Case {
		case cc.TypeSpecifierTypeName:
			name := ts.Token.SrcStr()
			td := t.typedefs[name]
			if td == nil {
				return maybe
			}
			switch shapeOf(td.decl) {
			case shapePointer, shapeArray, shapeFunc:
				return yes
			}
			return t.specsPointerish(td.specs, depth+1)
		case cc.TypeSpecifierTypeofExpr, cc.TypeSpecifierTypeofType, cc.TypeSpecifierAtomic:
			return maybe
		default:
			return no
		}
	}
	return maybe
}

// position returns the position of n, or an invalid one.
func position(n cc.Node) (p token.Position) {
	defer func() {
		if recover() != nil {
			p = token.Position{}
		}
	}()
	if n == nil {
		return p
	}
	return token.Position(n.Position())
}
