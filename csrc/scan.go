package csrc

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// This file is the lightweight scanner: one pass over the raw text of a
// translation unit's main source (a preamble or a .c file) that cuts it into
// top-level chunks (preprocessor directives, declarations, function
// definitions) without preprocessing or parsing. It serves three purposes:
//
//   - Laziness. Only the chunks a request needs are handed to the C parser:
//     the function definitions asked about and what they call, the
//     declarations that mention their identifiers, every typedef and every
//     directive. A 200k-line file where Go calls three functions parses as a
//     few hundred lines.
//   - Recovery. A chunk that the parser rejects is dropped and the rest is
//     parsed again, so one bad function does not cost the whole file.
//   - Annotations. cgoguard comments are attached to the declaration beside
//     them (the C preprocessor would discard them).
//
// The scanner never has to be right for the analysis to be sound: a chunk it
// misclassifies is kept (or the parser fails and the unit is parsed again with
// every declaration kept), it only costs time.

type chunkKind uint8

const (
	ckDirective chunkKind = iota // a preprocessor line: always kept
	ckDecl                       // a declaration ending in ';' at top level
	ckFunc                       // a function definition
	ckOther                      // anything not understood: always kept
)

// A chunk is a byte range of the source.
type chunk struct {
	kind       chunkKind
	start, end int // byte offsets, [start, end)
	line, col  int // 1-based position of start
	endLine    int
	names      []string // ckFunc, ckDecl: identifiers followed by '(' in the head (candidate function names)
	static     bool     // the head says static
	typedef    bool     // ckDecl: contains typedef
	macroish   bool     // ckDecl: begins with IDENT '(' (a macro invocation at top level?)
	dirs       []span   // directives inside the chunk (in braces)
	dirsMatter bool     // a directive inside may matter outside (not only balanced #if groups): a dropped chunk leaves them
	bodyIdents map[string]bool
}

// span is a directive inside a chunk.
type span struct {
	start, end, line, col int
}

// annotation is a cgoguard comment: /* cgoguard:owned free_fn */,
// /* cgoguard:frees 0 */, /* cgoguard:keeps 1 */.
type annotation struct {
	verb string // owned, frees, keeps
	fn   string // owned: the deallocator ("" = free)
	args []int  // frees, keeps: parameter indices
	line int    // line of the comment in the scanned text
	err  string // malformed annotation
}

// fileScan is the result of scanning one source.
type fileScan struct {
	src         []byte
	chunks      []chunk
	annotations map[string][]annotation // function name → annotations beside its declarations
	badNotes    []annotation            // annotations that could not be attached or parsed
	openIfs     int                     // #if groups still open at the end of the text

	declIndex    map[string][]int // identifier → indices of ckDecl chunks mentioning it; built lazily
	declIdentsOf map[int][]string // ckDecl chunk → its identifiers (declIdents)
	funcIndex    map[string][]int // candidate name → indices of ckFunc chunks
	macroIndex   map[string][]int // macro name → indices of its #define directives
}

var cKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`auto break case char const continue default do double else enum extern
		float for goto if inline int long register restrict return short signed sizeof static struct switch
		typedef union unsigned void volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic
		_Noreturn _Static_assert _Thread_local __thread __inline __inline__ __restrict __restrict__ __volatile__
		__volatile __const __const__ __signed __signed__ __extension__ __attribute__ __attribute __typeof__
		__typeof typeof asm __asm__ __asm __declspec alignas alignof bool static_assert thread_local
		__int128 _Float16 _Float32 _Float64 _Float128 __label__ __builtin_va_arg __builtin_offsetof`) {
		m[k] = true
	}
	return m
}()

// attrWords introduce a parenthesised group whose identifiers are not names.
var attrWords = map[string]bool{
	"__attribute__": true, "__attribute": true, "__declspec": true, "__asm__": true, "asm": true,
	"__asm": true, "_Alignas": true, "alignas": true, "__typeof__": true, "__typeof": true, "typeof": true,
	"_Static_assert": true, "static_assert": true, "sizeof": true, "_Alignof": true, "alignof": true,
	"__alignof__": true, "_Atomic": true,
}

type ifFrame struct {
	depthAtIf, firstEnd int
	sawElse             bool
}

// scanner state for one pass.
type scanner struct {
	src  []byte
	off  int
	line int
	col0 int // offset of the current line's first byte

	fs *fileScan

	// current chunk
	pending              bool
	cStart, cLine, cCol  int
	depth                int
	paren                int
	inFunc               bool
	funcBrace            bool // the body brace was opened at depth 0 by something that looked like a function head
	names                []string
	static, typedef, eq  bool
	ntoks                int
	firstIdent, macroish bool
	attrUntil            int    // >0: inside an attribute's parens until paren drops below this
	lastKind             byte   // last significant token: 'i' ident, 's' string, ')' etc.
	lastIdent            []byte // a slice of src: no allocation per identifier
	interrupted          bool
	hasDir, nonCond      bool
	dirs                 []span
	condBal              int
	condBad              bool
	ifs                  []ifFrame

	leading []annotation // annotations waiting for the next declaration's name
}

// scanSource cuts src into chunks and collects annotations.
func scanSource(src []byte) *fileScan {
	s := &scanner{src: src, line: 1, fs: &fileScan{src: src, annotations: map[string][]annotation{}}}
	s.run()
	return s.fs
}

func (s *scanner) run() {
	bol := true // only blanks since the start of the line
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == '\n':
			s.newline()
			bol = true
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			s.off++
			continue
		case c == '\\' && s.off+1 < len(s.src) && s.src[s.off+1] == '\n':
			s.off++
			s.newline()
			continue
		case c == '/' && s.off+1 < len(s.src) && (s.src[s.off+1] == '/' || s.src[s.off+1] == '*'):
			s.comment(!bol)
			continue
		case c == '#' && bol:
			s.directive()
			bol = true
			continue
		}
		bol = false
		s.token()
	}
	if s.pending {
		s.endChunk(ckOther, s.off)
	}
	s.fs.openIfs = len(s.ifs)
	for _, a := range s.leading {
		if a.err == "" {
			a.err = "not followed by a declaration"
		}
		s.fs.badNotes = append(s.fs.badNotes, a)
	}
}

func (s *scanner) newline() {
	s.off++
	s.line++
	s.col0 = s.off
}

// comment skips a comment and records a cgoguard annotation in it.
// trailing reports code before it on the same line.
func (s *scanner) comment(trailing bool) {
	start, line := s.off, s.line
	if s.src[s.off+1] == '/' {
		for s.off < len(s.src) && s.src[s.off] != '\n' {
			if s.src[s.off] == '\\' && s.off+1 < len(s.src) && s.src[s.off+1] == '\n' {
				s.off++
				s.newline()
				continue
			}
			s.off++
		}
	} else {
		s.off += 2
		for s.off < len(s.src) && !(s.src[s.off] == '*' && s.off+1 < len(s.src) && s.src[s.off+1] == '/') {
			if s.src[s.off] == '\n' {
				s.newline()
				continue
			}
			s.off++
		}
		s.off = min(s.off+2, len(s.src))
	}
	text := s.src[start:s.off]
	i := bytes.Index(text, []byte("cgoguard:"))
	if i < 0 || s.depth > 0 {
		return
	}
	a := parseAnnotation(string(text[i+len("cgoguard:"):]), line)
	if a.verb == "" {
		return // e.g. cgoguard:ignore, which is for the Go side
	}
	if !trailing {
		s.leading = append(s.leading, a)
		return
	}
	// Beside a declaration: the chunk in progress, or the one that just ended on this line.
	switch {
	case s.pending && len(s.names) > 0:
		s.attach(s.names[0], a)
	case s.pending:
		s.leading = append(s.leading, a)
	case len(s.fs.chunks) > 0 && s.fs.chunks[len(s.fs.chunks)-1].endLine == line && len(s.fs.chunks[len(s.fs.chunks)-1].names) > 0:
		s.attach(s.fs.chunks[len(s.fs.chunks)-1].names[0], a)
	default:
		a.err = "not beside a function declaration"
		s.fs.badNotes = append(s.fs.badNotes, a)
	}
}

func (s *scanner) attach(name string, a annotation) {
	if a.err != "" {
		s.fs.badNotes = append(s.fs.badNotes, a)
		return
	}
	s.fs.annotations[name] = append(s.fs.annotations[name], a)
}

func parseAnnotation(text string, line int) annotation {
	text = strings.TrimSuffix(strings.TrimSpace(text), "*/")
	f := strings.Fields(text)
	if len(f) == 0 {
		return annotation{}
	}
	a := annotation{verb: f[0], line: line}
	switch a.verb {
	case "owned":
		if len(f) > 1 {
			a.fn = strings.Trim(f[1], "*/")
		}
	case "frees", "keeps":
		for _, w := range f[1:] {
			w = strings.Trim(w, ",*/")
			if w == "" {
				continue
			}
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 {
				break // free text after the indices
			}
			a.args = append(a.args, n)
		}
		if len(a.args) == 0 {
			a.err = "cgoguard:" + a.verb + " needs a parameter index"
		}
	default:
		return annotation{}
	}
	return a
}

// directive handles a preprocessor line starting at s.off ('#').
func (s *scanner) directive() {
	start, line, col := s.off, s.line, s.off-s.col0+1
	s.off++
	for s.off < len(s.src) && (s.src[s.off] == ' ' || s.src[s.off] == '\t') {
		s.off++
	}
	ws := s.off
	for s.off < len(s.src) && isIdentByte(s.src[s.off]) {
		s.off++
	}
	word := string(s.src[ws:s.off])
	// To the end of the logical line, through comments and strings.
	for s.off < len(s.src) && s.src[s.off] != '\n' {
		c := s.src[s.off]
		switch {
		case c == '\\' && s.off+1 < len(s.src) && s.src[s.off+1] == '\n':
			s.off++
			s.newline()
		case c == '\\' && s.off+2 < len(s.src) && s.src[s.off+1] == '\r' && s.src[s.off+2] == '\n':
			s.off += 2
			s.newline()
		case c == '/' && s.off+1 < len(s.src) && s.src[s.off+1] == '*':
			s.off += 2
			for s.off < len(s.src) && !(s.src[s.off] == '*' && s.off+1 < len(s.src) && s.src[s.off+1] == '/') {
				if s.src[s.off] == '\n' {
					s.newline()
					continue
				}
				s.off++
			}
			s.off = min(s.off+2, len(s.src))
		case c == '/' && s.off+1 < len(s.src) && s.src[s.off+1] == '/':
			for s.off < len(s.src) && s.src[s.off] != '\n' {
				s.off++
			}
		case c == '"' || c == '\'':
			s.quoted(c)
		default:
			s.off++
		}
	}
	end := s.off

	cond := false
	switch word {
	case "if", "ifdef", "ifndef":
		cond = true
		s.ifs = append(s.ifs, ifFrame{depthAtIf: s.depth})
		if s.inChunkBody() {
			s.condBal++
		}
	case "elif", "else", "elifdef", "elifndef":
		cond = true
		if n := len(s.ifs); n > 0 {
			f := &s.ifs[n-1]
			if !f.sawElse {
				f.sawElse, f.firstEnd = true, s.depth
			}
			// Braces are counted along the first branch only: the others
			// usually repeat its opening or closing with a variation.
			s.depth = f.depthAtIf
		}
		if s.inChunkBody() && s.condBal == 0 {
			s.condBad = true
		}
	case "endif":
		cond = true
		if n := len(s.ifs); n > 0 {
			if f := s.ifs[n-1]; f.sawElse {
				s.depth = f.firstEnd
			}
			s.ifs = s.ifs[:n-1]
		}
		if s.inChunkBody() {
			if s.condBal == 0 {
				s.condBad = true
			} else {
				s.condBal--
			}
		}
	}
	if s.inChunkBody() {
		s.hasDir = true
		if !cond {
			s.nonCond = true
		}
		s.dirs = append(s.dirs, span{start, end, line, col})
		return
	}
	// At top level a directive ends whatever was in progress.
	if s.pending {
		s.endChunk(ckOther, start)
		s.interrupted = true
	}
	s.fs.chunks = append(s.fs.chunks, chunk{kind: ckDirective, start: start, end: end, line: line, col: col, endLine: s.line})
}

// inChunkBody reports whether the scanner is inside braces of the current chunk.
func (s *scanner) inChunkBody() bool { return s.pending && s.depth > 0 }

func (s *scanner) quoted(q byte) {
	s.off++
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == '\\' && s.off+1 < len(s.src):
			if s.src[s.off+1] == '\n' {
				s.off++
				s.newline()
				continue
			}
			s.off += 2
		case c == q:
			s.off++
			return
		case c == '\n':
			return // unterminated: let the line end it
		default:
			s.off++
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

// token consumes one token at s.off (not blank, comment or directive).
func (s *scanner) token() {
	start := s.off
	c := s.src[s.off]
	if !s.pending {
		s.startChunk(start)
	}
	s.ntoks++
	switch {
	case isIdentByte(c) && !('0' <= c && c <= '9'):
		for s.off < len(s.src) && isIdentByte(s.src[s.off]) {
			s.off++
		}
		// String prefixes: L"x", u8"x".
		if s.off < len(s.src) && (s.src[s.off] == '"' || s.src[s.off] == '\'') && s.off-start <= 2 {
			s.quoted(s.src[s.off])
			s.setLast('s', nil)
			return
		}
		s.ident(s.src[start:s.off])
	case '0' <= c && c <= '9' || c == '.' && s.off+1 < len(s.src) && '0' <= s.src[s.off+1] && s.src[s.off+1] <= '9':
		for s.off < len(s.src) && (isIdentByte(s.src[s.off]) || s.src[s.off] == '.' ||
			(s.src[s.off] == '+' || s.src[s.off] == '-') && (s.src[s.off-1]|0x20 == 'e' || s.src[s.off-1]|0x20 == 'p')) {
			s.off++
		}
		s.setLast('n', nil)
	case c == '"' || c == '\'':
		s.quoted(c)
		s.setLast('s', nil)
	default:
		s.off++
		s.punct(c)
	}
}

func (s *scanner) setLast(k byte, id []byte) {
	if k == 'i' {
		s.lastIdent = id
	} else if k != 's' {
		s.lastIdent = nil // kept across a string literal, for extern "C"
	}
	s.lastKind = k
}

func (s *scanner) ident(id []byte) {
	if s.depth == 0 {
		if s.ntoks == 1 && !cKeywords[string(id)] {
			s.firstIdent = true
		}
		switch string(id) {
		case "typedef":
			s.typedef = true
		case "static":
			s.static = true
		}
	}
	s.setLast('i', id)
}

func (s *scanner) punct(c byte) {
	last, lastIdent := s.lastKind, s.lastIdent
	s.setLast(c, nil)
	if s.depth > 0 {
		switch c {
		case '{':
			s.depth++
		case '}':
			s.depth--
			if s.depth == 0 {
				switch {
				case s.inFunc && !s.interrupted:
					s.endChunk(ckFunc, s.off)
				case s.funcBrace:
					s.endChunk(ckOther, s.off)
				}
			}
		}
		return
	}
	switch c {
	case '(':
		if s.ntoks == 2 && s.firstIdent {
			s.macroish = true
		}
		if s.attrUntil == 0 && last == 'i' {
			if attrWords[string(lastIdent)] {
				s.attrUntil = s.paren + 1
			} else if !cKeywords[string(lastIdent)] {
				s.names = append(s.names, string(lastIdent))
			}
		}
		s.paren++
	case ')':
		if s.paren > 0 {
			s.paren--
		}
		if s.attrUntil > 0 && s.paren < s.attrUntil {
			s.attrUntil = 0
		}
	case '=':
		if s.paren == 0 {
			s.eq = true
		}
	case ';':
		if s.paren == 0 {
			if s.interrupted {
				s.endChunk(ckOther, s.off)
			} else {
				s.endChunk(ckDecl, s.off)
			}
		}
	case '{':
		if last == 's' && string(lastIdent) == "extern" {
			// extern "C" { ... }: a C++ wrapper around declarations; its braces do not nest them.
			s.endChunk(ckOther, s.off)
			return
		}
		if last == ')' && !s.eq && s.paren == 0 && len(s.names) > 0 {
			s.funcBrace = true
			s.inFunc = true
			s.hasDir, s.nonCond, s.condBal, s.condBad = false, false, 0, false
		}
		s.depth = 1
	case '}':
		// A stray closing brace (the end of extern "C" {, or a miscount): keep it as is.
		s.endChunk(ckOther, s.off)
	}
}

func (s *scanner) startChunk(off int) {
	s.pending = true
	s.cStart, s.cLine, s.cCol = off, s.line, off-s.col0+1
	s.depth, s.paren, s.inFunc, s.funcBrace = 0, 0, false, false
	s.names = nil
	s.static, s.typedef, s.eq, s.firstIdent, s.macroish = false, false, false, false, false
	s.ntoks, s.attrUntil = 0, 0
	s.hasDir, s.nonCond, s.condBal, s.condBad = false, false, 0, false
	s.dirs = nil
}

func (s *scanner) endChunk(kind chunkKind, end int) {
	ch := chunk{
		kind: kind, start: s.cStart, end: end, line: s.cLine, col: s.cCol, endLine: s.line,
		names: s.names, static: s.static, typedef: s.typedef, macroish: s.macroish,
	}
	ch.dirs = s.dirs
	ch.dirsMatter = s.hasDir && (s.nonCond || s.condBad || s.condBal != 0)
	s.interrupted = false
	for _, a := range s.leading {
		if len(ch.names) > 0 {
			s.attach(ch.names[0], a)
		} else {
			a.err = "not beside a function declaration"
			s.fs.badNotes = append(s.fs.badNotes, a)
		}
	}
	s.leading = nil
	s.fs.chunks = append(s.fs.chunks, ch)
	s.pending = false
	s.depth, s.paren = 0, 0
}

// funcChunks returns the indices of function definition chunks whose head
// names name.
func (fs *fileScan) funcChunks(name string) []int {
	if fs.funcIndex == nil {
		fs.funcIndex = map[string][]int{}
		for i := range fs.chunks {
			if fs.chunks[i].kind == ckFunc {
				for _, n := range fs.chunks[i].names {
					fs.funcIndex[n] = append(fs.funcIndex[n], i)
				}
			}
		}
	}
	return fs.funcIndex[name]
}

// macroChunks returns the indices of the #define directives of name.
func (fs *fileScan) macroChunks(name string) []int {
	if fs.macroIndex == nil {
		fs.macroIndex = map[string][]int{}
		for i := range fs.chunks {
			ch := &fs.chunks[i]
			if ch.kind != ckDirective {
				continue
			}
			if m := defineRE.FindSubmatch(fs.src[ch.start:ch.end]); m != nil {
				fs.macroIndex[string(m[1])] = append(fs.macroIndex[string(m[1])], i)
			}
		}
	}
	return fs.macroIndex[name]
}

var defineRE = regexp.MustCompile(`^#\s*define\s+([A-Za-z_$][A-Za-z_$0-9]*)`)

// declChunks returns the indices of declaration chunks that declare (or
// otherwise mention) ident.
func (fs *fileScan) declChunks(ident string) []int {
	if fs.declIndex == nil {
		fs.declIndex = map[string][]int{}
		fs.declIdentsOf = map[int][]string{}
		for i := range fs.chunks {
			if fs.chunks[i].kind != ckDecl {
				continue
			}
			ids := declIdents(fs.src[fs.chunks[i].start:fs.chunks[i].end])
			fs.declIdentsOf[i] = ids
			for _, id := range ids {
				fs.declIndex[id] = append(fs.declIndex[id], i)
			}
		}
	}
	return fs.declIndex[ident]
}

// declIdents returns the identifiers of declaration chunk i (see declIdents).
func (fs *fileScan) declIdents(i int) []string {
	fs.declChunks("")
	return fs.declIdentsOf[i]
}

// declIdents returns the distinct identifiers of a declaration, except those
// in the parameter list of a function declarator: a prototype is wanted for
// its name, not for its parameters' names, which every body reuses.
func declIdents(src []byte) []string {
	var out []string
	seen := map[string]bool{}
	skipUntil := -1 // paren depth below which identifiers count again
	paren := 0
	lastIdent := ""
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			i += 2
			for i < len(src) && !(src[i] == '*' && i+1 < len(src) && src[i+1] == '/') {
				i++
			}
			i += 2
			continue
		case c == '"' || c == '\'':
			i++
			for i < len(src) && src[i] != c && src[i] != '\n' {
				if src[i] == '\\' {
					i++
				}
				i++
			}
			i++
			lastIdent = ""
			continue
		case '0' <= c && c <= '9':
			for i < len(src) && (isIdentByte(src[i]) || src[i] == '.') {
				i++
			}
			lastIdent = ""
			continue
		case isIdentByte(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			id := string(src[i:j])
			i = j
			if cKeywords[id] {
				lastIdent = ""
				continue
			}
			if skipUntil < 0 && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
			lastIdent = id
			continue
		case c == '(':
			if lastIdent != "" && skipUntil < 0 {
				skipUntil = paren
			}
			paren++
		case c == ')':
			if paren > 0 {
				paren--
			}
			if paren == skipUntil {
				skipUntil = -1
			}
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			lastIdent = ""
		}
		i++
	}
	return out
}

// idents returns the identifiers in chunk i (cached).
func (fs *fileScan) idents(i int) map[string]bool {
	ch := &fs.chunks[i]
	if ch.bodyIdents == nil {
		ch.bodyIdents = map[string]bool{}
		forIdents(fs.src[ch.start:ch.end], func(id string) { ch.bodyIdents[id] = true })
	}
	return ch.bodyIdents
}

// forIdents calls f for every identifier outside comments, strings and
// character constants in src (directive lines included: their macros name things too).
func forIdents(src []byte, f func(string)) {
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			i += 2
			for i < len(src) && !(src[i] == '*' && i+1 < len(src) && src[i+1] == '/') {
				i++
			}
			i += 2
		case c == '"' || c == '\'':
			i++
			for i < len(src) && src[i] != c && src[i] != '\n' {
				if src[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case '0' <= c && c <= '9':
			for i < len(src) && (isIdentByte(src[i]) || src[i] == '.') {
				i++
			}
		case isIdentByte(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			if !cKeywords[string(src[i:j])] {
				f(string(src[i:j]))
			}
			i = j
		default:
			i++
		}
	}
}
