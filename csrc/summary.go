package csrc

import (
	"bytes"
	"fmt"
	"go/token"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	cc "modernc.org/cc/v4"
)

// nodeKey identifies a function: its definition in a unit, or (unit nil)
// a function known only by declarations or by the knowledge base.
type nodeKey struct {
	t    *tunit
	name string
}

type fnNode struct {
	key      nodeKey
	name     string
	t        *tunit
	ir       *fnIR
	fn       *Func
	partial  string
	done     bool
	callees  map[string]*fnNode // resolved on first need
	fd       *cc.FunctionDefinition
	locks    *lockSum // the lockset summary (locks.go), computed on first need
	lockBusy bool     // locks being computed: a recursive call contributes nothing
	// Tarjan's algorithm state.
	epoch, index, low int
	onStack           bool
}

// declInfo is what one declaration (or definition) of a function says.
type declInfo struct {
	pos     token.Position
	malloc  bool   // __attribute__((malloc)) or ((malloc(dealloc)))
	dealloc string // the deallocator named by malloc(dealloc), if any
	params  []string
	isDef   bool
}

// deallocAttr is a deallocator named by __attribute__((malloc(dealloc, n))).
type deallocAttr struct {
	param int
	pos   token.Position
}

// recordDecl notes a declaration of a function seen in a parse.
func (m *Model) recordDecl(name string, ds *cc.DeclarationSpecifiers, d *cc.Declarator, attrs *cc.AttributeSpecifierList, isDef bool) {
	pos := token.Position(d.NameTok().Position())
	key := fmt.Sprintf("%s@%s:%d:%d", name, pos.Filename, pos.Line, pos.Column)
	if m.declSeen[key] {
		return
	}
	m.declSeen[key] = true
	di := &declInfo{pos: pos, isDef: isDef}
	visit := func(l *cc.AttributeSpecifierList) {
		for ; l != nil; l = l.AttributeSpecifierList {
			as := l.AttributeSpecifier
			if as == nil {
				continue
			}
			for vl := as.AttributeValueList; vl != nil; vl = vl.AttributeValueList {
				av := vl.AttributeValue
				if av == nil {
					continue
				}
				switch av.Token.SrcStr() {
				case "malloc", "__malloc__":
					di.malloc = true
					if args := av.ArgumentExpressionList; args != nil {
						if p, ok := args.AssignmentExpression.(*cc.PrimaryExpression); ok && p.Case == cc.PrimaryExpressionIdent {
							di.dealloc = p.Token.SrcStr()
							// malloc(dealloc, n): dealloc releases its argument n (1-based).
							idx := 0
							if next := args.ArgumentExpressionList; next != nil {
								if q, ok := next.AssignmentExpression.(*cc.PrimaryExpression); ok && q.Case == cc.PrimaryExpressionInt {
									if v, err := strconv.Atoi(q.Token.SrcStr()); err == nil && v > 0 {
										idx = v - 1
									}
								}
							}
							if _, ok := m.attrDeallocs[di.dealloc]; !ok {
								m.attrDeallocs[di.dealloc] = deallocAttr{idx, pos}
							}
						}
					}
				}
			}
		}
	}
	for s := ds; s != nil; s = s.DeclarationSpecifiers {
		if s.Case == cc.DeclarationSpecifiersAttr {
			visit(s.AttributeSpecifierList)
		}
	}
	visit(attrs)
	if dd := funcDD(d.DirectDeclarator, 0); dd != nil && dd.ParameterTypeList != nil {
		for pl := dd.ParameterTypeList.ParameterList; pl != nil; pl = pl.ParameterList {
			if pd := pl.ParameterDeclaration; pd != nil {
				if pd.Declarator == nil && pd.AbstractDeclarator == nil && isVoid(pd.DeclarationSpecifiers) && pl.ParameterList == nil && len(di.params) == 0 {
					break
				}
				n := ""
				if pd.Declarator != nil {
					n = pd.Declarator.Name()
				}
				di.params = append(di.params, n)
			}
		}
	} else if dd != nil {
		for il := dd.IdentifierList; il != nil; il = il.IdentifierList {
			n := il.Token2.SrcStr()
			if n == "" {
				n = il.Token.SrcStr()
			}
			di.params = append(di.params, n)
		}
	}
	m.decls[name] = append(m.decls[name], di)
}

// Func returns the summary of the C function name, computing it (and the
// summaries of what it calls) on first request. It returns nil when name is
// not known as a C function: not defined or declared in the package's C
// code or its headers, and unknown to the knowledge base.
func (m *Model) Func(name string) (f *Func) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.funcs[name]; ok {
		return f
	}
	defer func() {
		if r := recover(); r != nil {
			m.problem(fmt.Sprintf("cgoguard internal error summarising C function %s: %v\n%s", name, r, debug.Stack()))
			f = &Func{Name: name, Partial: fmt.Sprintf("internal error: %v", r)}
			m.funcs[name] = f
		}
	}()
	n := m.findGo(name)
	if n == nil {
		m.funcs[name] = nil
		return nil
	}
	m.summarize(n)
	m.funcs[name] = n.fn
	return n.fn
}

// Global reports whether name is a C variable of file scope (global or
// static) in one of the package's translation units or their headers.
func (m *Model) Global(name string) (ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			m.problem(fmt.Sprintf("cgoguard internal error looking up C global %s: %v", name, r))
			ok = false
		}
	}()
	if m.globals[name] {
		return true
	}
	for _, t := range m.tus {
		t.ensure(name)
		if m.globals[name] {
			return true
		}
	}
	return false
}

// findGo finds the function that Go's C.name refers to.
func (m *Model) findGo(name string) *fnNode {
	// Every preamble sees the name: Go's declarations of it are there.
	for _, t := range m.tus {
		if t.preamble {
			t.ensure(name)
		}
	}
	// An external definition: in a preamble or a .c file.
	for _, t := range m.tus {
		for _, i := range t.scan.funcChunks(name) {
			if t.scan.chunks[i].static && !t.preamble {
				continue
			}
			if n := m.defNode(t, name); n != nil {
				return n
			}
		}
	}
	// A definition the preprocessor brought in (a header's inline function,
	// a macro-made definition).
	for _, t := range m.tus {
		if t.ensure(name); t.defs[name] != nil {
			return m.defNode(t, name)
		}
	}
	if !m.allBodies && len(m.decls[name]) == 0 && !m.globals[name] && m.mentioned(name) {
		m.allBodies = true
		for _, t := range m.tus {
			if t.failed == "" && !t.allBodies {
				t.allBodies = true
				t.parse()
			}
			if t.defs[name] != nil {
				return m.defNode(t, name)
			}
		}
	}
	return m.declNode(name)
}

// mentioned reports whether name occurs followed by '(' in the text of a
// unit or a scanned file: a definition a macro makes would have it so.
func (m *Model) mentioned(name string) bool {
	for _, fs := range m.files {
		if fs == nil {
			continue
		}
		src := fs.src
		for {
			i := bytes.Index(src, []byte(name))
			if i < 0 {
				break
			}
			before := i == 0 || !isIdentByte(src[i-1])
			src = src[i+len(name):]
			if !before || len(src) > 0 && isIdentByte(src[0]) {
				continue
			}
			if rest := bytes.TrimLeft(src, " \t\r\n"); len(rest) > 0 && (rest[0] == '(' || rest[0] == ')') {
				return true // name( or (name)(, or an argument of a macro: FN(name)
			}
		}
	}
	return false
}

// defNode returns the node of name's definition in unit t (parsing what is
// needed), a scanner-only node when the definition cannot be parsed, or nil.
func (m *Model) defNode(t *tunit, name string) *fnNode {
	key := nodeKey{t, name}
	if n := m.nodes[key]; n != nil {
		return n
	}
	t.ensure(name)
	if t.failed == "" {
		if fd := t.defs[name]; fd != nil {
			n := &fnNode{key: key, name: name, t: t, fd: fd}
			n.ir = t.buildIR(fd)
			m.nodes[key] = n
			return n
		}
	}
	for _, i := range t.scan.funcChunks(name) {
		if t.failed != "" || t.dropped[i] {
			ch := &t.scan.chunks[i]
			reason := "its C file could not be parsed"
			if t.failed == "" {
				reason = "its definition could not be parsed"
			}
			n := &fnNode{key: key, name: name, t: t, partial: reason}
			n.fn = &Func{Name: name, Defined: true, Params: headParams(t.text[ch.start:ch.end], name), Partial: reason,
				Pos: token.Position{Filename: t.fileName, Line: ch.line + t.lineBase, Column: ch.col}}
			m.nodes[key] = n
			return n
		}
	}
	return nil
}

// declNode returns the node of a function known by declarations or by the
// knowledge base only, or nil.
func (m *Model) declNode(name string) *fnNode {
	key := nodeKey{nil, name}
	if n := m.nodes[key]; n != nil {
		return n
	}
	if _, ok := m.attrDeallocs[name]; !ok && len(m.decls[name]) == 0 && !m.dbKnows(name) {
		return nil
	}
	n := &fnNode{key: key, name: name}
	m.nodes[key] = n
	return n
}

func (m *Model) dbKnows(name string) bool {
	if a, ok := m.db.Allocator(name); ok && !a.Builtin {
		return true
	}
	if _, ok := m.db.Deallocator(name); ok {
		return true
	}
	if _, ok := m.db.ThreadCreator(name); ok {
		return true
	}
	return m.db.Blocking(name) || m.db.ThreadLocalResult(name) || len(m.db.TakesOwnership(name)) > 0
}

// resolve returns the node a call of name in unit t reaches, or nil.
func (m *Model) resolve(t *tunit, name string) *fnNode {
	if n := m.nodes[nodeKey{t, name}]; n != nil {
		return n
	}
	if len(t.scan.funcChunks(name)) > 0 || t.defs[name] != nil {
		if n := m.defNode(t, name); n != nil {
			return n
		}
	}
	for _, u := range m.tus {
		if u == t {
			continue
		}
		for _, i := range u.scan.funcChunks(name) {
			if !u.scan.chunks[i].static {
				if n := m.defNode(u, name); n != nil {
					return n
				}
			}
		}
	}
	return m.declNode(name)
}

// headParams extracts parameter names from a function definition's head
// text, for a definition that could not be parsed.
func headParams(src []byte, name string) []string {
	i := bytes.Index(src, []byte(name))
	if i < 0 {
		return nil
	}
	src = src[i+len(name):]
	open := bytes.IndexByte(src, '(')
	if open < 0 {
		return nil
	}
	depth, start := 0, open+1
	var parts [][]byte
	for k := open; k < len(src); k++ {
		switch src[k] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				parts = append(parts, src[start:k])
				goto done
			}
		case ',':
			if depth == 1 {
				parts = append(parts, src[start:k])
				start = k + 1
			}
		}
	}
	return nil
done:
	if len(parts) == 1 && strings.TrimSpace(string(parts[0])) == "void" {
		return nil
	}
	var out []string
	for _, p := range parts {
		words, last := 0, ""
		for _, w := range bytes.FieldsFunc(p, func(r rune) bool { return !isIdentByte(byte(r)) || r > 0x7f }) {
			if c := w[0]; '0' <= c && c <= '9' {
				continue
			}
			words++
			last = string(w)
		}
		if words < 2 || cKeywords[last] {
			last = "" // a type alone: unnamed
		}
		out = append(out, last)
	}
	return out
}

// summarize computes the summary of n and of everything it reaches.
func (m *Model) summarize(n *fnNode) {
	if n.done {
		return
	}
	m.epoch++
	s := &tarjan{m: m, epoch: m.epoch}
	s.visit(n, 0)
}

type tarjan struct {
	m     *Model
	epoch int
	next  int
	stack []*fnNode
}

func (s *tarjan) visit(n *fnNode, depth int) {
	n.epoch, n.index, n.low = s.epoch, s.next, s.next
	s.next++
	s.stack = append(s.stack, n)
	n.onStack = true
	for _, c := range s.m.succs(n) {
		if c.done {
			continue
		}
		if c.epoch != s.epoch {
			if depth > 10000 {
				continue // absurdly deep call chain: treat the callee as unknown
			}
			s.visit(c, depth+1)
			n.low = min(n.low, c.low)
		} else if c.onStack {
			n.low = min(n.low, c.index)
		}
	}
	if n.low != n.index {
		return
	}
	var scc []*fnNode
	for {
		k := len(s.stack) - 1
		c := s.stack[k]
		s.stack = s.stack[:k]
		c.onStack = false
		scc = append(scc, c)
		if c == n {
			break
		}
	}
	s.m.solve(scc)
}

// succs returns the resolved callees of n.
func (m *Model) succs(n *fnNode) []*fnNode {
	if n.ir == nil {
		return nil
	}
	if n.callees == nil {
		n.callees = map[string]*fnNode{}
		// One parse for all the callees of the unit not yet parsed (calls
		// that macros made are not in the raw text the closure came from).
		var names []string
		for _, c := range n.ir.calls {
			if c.callee != "" {
				names = append(names, c.callee)
			}
		}
		n.t.ensure(names...)
		for _, c := range n.ir.calls {
			if c.callee == "" {
				continue
			}
			if _, ok := n.callees[c.callee]; ok {
				continue
			}
			n.callees[c.callee] = m.resolve(n.t, c.callee)
		}
	}
	names := make([]string, 0, len(n.callees))
	for k, c := range n.callees {
		if c != nil {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make([]*fnNode, len(names))
	for i, k := range names {
		out[i] = n.callees[k]
	}
	return out
}

// solve computes the summaries of one strongly connected component of the
// call graph, whose callees outside it are done: facts only grow, so
// iterating to a fixed point terminates.
func (m *Model) solve(scc []*fnNode) {
	for _, n := range scc {
		if n.fn == nil {
			n.fn = m.base(n)
		}
	}
	for iter := 0; iter < 100; iter++ {
		changed := false
		for _, n := range scc {
			if n.ir != nil && m.transfer(n) {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, n := range scc {
		n.done = true
	}
}

// base returns n's summary before its body is considered: what is known of
// the function itself (annotations, knowledge base, declarations).
func (m *Model) base(n *fnNode) *Func {
	f := &Func{Name: n.name, Defined: n.ir != nil}
	if n.ir != nil {
		f.Pos = n.ir.pos
		for _, p := range n.ir.params {
			f.Params = append(f.Params, p.name)
		}
	}
	decls := m.decls[n.name]
	if !f.Defined && len(decls) > 0 {
		f.Pos = decls[0].pos
		f.Params = decls[0].params
		for _, d := range decls {
			if d.isDef { // a definition whose body was not analysed (e.g. another unit's static)
				f.Pos, f.Params = d.pos, d.params
				break
			}
		}
	}
	f.Partial = n.partial
	via := []string{n.name}
	set := func(dst **Evidence, note string, pos token.Position) bool {
		if *dst != nil {
			return false
		}
		*dst = &Evidence{Via: via, Pos: pos, Note: note}
		return true
	}
	setParam := func(mp *map[int]*Evidence, i int, note string, pos token.Position) {
		if *mp == nil {
			*mp = map[int]*Evidence{}
		}
		if (*mp)[i] == nil {
			(*mp)[i] = &Evidence{Via: via, Pos: pos, Note: note}
		}
	}
	// Annotations first: the author's word.
	for _, d := range decls {
		for _, a := range m.annotations(d.pos.Filename, n.name) {
			pos := token.Position{Filename: d.pos.Filename, Line: a.line + m.lineBase(d.pos.Filename)}
			switch a.verb {
			case "owned":
				if set(&f.ReturnsOwned, "annotated cgoguard:owned", pos) {
					f.Dealloc = a.fn
				}
			case "frees":
				for _, i := range a.args {
					setParam(&f.FreesParam, i, "annotated cgoguard:frees", pos)
				}
			case "keeps":
				for _, i := range a.args {
					if f.StoresParam[i] == nil {
						setStore(f, i, tGlobal, where{}, &Evidence{Via: via, Pos: pos, Note: "annotated cgoguard:keeps"})
					}
				}
			}
		}
	}
	if a, ok := m.db.Allocator(n.name); ok && !a.Builtin {
		if set(&f.ReturnsOwned, n.name+" returns memory the caller must free (knowledge base)", token.Position{}) {
			f.Dealloc = a.Dealloc
		}
	}
	if d, ok := m.db.Deallocator(n.name); ok {
		setParam(&f.FreesParam, d.Param, fmt.Sprintf("%s releases its argument %d (knowledge base)", n.name, d.Param), token.Position{})
	}
	for _, i := range m.db.TakesOwnership(n.name) {
		setParam(&f.FreesParam, i, fmt.Sprintf("%s takes ownership of its argument %d (configuration)", n.name, i), token.Position{})
	}
	if tc, ok := m.db.ThreadCreator(n.name); ok && tc.Arg >= 0 {
		setStore(f, tc.Arg, tGlobal, where{}, &Evidence{Via: via, Note: fmt.Sprintf("%s hands its argument %d to the new thread", n.name, tc.Arg)})
	}
	if d, ok := m.attrDeallocs[n.name]; ok {
		setParam(&f.FreesParam, d.param, fmt.Sprintf("%s is the deallocator named by __attribute__((malloc(%s, %d)))", n.name, n.name, d.param+1), d.pos)
	}
	if m.db.Blocking(n.name) {
		set(&f.MayBlock, n.name+" may block its thread (knowledge base)", token.Position{})
	}
	if m.db.ThreadLocalResult(n.name) {
		set(&f.ReturnsThreadLocal, n.name+" returns a pointer into thread-local storage (knowledge base)", token.Position{})
	}
	for _, d := range decls {
		if d.malloc && set(&f.ReturnsOwned, n.name+" is declared __attribute__((malloc))", d.pos) {
			f.Dealloc = d.dealloc
		}
	}
	if f.ReturnsOwned != nil && f.Dealloc == "" {
		f.Dealloc = "free"
	}
	return f
}

// annotations returns the cgoguard annotations for name in file.
func (m *Model) annotations(file, name string) []annotation {
	fs, ok := m.files[file]
	if !ok {
		data, err := os.ReadFile(file)
		if err != nil {
			m.files[file] = nil
			return nil
		}
		fs = scanSource(data)
		m.files[file] = fs
		reportNotes(m, fs, file, 0)
	}
	if fs == nil {
		return nil
	}
	return fs.annotations[name]
}

func (m *Model) lineBase(file string) int {
	for _, t := range m.tus {
		if t.fileName == file {
			return t.lineBase
		}
	}
	return 0
}
