package ownership

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"
)

// Block states, a set per abstract block.
const (
	sUnalloc     uint8 = 1 << iota // not (yet) allocated, or nil
	sOwned                         // allocated, this function must release it
	sFreed                         // released
	sDeferFreed                    // a deferred call will release it at exit
	sTransferred                   // someone else owns it now
)

// block is one abstract C memory block: an allocation site, or (when
// summarising) a parameter.
type block struct {
	id      int
	site    ast.Node // allocating call, or the parameter's identifier
	name    string   // the variable it is bound to, for messages
	alloc   string   // what allocated it, e.g. "C.CString"
	dealloc string   // what releases it
	size    int64    // bytes, -1 if unknown
	cbytes  bool     // from C.CBytes: no NUL terminator
	param   int      // parameter index, or -1
}

type state []uint8

func (s state) clone() state { return append(state(nil), s...) }

// funcAnalysis is the data-flow over one function body.
type funcAnalysis struct {
	a       *pkgAnalysis
	body    *ast.BlockStmt
	summary bool // computing facts, not findings
	cgo     bool // the body calls C or unsafe functions

	exitEndsProcess bool // main.main: returning ends the process
	blocks          []*block
	siteOf          map[*ast.CallExpr]*block
	pointsTo        map[*types.Var][]int
	g               *cfg.CFG
	in              map[*cfg.Block]state
	loopDefs        map[*ast.DeferStmt]ast.Node // defers inside a loop: the innermost loop's body
	names           map[int]int                 // how many local variables may point to each block
	freeSite        map[int]token.Pos           // a release of each block, for messages
	async           map[int]token.Pos           // releases done by a goroutine

	reporting    bool
	findings     []Finding
	seen         map[string]bool
	leaked       map[int]bool
	returnsOwned *ReturnsOwned
	exitStates   []state
}

func newFuncAnalysis(a *pkgAnalysis, body *ast.BlockStmt, typ *ast.FuncType, summary bool) *funcAnalysis {
	fa := &funcAnalysis{
		a: a, body: body, summary: summary,
		siteOf:   map[*ast.CallExpr]*block{},
		pointsTo: map[*types.Var][]int{},
		in:       map[*cfg.Block]state{},
		loopDefs: map[*ast.DeferStmt]ast.Node{},
		freeSite: map[int]token.Pos{},
		async:    map[int]token.Pos{},
		seen:     map[string]bool{},
		leaked:   map[int]bool{},
	}
	if summary && typ.Params != nil {
		i := 0
		for _, field := range typ.Params.List {
			names := field.Names
			if len(names) == 0 {
				i++
				continue
			}
			for _, id := range names {
				if obj, ok := a.v.Info.Defs[id].(*types.Var); ok && isPointerish(obj.Type()) {
					b := fa.newBlock(id, id.Name, "parameter", "free", -1)
					b.param = i
					fa.pointsTo[obj] = []int{b.id}
				}
				i++
			}
		}
	}
	fa.discover()
	fa.g = cfg.New(body, func(call *ast.CallExpr) bool { return !a.noReturn(call) })
	return fa
}

func isPointerish(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	}
	return false
}

func (fa *funcAnalysis) newBlock(site ast.Node, name, alloc, dealloc string, size int64) *block {
	b := &block{id: len(fa.blocks), site: site, name: name, alloc: alloc, dealloc: dealloc, size: size, param: -1}
	fa.blocks = append(fa.blocks, b)
	return b
}

// discover finds allocation sites and computes, flow-insensitively, which
// local variables may point to which blocks.
func (fa *funcAnalysis) discover() {
	v := fa.a.v
	var loops []ast.Node
	var walk func(n ast.Node) bool
	walk = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // its own analysis
		case *ast.ForStmt, *ast.RangeStmt:
			loops = append(loops, bodyOf(n))
			ast.Inspect(bodyOf(n), walk)
			loops = loops[:len(loops)-1]
			// Init, cond and post of a for loop, and the range expression.
			switch s := n.(type) {
			case *ast.ForStmt:
				for _, x := range []ast.Node{s.Init, s.Cond, s.Post} {
					if x != nil {
						ast.Inspect(x, walk)
					}
				}
			case *ast.RangeStmt:
				ast.Inspect(s.X, walk)
			}
			return false
		case *ast.DeferStmt:
			if len(loops) > 0 {
				fa.loopDefs[n] = loops[len(loops)-1]
			}
		case *ast.CallExpr:
			if _, ok := v.CCall(n); ok {
				fa.cgo = true
			} else if _, ok := fa.unsafeFunc(n); ok {
				fa.cgo = true
			}
			if info := fa.a.allocation(n); info != nil {
				b := fa.newBlock(n, "", info.name, info.dealloc, info.size)
				b.cbytes = info.cbytes
				fa.siteOf[n] = b
			}
		}
		return true
	}
	ast.Inspect(fa.body, walk)

	// Points-to: iterate assignments to a fixed point (sets only grow).
	type edge struct {
		lhs *types.Var
		rhs ast.Expr
	}
	var edges []edge
	ast.Inspect(fa.body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, l := range n.Lhs {
					if lv := fa.localVar(l); lv != nil {
						edges = append(edges, edge{lv, n.Rhs[i]})
					}
				}
			}
		case *ast.ValueSpec:
			if len(n.Names) == len(n.Values) {
				for i, id := range n.Names {
					if lv, ok := v.Info.Defs[id].(*types.Var); ok {
						edges = append(edges, edge{lv, n.Values[i]})
					}
				}
			}
		}
		return true
	})
	defer func() {
		fa.names = map[int]int{}
		for _, ids := range fa.pointsTo {
			for _, id := range ids {
				fa.names[id]++
			}
		}
	}()
	for changed := true; changed; {
		changed = false
		for _, e := range edges {
			for _, id := range fa.refs(e.rhs) {
				if !contains(fa.pointsTo[e.lhs], id) {
					fa.pointsTo[e.lhs] = append(fa.pointsTo[e.lhs], id)
					if fa.blocks[id].name == "" {
						fa.blocks[id].name = e.lhs.Name()
					}
					changed = true
				}
			}
		}
	}
}

func bodyOf(n ast.Node) ast.Node {
	switch s := n.(type) {
	case *ast.ForStmt:
		return s.Body
	case *ast.RangeStmt:
		return s.Body
	}
	return n
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// localVar returns the variable e names when it is declared in this body
// (including parameters when summarising); nil otherwise.
func (fa *funcAnalysis) localVar(e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	obj := fa.a.v.Info.ObjectOf(id)
	lv, ok := obj.(*types.Var)
	if !ok || lv.IsField() || lv.Parent() == fa.a.v.Pkg.Scope() {
		return nil
	}
	if _, tracked := fa.pointsTo[lv]; tracked {
		return lv
	}
	if lv.Pos() < fa.body.Pos() || lv.Pos() >= fa.body.End() {
		return nil // captured from an enclosing function
	}
	return lv
}

// refs returns the blocks e may point to, looking through parentheses,
// conversions and pointer arithmetic.
func (fa *funcAnalysis) refs(e ast.Expr) []int {
	e = ast.Unparen(e)
	switch e := e.(type) {
	case *ast.Ident:
		if lv := fa.localVar(e); lv != nil {
			return fa.pointsTo[lv]
		}
	case *ast.UnaryExpr:
		// &p.f, &p.f.g: a pointer into p's block (git2go stores
		// &ccred.parent, the embedded header, to hand the block over).
		if e.Op != token.AND {
			break
		}
		x := ast.Unparen(e.X)
		for {
			sel, ok := x.(*ast.SelectorExpr)
			if !ok {
				break
			}
			if s := fa.a.v.Info.Selections[sel]; s == nil || s.Kind() != types.FieldVal {
				return nil
			}
			x = ast.Unparen(sel.X)
			if _, ok := fa.a.v.Info.TypeOf(x).Underlying().(*types.Pointer); ok {
				return fa.refs(x)
			}
		}
	case *ast.CallExpr:
		if b := fa.siteOf[e]; b != nil {
			return []int{b.id}
		}
		if fa.isConversion(e) && len(e.Args) == 1 {
			return fa.refs(e.Args[0])
		}
		if name, ok := fa.unsafeFunc(e); ok && (name == "Add" || name == "Slice") && len(e.Args) > 0 {
			return fa.refs(e.Args[0])
		}
	}
	return nil
}

func (fa *funcAnalysis) isConversion(call *ast.CallExpr) bool {
	tv, ok := fa.a.v.Info.Types[call.Fun]
	return ok && tv.IsType()
}

// unsafeFunc reports a call of unsafe.Add, unsafe.Slice, ...
func (fa *funcAnalysis) unsafeFunc(call *ast.CallExpr) (string, bool) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", false
	}
	pn, ok := fa.a.v.Info.Uses[id].(*types.PkgName)
	if !ok || pn.Imported().Path() != "unsafe" {
		return "", false
	}
	return sel.Sel.Name, true
}

// solve runs the data-flow to a fixed point, then once more to report.
func (fa *funcAnalysis) solve() {
	if len(fa.blocks) == 0 && !fa.cgo {
		return
	}
	entry := make(state, len(fa.blocks))
	for i, b := range fa.blocks {
		if b.param >= 0 {
			entry[i] = sOwned
		} else {
			entry[i] = sUnalloc
		}
	}
	fa.in[fa.g.Blocks[0]] = entry
	work := []*cfg.Block{fa.g.Blocks[0]}
	for len(work) > 0 {
		b := work[0]
		work = work[1:]
		out := fa.transfer(b, fa.in[b].clone())
		for i, s := range b.Succs {
			o := fa.refine(b, i, out)
			old, ok := fa.in[s]
			if !ok {
				fa.in[s] = o.clone()
				work = append(work, s)
				continue
			}
			grown := false
			for j := range old {
				if old[j]|o[j] != old[j] {
					old[j] |= o[j]
					grown = true
				}
			}
			if grown {
				work = append(work, s)
			}
		}
	}
	fa.reporting = true
	for _, b := range fa.g.Blocks {
		if st, ok := fa.in[b]; ok {
			fa.transfer(b, st.clone())
		}
	}
}

// transfer applies the effects of b's nodes to st and returns it; at an exit
// it also checks for leaks.
func (fa *funcAnalysis) transfer(b *cfg.Block, st state) state {
	for _, n := range b.Nodes {
		fa.node(n, st)
	}
	if len(b.Succs) == 0 && fa.isExit(b) {
		fa.exit(b, st)
	}
	return st
}

func (fa *funcAnalysis) isExit(b *cfg.Block) bool {
	if len(b.Nodes) == 0 {
		return true
	}
	if es, ok := b.Nodes[len(b.Nodes)-1].(*ast.ExprStmt); ok {
		if call, ok := es.X.(*ast.CallExpr); ok && fa.a.noReturn(call) {
			return false
		}
	}
	return true
}

// refine narrows the state along a branch on "p == nil" or "p != nil".
func (fa *funcAnalysis) refine(b *cfg.Block, succ int, st state) state {
	if len(b.Succs) != 2 || len(b.Nodes) == 0 {
		return st
	}
	cond, ok := b.Nodes[len(b.Nodes)-1].(ast.Expr)
	if !ok {
		return st
	}
	be, ok := ast.Unparen(cond).(*ast.BinaryExpr)
	if !ok || (be.Op != token.EQL && be.Op != token.NEQ) {
		return st
	}
	x := be.X
	if isNil(fa.a.v.Info, be.X) {
		x = be.Y
	} else if !isNil(fa.a.v.Info, be.Y) {
		return st
	}
	ids := fa.refs(x)
	if len(ids) == 0 {
		return st
	}
	isNilBranch := (be.Op == token.EQL) == (succ == 0)
	st = st.clone()
	for _, id := range ids {
		if isNilBranch {
			st[id] = sUnalloc
		} else if st[id]&^sUnalloc != 0 {
			st[id] &^= sUnalloc
		}
	}
	return st
}

func isNil(info *types.Info, e ast.Expr) bool {
	tv, ok := info.Types[ast.Unparen(e)]
	return ok && tv.IsNil()
}

// exit checks the blocks still owned when the function returns.
func (fa *funcAnalysis) exit(b *cfg.Block, st state) {
	if fa.summary {
		fa.exitStates = append(fa.exitStates, st.clone())
		return
	}
	if fa.exitEndsProcess {
		return
	}
	var ret ast.Node
	if len(b.Nodes) > 0 {
		if r, ok := b.Nodes[len(b.Nodes)-1].(*ast.ReturnStmt); ok {
			ret = r
		}
	}
	for id, s := range st {
		blk := fa.blocks[id]
		if s&sOwned == 0 || blk.param >= 0 || fa.leaked[id] {
			continue
		}
		if !fa.reporting {
			continue
		}
		fa.leaked[id] = true
		where := "the function may end"
		pos, end := fa.body.Rbrace, fa.body.Rbrace+1
		if ret != nil && ret.Pos() != fa.body.Rbrace {
			where = "this return may be reached"
			pos, end = ret.Pos(), ret.End()
		}
		name := blk.name
		if name == "" {
			name = "the result of " + blk.alloc
		}
		msg := fmt.Sprintf("%s without freeing %s, allocated by %s at line %d", where, name, blk.alloc, fa.line(blk.site.Pos()))
		fa.find(Finding{Kind: Leak, Pos: pos, End: end, Message: msg + "; release it on every path (" + fa.fixHint(blk) + ")",
			Related: []analysis.RelatedInformation{{Pos: blk.site.Pos(), End: blk.site.End(), Message: "allocated here"}},
			Fixes:   fa.deferFix(blk)})
	}
}

func (fa *funcAnalysis) fixHint(blk *block) string {
	name := blk.name
	if name == "" {
		name = "p"
	}
	if blk.dealloc == "free" {
		return "defer C.free(unsafe.Pointer(" + name + "))"
	}
	return "defer C." + blk.dealloc + "(" + name + ")"
}

func (fa *funcAnalysis) line(p token.Pos) int { return fa.a.v.Fset.Position(p).Line }

func (fa *funcAnalysis) find(f Finding) {
	if !fa.reporting || fa.summary {
		return
	}
	key := fmt.Sprintf("%d/%d", f.Kind, f.Pos)
	if fa.seen[key] {
		return
	}
	fa.seen[key] = true
	fa.findings = append(fa.findings, f)
}

func (fa *funcAnalysis) report() []Finding { return fa.findings }

// paramEffects returns the parameters released on every exit path, and those
// only read on every path.
func (fa *funcAnalysis) paramEffects() (frees, borrows []int) {
	for _, b := range fa.blocks {
		if b.param < 0 || len(fa.exitStates) == 0 {
			continue
		}
		freed, borrowed := true, true
		for _, st := range fa.exitStates {
			s := st[b.id]
			if s&(sFreed|sDeferFreed) == 0 || s&(sOwned|sTransferred) != 0 {
				freed = false
			}
			if s&^(sOwned|sUnalloc) != 0 {
				borrowed = false
			}
		}
		if freed {
			frees = append(frees, b.param)
		} else if borrowed {
			borrows = append(borrows, b.param)
		}
	}
	return frees, borrows
}

// deferFix offers "defer C.free(unsafe.Pointer(x))" after "x := alloc(...)"
// when that statement sits directly in the function body and x is never
// released elsewhere (else the fix would free twice).
func (fa *funcAnalysis) deferFix(blk *block) []analysis.SuggestedFix {
	if blk.name == "" || blk.dealloc != "free" || len(fa.freeSite) > 0 && fa.freeSite[blk.id] != token.NoPos {
		return nil
	}
	for _, s := range fa.body.List {
		as, ok := s.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 || ast.Unparen(as.Rhs[0]) != blk.site && !wraps(as.Rhs[0], blk.site) {
			continue
		}
		col := fa.a.v.Fset.Position(as.Pos()).Column
		indent := strings.Repeat("\t", max(col-1, 0))
		text := "\n" + indent + "defer C.free(unsafe.Pointer(" + blk.name + "))"
		return []analysis.SuggestedFix{{
			Message:   "free " + blk.name + " when the function returns",
			TextEdits: []analysis.TextEdit{{Pos: as.End(), End: as.End(), NewText: []byte(text)}},
		}}
	}
	return nil
}

func wraps(e ast.Expr, site ast.Node) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if n == site {
			found = true
		}
		return !found
	})
	return found
}
