package ownership

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"sort"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
)

// Kind classifies a finding.
type Kind int

// The kinds of finding, one per memory analyzer.
const (
	Leak         Kind = iota // cmemleak
	DoubleFree               // cdoublefree
	UseAfterFree             // cuseafterfree
	OverRead                 // coverread
)

// Finding is one problem found in one function, with the facts that prove it.
type Finding struct {
	Kind     Kind
	Pos, End token.Pos
	Message  string
	Related  []analysis.RelatedInformation
	Fixes    []analysis.SuggestedFix
}

// Result is the Analyzer's result: every finding in the package.
type Result struct {
	View     *cgoview.View // nil when the package does not use cgo
	Findings []Finding
}

// ReturnsOwned is a fact on a Go function whose result is C memory the caller
// must release with Dealloc.
type ReturnsOwned struct {
	Dealloc string
	Via     string // what it returns, e.g. "C.CString(...) at x.go:12"
}

// AFact marks ReturnsOwned as an analysis fact.
func (*ReturnsOwned) AFact() {}

func (f *ReturnsOwned) String() string { return "returnsOwned(" + f.Dealloc + ")" }

// FreesParam is a fact on a Go function about its pointer parameters: those it
// releases on every path (Params), and those it only reads (Borrows), neither
// releasing, storing nor returning them.
type FreesParam struct{ Params, Borrows []int }

// AFact marks FreesParam as an analysis fact.
func (*FreesParam) AFact() {}

func (f *FreesParam) String() string { return fmt.Sprintf("frees%v borrows%v", f.Params, f.Borrows) }

// Analyzer computes the ownership findings of a package.
var Analyzer = &analysis.Analyzer{
	Name:             "ownership",
	Doc:              "track ownership of C memory through Go functions (internal to cgoguard)",
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
	ResultType:       reflect.TypeOf((*Result)(nil)),
	FactTypes:        []analysis.Fact{(*ReturnsOwned)(nil), (*FreesParam)(nil)},
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	res := &Result{View: v}
	if v == nil {
		return res, nil
	}
	a := &pkgAnalysis{pass: pass, v: v, returnsOwned: map[types.Object]*ReturnsOwned{}, freesParam: map[types.Object][]int{}, borrows: map[types.Object][]int{}}
	funcs := cgoview.FuncDecls(v.Files)
	// Summaries first, to a fixed point (bounded: summaries only grow), so
	// that a call to a later function in the same package is understood.
	for range 4 {
		changed := false
		for _, fd := range funcs {
			if a.summarise(fd) {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, fd := range funcs {
		obj := v.Info.Defs[fd.Name]
		if ro := a.returnsOwned[obj]; ro != nil {
			if c := v.CookedObject(obj); c != nil {
				pass.ExportObjectFact(c, ro)
			}
		}
		if ps, bs := a.freesParam[obj], a.borrows[obj]; len(ps)+len(bs) > 0 {
			if c := v.CookedObject(obj); c != nil {
				pass.ExportObjectFact(c, &FreesParam{Params: ps, Borrows: bs})
			}
		}
	}
	for _, fd := range funcs {
		// Memory still owned when main returns is released by the process's
		// exit: not a leak anyone can observe.
		isMain := v.Pkg.Name() == "main" && fd.Recv == nil && fd.Name.Name == "main"
		res.Findings = append(res.Findings, a.check(fd.Body, fd.Type, isMain)...)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				res.Findings = append(res.Findings, a.check(lit.Body, lit.Type, false)...)
			}
			return true
		})
	}
	sort.SliceStable(res.Findings, func(i, j int) bool { return res.Findings[i].Pos < res.Findings[j].Pos })
	return res, nil
}

// pkgAnalysis holds what is known about the package's own functions.
type pkgAnalysis struct {
	pass         *analysis.Pass
	v            *cgoview.View
	returnsOwned map[types.Object]*ReturnsOwned // keyed by the view's objects
	freesParam   map[types.Object][]int
	borrows      map[types.Object][]int
}

// summarise computes fd's facts and reports whether they changed.
func (a *pkgAnalysis) summarise(fd *ast.FuncDecl) bool {
	obj := a.v.Info.Defs[fd.Name]
	if obj == nil {
		return false
	}
	fa := newFuncAnalysis(a, fd.Body, fd.Type, true)
	fa.solve()
	changed := false
	if fa.returnsOwned != nil && a.returnsOwned[obj] == nil {
		a.returnsOwned[obj] = fa.returnsOwned
		changed = true
	}
	ps, bs := fa.paramEffects()
	if len(ps) != len(a.freesParam[obj]) || len(bs) != len(a.borrows[obj]) {
		a.freesParam[obj] = ps
		a.borrows[obj] = bs
		changed = true
	}
	return changed
}

func (a *pkgAnalysis) check(body *ast.BlockStmt, typ *ast.FuncType, isMain bool) []Finding {
	fa := newFuncAnalysis(a, body, typ, false)
	fa.exitEndsProcess = isMain
	fa.solve()
	return fa.report()
}

// goCallee returns the function a call invokes when it is a static call of a
// Go function or method (nil for C calls, builtins, conversions and dynamic calls).
func (a *pkgAnalysis) goCallee(call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		if _, ok := a.v.CName(fun); ok {
			return nil
		}
		id = fun.Sel
	default:
		return nil
	}
	fn, _ := a.v.Info.Uses[id].(*types.Func)
	return fn
}

// calleeReturnsOwned reports the ReturnsOwned summary of a Go callee.
func (a *pkgAnalysis) calleeReturnsOwned(fn *types.Func) *ReturnsOwned {
	if fn == nil {
		return nil
	}
	if ro := a.returnsOwned[fn]; ro != nil {
		return ro
	}
	if fn.Pkg() == a.v.Pkg {
		return nil
	}
	var ro ReturnsOwned
	if a.pass.ImportObjectFact(fn, &ro) {
		return &ro
	}
	return nil
}

// calleeFreesParam reports whether a Go callee frees its i'th argument.
func (a *pkgAnalysis) calleeFreesParam(fn *types.Func, i int) bool {
	if fn == nil {
		return false
	}
	ps, ok := a.freesParam[fn]
	if !ok && fn.Pkg() != a.v.Pkg {
		var fp FreesParam
		if a.pass.ImportObjectFact(fn, &fp) {
			ps = fp.Params
		}
	}
	for _, p := range ps {
		if p == i {
			return true
		}
	}
	return false
}

// calleeBorrows reports whether a Go callee only reads its i'th argument:
// neither releases, stores nor returns it on any path.
func (a *pkgAnalysis) calleeBorrows(fn *types.Func, i int) bool {
	bs, ok := a.borrows[fn]
	if !ok && fn.Pkg() != a.v.Pkg {
		var fp FreesParam
		if a.pass.ImportObjectFact(fn, &fp) {
			bs = fp.Borrows
		}
	}
	for _, p := range bs {
		if p == i {
			return true
		}
	}
	return false
}

// Reporter returns the Run function of an analyzer that reports the findings
// of one kind; the memory analyzers are this and their documentation.
func Reporter(kind Kind) func(*analysis.Pass) (any, error) {
	return func(pass *analysis.Pass) (any, error) {
		res := pass.ResultOf[Analyzer].(*Result)
		for _, f := range res.Findings {
			if f.Kind == kind {
				res.View.Report(pass, analysis.Diagnostic{Pos: f.Pos, End: f.End, Message: f.Message, Related: f.Related, SuggestedFixes: f.Fixes})
			}
		}
		return nil, nil
	}
}
