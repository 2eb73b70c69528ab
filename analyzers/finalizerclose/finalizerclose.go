// Package finalizerclose defines an Analyzer that reports Close/Free/Release
// methods that free a C field in a way that a second release (a finalizer or
// cleanup, or a second Close) frees again.
// See checks.Lookup("finalizerclose") for the documentation.
//
// A method frees field f of its receiver when it passes recv.f (through
// conversions) to C.free, to a deallocator of knowledge.DB, to a C function
// whose C body frees that parameter (csrc), to a function of the package
// that frees its parameter, or calls another method of the receiver that
// does. A finalizer (runtime.SetFinalizer(x, fn), x a *T) frees f when fn,
// called with x, does; a cleanup (runtime.AddCleanup(x, fn, arg)) frees f
// when arg is x.f (or the value x.f was set from) and fn frees its argument.
package finalizerclose

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/csrc"
)

var check = checks.Lookup("finalizerclose")

// Analyzer reports releases of C fields that a second release repeats.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
}

// releaseSuffixes end the names of C functions that release their first
// argument in C APIs (conn_close, sqlite3_finalize, curl_easy_cleanup,
// g_object_unref). "delete" is not one: rocksdb_delete deletes a key.
var releaseSuffixes = []string{"free", "destroy", "release", "close", "dispose", "unref", "finalize", "cleanup", "deinit"}

// pointerArg reports whether e (conversions removed) is a pointer: a
// release function releases an object, not an integer descriptor.
func pointerArg(info *types.Info, e ast.Expr) bool {
	switch u := info.TypeOf(strip(info, e)).Underlying().(type) {
	case *types.Pointer:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	}
	return false
}

func releaseName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range releaseSuffixes {
		if strings.HasSuffix(n, "_"+s) || n == s {
			return true
		}
	}
	return false
}

// releaseNames are the methods whose contract is "release the C resource".
var releaseNames = []string{"Close", "Free", "Release", "Destroy"}

// free is one release of a receiver field inside a method.
type free struct {
	call  *ast.CallExpr // the releasing call, in the method (or in a helper it calls)
	field string
	how   string // e.g. "C.conn_close", "C.free"
	stmt  ast.Stmt
	once  bool // inside sync.Once.Do: runs once whatever the callers do
	// nilChecked: inside "if recv.f != nil {": the fix need not add the check.
	nilChecked bool
}

// safetyNet is a finalizer or cleanup that frees a field of T.
type safetyNet struct {
	call    *ast.CallExpr
	cleanup bool // runtime.AddCleanup: got the field's value at registration
	fields  map[string]bool
	// stored is the field of T the runtime.Cleanup is kept in, "" if none.
	stored string
	// methods are the methods of T the finalizer calls: a guard in them protects it.
	methods map[string]bool
}

type checker struct {
	pass     *analysis.Pass
	v        *cgoview.View
	model    *csrc.Model // the C side, the package's .c files included (View.C)
	methods  map[*types.TypeName]map[string]*ast.FuncDecl
	funcs    map[*types.Func]*ast.FuncDecl
	freesArg map[*types.Func]map[int]bool // package functions that free a parameter
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil {
		return nil, nil
	}
	model := v.C
	c := &checker{pass: pass, v: v, model: model, methods: map[*types.TypeName]map[string]*ast.FuncDecl{},
		funcs: map[*types.Func]*ast.FuncDecl{}, freesArg: map[*types.Func]map[int]bool{}}
	for _, f := range v.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn, ok := v.Info.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			c.funcs[fn] = fd
			if tn := recvType(fn); tn != nil {
				if c.methods[tn] == nil {
					c.methods[tn] = map[string]*ast.FuncDecl{}
				}
				c.methods[tn][fd.Name.Name] = fd
			}
		}
	}
	c.summariseFuncs()
	nets := c.safetyNets()
	var tns []*types.TypeName
	for tn := range c.methods {
		tns = append(tns, tn)
	}
	sort.Slice(tns, func(i, j int) bool { return tns[i].Pos() < tns[j].Pos() })
	for _, tn := range tns {
		for _, name := range releaseNames {
			if fd := c.methods[tn][name]; fd != nil {
				c.checkRelease(tn, fd, nets[tn])
			}
		}
	}
	return nil, nil
}

func recvType(fn *types.Func) *types.TypeName {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return nil
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj()
	}
	return nil
}

// summariseFuncs finds the package's plain functions that free a parameter
// (freeHandle(h *C.conn_t) { C.conn_close(h) }).
func (c *checker) summariseFuncs() {
	for changed := true; changed; {
		changed = false
		for fn, fd := range c.funcs {
			if recvType(fn) != nil {
				continue
			}
			params := paramVars(c.v.Info, fd.Type)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				for _, arg := range c.freedArgs(call) {
					id, ok := strip(c.v.Info, arg).(*ast.Ident)
					if !ok {
						continue
					}
					for i, p := range params {
						if p != nil && c.v.Info.Uses[id] == p && !c.freesArg[fn][i] {
							if c.freesArg[fn] == nil {
								c.freesArg[fn] = map[int]bool{}
							}
							c.freesArg[fn][i] = true
							changed = true
						}
					}
				}
				return true
			})
		}
	}
}

func paramVars(info *types.Info, ft *ast.FuncType) []*types.Var {
	var out []*types.Var
	if ft.Params == nil {
		return nil
	}
	for _, field := range ft.Params.List {
		if len(field.Names) == 0 {
			out = append(out, nil)
		}
		for _, id := range field.Names {
			v, _ := info.Defs[id].(*types.Var)
			out = append(out, v)
		}
	}
	return out
}

// freedArgs returns the arguments a call releases, and how.
func (c *checker) freedArgs(call *ast.CallExpr) []ast.Expr {
	args, _ := c.freedArgsHow(call)
	return args
}

func (c *checker) freedArgsHow(call *ast.CallExpr) ([]ast.Expr, string) {
	if name, ok := c.v.CCall(call); ok {
		if name == "free" && len(call.Args) == 1 {
			return call.Args, "C.free"
		}
		if c.v.DB != nil {
			if d, ok := c.v.DB.Deallocator(name); ok && d.Param < len(call.Args) {
				return []ast.Expr{call.Args[d.Param]}, "C." + name
			}
		}
		var f *csrc.Func
		if c.model != nil {
			f = c.model.Func(name)
		}
		if f != nil && len(f.FreesParam) > 0 {
			var out []ast.Expr
			for i := range f.FreesParam {
				if i < len(call.Args) {
					out = append(out, call.Args[i])
				}
			}
			return out, "C." + name
		}
		if (f == nil || !f.Defined) && releaseName(name) && len(call.Args) > 0 && pointerArg(c.v.Info, call.Args[0]) {
			// A library function whose body we cannot see (only a header):
			// its name is the best evidence there is, and C APIs name
			// their destructors this way.
			return call.Args[:1], "C." + name + ", a release function by its name"
		}
		return nil, ""
	}
	if fn := c.staticCallee(call); fn != nil && c.freesArg[fn] != nil {
		var out []ast.Expr
		for i := range call.Args {
			if c.freesArg[fn][i] {
				out = append(out, call.Args[i])
			}
		}
		return out, fn.Name()
	}
	return nil, ""
}

func (c *checker) staticCallee(call *ast.CallExpr) *types.Func {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		fn, _ := c.v.Info.Uses[fun].(*types.Func)
		return fn
	case *ast.SelectorExpr:
		if sel := c.v.Info.Selections[fun]; sel != nil {
			if sel.Kind() != types.MethodVal || types.IsInterface(sel.Recv()) {
				return nil
			}
		}
		fn, _ := c.v.Info.Uses[fun.Sel].(*types.Func)
		return fn
	}
	return nil
}

// strip removes parentheses and conversions: unsafe.Pointer(c.h) is c.h.
func strip(info *types.Info, e ast.Expr) ast.Expr {
	for {
		e = ast.Unparen(e)
		call, ok := e.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return e
		}
		if tv, ok := info.Types[call.Fun]; !ok || !tv.IsType() {
			return e
		}
		e = call.Args[0]
	}
}

// fieldOf returns f when e is v.f for the variable obj.
func (c *checker) fieldOf(e ast.Expr, obj types.Object) string {
	sel, ok := strip(c.v.Info, e).(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	id, ok := ast.Unparen(sel.X).(*ast.Ident)
	if !ok || obj == nil || c.v.Info.Uses[id] != obj {
		return ""
	}
	if s := c.v.Info.Selections[sel]; s == nil || s.Kind() != types.FieldVal {
		return ""
	}
	return sel.Sel.Name
}

// frees returns the fields of obj (a *T variable) that body releases,
// directly or through methods of T called on obj (depth-limited).
func (c *checker) frees(body ast.Node, obj types.Object, tn *types.TypeName, depth int) []free {
	var out []free
	var stack []ast.Node
	onceDepth := 0
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if c.isOnceDo(top) {
				onceDepth--
			}
			return true
		}
		stack = append(stack, n)
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if c.isOnceDo(call) {
			onceDepth++
		}
		args, how := c.freedArgsHow(call)
		for _, a := range args {
			if f := c.fieldOf(a, obj); f != "" {
				out = append(out, free{call: call, field: f, how: how, stmt: enclosingStmt(stack), once: onceDepth > 0,
					nilChecked: c.insideNilCheck(stack, obj, f)})
			}
		}
		if depth < 3 {
			if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
				if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok && c.v.Info.Uses[id] == obj {
					if fd := c.methods[tn][sel.Sel.Name]; fd != nil {
						if r := recvVar(c.v.Info, fd); r != nil {
							for _, fr := range c.frees(fd.Body, r, tn, depth+1) {
								fr.once = fr.once || onceDepth > 0
								fr.stmt = enclosingStmt(stack)
								fr.call = call
								fr.nilChecked = c.insideNilCheck(stack, obj, fr.field)
								out = append(out, fr)
							}
						}
					}
				}
			}
		}
		return true
	})
	return out
}

// insideNilCheck reports whether the innermost enclosing if statement of the
// stack's top tests obj.field != nil and the top is in its body.
func (c *checker) insideNilCheck(stack []ast.Node, obj types.Object, field string) bool {
	for i := len(stack) - 2; i >= 0; i-- {
		ifs, ok := stack[i].(*ast.IfStmt)
		if !ok {
			continue
		}
		if stack[i+1] != ifs.Body {
			return false
		}
		b, ok := ast.Unparen(ifs.Cond).(*ast.BinaryExpr)
		if !ok || b.Op != token.NEQ {
			return false
		}
		for _, pair := range [][2]ast.Expr{{b.X, b.Y}, {b.Y, b.X}} {
			if id, ok := ast.Unparen(pair[1]).(*ast.Ident); ok && id.Name == "nil" && c.fieldOf(pair[0], obj) == field {
				return true
			}
		}
		return false
	}
	return false
}

func enclosingStmt(stack []ast.Node) ast.Stmt {
	for i := len(stack) - 1; i >= 0; i-- {
		if s, ok := stack[i].(ast.Stmt); ok {
			return s
		}
	}
	return nil
}

// isOnceDo reports a call x.Do(...) with x a sync.Once.
func (c *checker) isOnceDo(n ast.Node) bool {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return false
	}
	fn := c.staticCallee(call)
	if fn == nil || fn.Name() != "Do" || fn.Pkg() == nil || fn.Pkg().Path() != "sync" {
		return false
	}
	return true
}

func recvVar(info *types.Info, fd *ast.FuncDecl) *types.Var {
	if fd.Recv == nil || len(fd.Recv.List) == 0 || len(fd.Recv.List[0].Names) == 0 {
		return nil
	}
	v, _ := info.Defs[fd.Recv.List[0].Names[0]].(*types.Var)
	return v
}

// isRuntime reports a call of runtime.name.
func (c *checker) isRuntime(call *ast.CallExpr, name string) bool {
	fn := c.staticCallee(call)
	return fn != nil && fn.Name() == name && fn.Pkg() != nil && fn.Pkg().Path() == "runtime"
}

// namedPtr returns T when t is *T for a named T.
func namedPtr(t types.Type) *types.TypeName {
	p, ok := t.Underlying().(*types.Pointer)
	if !ok {
		return nil
	}
	if n, ok := types.Unalias(p.Elem()).(*types.Named); ok {
		return n.Obj()
	}
	return nil
}

// safetyNets finds, for each type, the finalizers and cleanups registered
// for its values and the fields they free.
func (c *checker) safetyNets() map[*types.TypeName][]*safetyNet {
	out := map[*types.TypeName][]*safetyNet{}
	for _, fd := range c.funcs {
		storedIn := map[*ast.CallExpr]string{} // x.cleanup = runtime.AddCleanup(...)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
				for i, r := range as.Rhs {
					if call, ok := ast.Unparen(r).(*ast.CallExpr); ok {
						if sel, ok := as.Lhs[i].(*ast.SelectorExpr); ok {
							storedIn[call] = sel.Sel.Name
						}
					}
				}
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			switch {
			case c.isRuntime(call, "SetFinalizer"):
				tn := namedPtr(c.v.Info.TypeOf(call.Args[0]))
				if tn == nil || c.methods[tn] == nil {
					return true
				}
				if net := c.finalizer(tn, call); net != nil {
					out[tn] = append(out[tn], net)
				}
			case c.isRuntime(call, "AddCleanup") && len(call.Args) == 3:
				tn := namedPtr(c.v.Info.TypeOf(call.Args[0]))
				if tn == nil || c.methods[tn] == nil {
					return true
				}
				if net := c.cleanup(tn, fd.Body, call); net != nil {
					net.stored = storedIn[call]
					out[tn] = append(out[tn], net)
				}
			}
			return true
		})
	}
	for _, nets := range out {
		sort.Slice(nets, func(i, j int) bool { return nets[i].call.Pos() < nets[j].call.Pos() })
	}
	return out
}

// finalizer returns what runtime.SetFinalizer(x, fn) frees when fn runs.
func (c *checker) finalizer(tn *types.TypeName, call *ast.CallExpr) *safetyNet {
	var body ast.Node
	var param types.Object
	switch fn := ast.Unparen(call.Args[1]).(type) {
	case *ast.SelectorExpr: // (*T).Close
		if sel := c.v.Info.Selections[fn]; sel != nil && sel.Kind() == types.MethodExpr {
			if fd := c.methods[tn][fn.Sel.Name]; fd != nil {
				body, param = fd.Body, recvVar(c.v.Info, fd)
			}
		}
	case *ast.FuncLit:
		if ps := paramVars(c.v.Info, fn.Type); len(ps) == 1 {
			body, param = fn.Body, ps[0]
		}
	case *ast.Ident:
		if f, ok := c.v.Info.Uses[fn].(*types.Func); ok {
			if fd := c.funcs[f]; fd != nil {
				if ps := paramVars(c.v.Info, fd.Type); len(ps) == 1 {
					body, param = fd.Body, ps[0]
				}
			}
		}
	}
	if body == nil || param == nil {
		return nil
	}
	net := &safetyNet{call: call, fields: map[string]bool{}, methods: map[string]bool{}}
	for _, fr := range c.frees(body, param, tn, 0) {
		net.fields[fr.field] = true
	}
	if sel, ok := ast.Unparen(call.Args[1]).(*ast.SelectorExpr); ok {
		net.methods[sel.Sel.Name] = true
	}
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
				if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok && c.v.Info.Uses[id] == param {
					net.methods[sel.Sel.Name] = true
				}
			}
		}
		return true
	})
	if len(net.fields) == 0 {
		return nil
	}
	return net
}

// cleanup returns what runtime.AddCleanup(x, fn, arg) frees: arg is x.f, or
// the value x.f was initialised from in the same function, and fn frees its
// argument.
func (c *checker) cleanup(tn *types.TypeName, body *ast.BlockStmt, call *ast.CallExpr) *safetyNet {
	freesArg := false
	switch fn := ast.Unparen(call.Args[1]).(type) {
	case *ast.FuncLit:
		ps := paramVars(c.v.Info, fn.Type)
		if len(ps) == 1 && ps[0] != nil {
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if inner, ok := n.(*ast.CallExpr); ok {
					for _, a := range c.freedArgs(inner) {
						if id, ok := strip(c.v.Info, a).(*ast.Ident); ok && c.v.Info.Uses[id] == ps[0] {
							freesArg = true
						}
					}
				}
				return true
			})
		}
	case *ast.Ident:
		if f, ok := c.v.Info.Uses[fn].(*types.Func); ok {
			freesArg = c.freesArg[f][0]
		}
	}
	if !freesArg {
		return nil
	}
	var xobj types.Object
	if id, ok := ast.Unparen(call.Args[0]).(*ast.Ident); ok {
		xobj = c.v.Info.Uses[id]
	}
	field := c.fieldOf(call.Args[2], xobj)
	if field == "" {
		field = c.initialisedField(body, tn, call.Args[2])
	}
	if field == "" {
		return nil
	}
	return &safetyNet{call: call, cleanup: true, fields: map[string]bool{field: true}}
}

// initialisedField returns f when arg is a variable stored in field f of a T
// in body: &T{f: arg} or x.f = arg.
func (c *checker) initialisedField(body *ast.BlockStmt, tn *types.TypeName, arg ast.Expr) string {
	id, ok := strip(c.v.Info, arg).(*ast.Ident)
	if !ok {
		return ""
	}
	obj := c.v.Info.Uses[id]
	if obj == nil {
		return ""
	}
	same := func(e ast.Expr) bool {
		x, ok := strip(c.v.Info, e).(*ast.Ident)
		return ok && c.v.Info.Uses[x] == obj
	}
	field := ""
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if named, ok := types.Unalias(c.v.Info.TypeOf(n)).(*types.Named); !ok || named.Obj() != tn {
				return true
			}
			for _, el := range n.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok && same(kv.Value) {
					if k, ok := kv.Key.(*ast.Ident); ok {
						field = k.Name
					}
				}
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok && i < len(n.Rhs) && len(n.Lhs) == len(n.Rhs) && same(n.Rhs[i]) {
					if namedPtr(c.v.Info.TypeOf(sel.X)) == tn {
						field = sel.Sel.Name
					}
				}
			}
		}
		return true
	})
	return field
}

// checkRelease reports the fields that the release method fd of T frees in
// a way a second release repeats.
func (c *checker) checkRelease(tn *types.TypeName, fd *ast.FuncDecl, nets []*safetyNet) {
	recv := recvVar(c.v.Info, fd)
	if recv == nil {
		return
	}
	_, ptrRecv := recv.Type().(*types.Pointer)
	cancels := c.cancels(fd.Body, recv, tn, 0)
	guarded := c.flagGuard(fd.Body, recv)
	done := map[string]bool{}
	for _, fr := range c.frees(fd.Body, recv, tn, 0) {
		if done[fr.field] {
			continue
		}
		done[fr.field] = true
		cleared := ptrRecv && c.assigns(fd.Body, recv, tn, fr.field, 0)
		var net *safetyNet
		for _, n := range nets {
			if n.fields[fr.field] {
				net = n
				break
			}
		}
		recvName := recv.Name()
		fieldExpr := recvName + "." + fr.field
		method := tn.Name() + "." + fd.Name.Name
		switch {
		case net != nil && net.cleanup:
			if cancels {
				continue
			}
			stop := "keep the runtime.Cleanup that AddCleanup returns in a field and call its Stop method in " + fd.Name.Name + " before freeing"
			if net.stored != "" {
				stop = fmt.Sprintf("call %s.%s.Stop() in %s before freeing", recvName, net.stored, fd.Name.Name)
			}
			d := analysis.Diagnostic{Pos: fr.call.Pos(), End: fr.call.End(),
				Message: fmt.Sprintf("%s frees %s (%s) but does not stop the cleanup registered with runtime.AddCleanup, which was given the same pointer and frees it again when the %s is collected: a double free on the cleanup goroutine (glibc may abort, or the heap is silently corrupted). Clearing the field does not help, the cleanup holds its own copy (runtime.AddCleanup: \"the runtime will call cleanup(arg)\"; Cleanup.Stop: \"Stop cancels the cleanup call\"). Fix: %s, and make %s idempotent",
					method, fieldExpr, fr.how, tn.Name(), stop, fd.Name.Name),
				Related: []analysis.RelatedInformation{{Pos: net.call.Pos(), End: net.call.End(), Message: "the cleanup that frees " + fr.field + " again"}}}
			if net.stored != "" {
				if fix, ok := c.fix(fd, fr, recv, fmt.Sprintf("%s.%s.Stop()", recvName, net.stored), "", cleared); ok {
					d.SuggestedFixes = []analysis.SuggestedFix{fix}
				}
			}
			c.v.Report(c.pass, d)
		case net != nil:
			if cancels || cleared || (guarded && net.methods[fd.Name.Name]) {
				continue
			}
			d := analysis.Diagnostic{Pos: fr.call.Pos(), End: fr.call.End(),
				Message: fmt.Sprintf("%s frees %s (%s) but neither clears %s nor cancels the finalizer, which frees it again: after an explicit %s, the next GC that finds the %s unreachable frees %s a second time (glibc may abort, or the heap is silently corrupted); a finalizer stays armed until runtime.SetFinalizer(x, nil). Fix: in %s, if %s != nil { runtime.SetFinalizer(%s, nil); free; %s = nil }",
					method, fieldExpr, fr.how, fieldExpr, fd.Name.Name, tn.Name(), fieldExpr, fd.Name.Name, fieldExpr, recvName, fieldExpr),
				Related: []analysis.RelatedInformation{{Pos: net.call.Pos(), End: net.call.End(), Message: "the finalizer that frees " + fr.field + " again"}}}
			if ptrRecv {
				if fix, ok := c.fix(fd, fr, recv, fmt.Sprintf("runtime.SetFinalizer(%s, nil)", recvName), "runtime", cleared); ok {
					d.SuggestedFixes = []analysis.SuggestedFix{fix}
				}
			}
			c.v.Report(c.pass, d)
		default:
			if cleared || guarded || fr.once {
				continue
			}
			msg := fmt.Sprintf("%s frees %s (%s) without clearing it: a second %s (a deferred %s plus an explicit one, or two owners) frees it again, a double free (glibc may abort, or the heap is silently corrupted). Fix: make %s idempotent: if %s != nil { free; %s = nil }",
				method, fieldExpr, fr.how, fd.Name.Name, fd.Name.Name, fd.Name.Name, fieldExpr, fieldExpr)
			if !ptrRecv {
				msg += fmt.Sprintf(", with a pointer receiver (%s has a value receiver: clearing its copy would not be seen by the next call)", method)
			}
			d := analysis.Diagnostic{Pos: fr.call.Pos(), End: fr.call.End(), Message: msg}
			if ptrRecv {
				if fix, ok := c.fix(fd, fr, recv, "", "", cleared); ok {
					d.SuggestedFixes = []analysis.SuggestedFix{fix}
				}
			}
			c.v.Report(c.pass, d)
		}
	}
}

// cancels reports whether body (or a method of T it calls on recv) calls
// runtime.SetFinalizer(recv, nil) or Stop on a runtime.Cleanup.
func (c *checker) cancels(body ast.Node, recv types.Object, tn *types.TypeName, depth int) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || found {
			return !found
		}
		if c.isRuntime(call, "SetFinalizer") && len(call.Args) == 2 {
			if id, ok := ast.Unparen(call.Args[0]).(*ast.Ident); ok && c.v.Info.Uses[id] == recv {
				if nilID, ok := ast.Unparen(call.Args[1]).(*ast.Ident); ok && nilID.Name == "nil" {
					found = true
				}
			}
		}
		if fn := c.staticCallee(call); fn != nil && fn.Name() == "Stop" {
			if t := recvType(fn); t != nil && t.Pkg() != nil && t.Pkg().Path() == "runtime" && t.Name() == "Cleanup" {
				found = true
			}
		}
		if fd := c.recvMethod(call, recv, tn); fd != nil && depth < 3 {
			if r := recvVar(c.v.Info, fd); r != nil && c.cancels(fd.Body, r, tn, depth+1) {
				found = true
			}
		}
		return !found
	})
	return found
}

// recvMethod returns the declaration of m when call is recv.m(...).
func (c *checker) recvMethod(call *ast.CallExpr, recv types.Object, tn *types.TypeName) *ast.FuncDecl {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	if id, ok := ast.Unparen(sel.X).(*ast.Ident); !ok || c.v.Info.Uses[id] != recv {
		return nil
	}
	return c.methods[tn][sel.Sel.Name]
}

// assigns reports whether body (or a method of T it calls on recv) assigns
// recv.field.
func (c *checker) assigns(body ast.Node, recv types.Object, tn *types.TypeName, field string, depth int) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if c.fieldOf(l, recv) == field {
					found = true
				}
			}
		case *ast.CallExpr:
			if fd := c.recvMethod(n, recv, tn); fd != nil && depth < 3 {
				if r := recvVar(c.v.Info, fd); r != nil && c.assigns(fd.Body, r, tn, field, depth+1) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// flagGuard reports whether body returns early on a condition over a field
// of recv that body also changes: if c.closed { return }; c.closed = true,
// or if !c.closed.CompareAndSwap(false, true) { return }.
func (c *checker) flagGuard(body *ast.BlockStmt, recv types.Object) bool {
	changed := map[string]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if f := c.fieldOf(l, recv); f != "" {
					changed[f] = true
				}
			}
		case *ast.CallExpr: // c.closed.Store(true), c.closed.CompareAndSwap(false, true)
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok {
				if f := c.fieldOf(sel.X, recv); f != "" {
					changed[f] = true
				}
			}
		}
		return true
	})
	guard := false
	ast.Inspect(body, func(n ast.Node) bool {
		ifs, ok := n.(*ast.IfStmt)
		if !ok || guard {
			return !guard
		}
		returns := false
		for _, s := range ifs.Body.List {
			if _, ok := s.(*ast.ReturnStmt); ok {
				returns = true
			}
		}
		if !returns {
			return true
		}
		ast.Inspect(ifs.Cond, func(n ast.Node) bool {
			if e, ok := n.(ast.Expr); ok {
				if f := c.fieldOf(e, recv); f != "" && changed[f] {
					guard = true
				}
			}
			return !guard
		})
		return !guard
	})
	return guard
}

// fix makes the free idempotent: it wraps the freeing statement in
// "if recv.f != nil { <cancel>; stmt; recv.f = nil }" (adding the import
// cancel needs), when the statement is a plain call statement and the field
// can be nil.
func (c *checker) fix(fd *ast.FuncDecl, fr free, recv *types.Var, cancel, imp string, cleared bool) (analysis.SuggestedFix, bool) {
	st, ok := fr.stmt.(*ast.ExprStmt)
	if !ok || fr.field == "" {
		return analysis.SuggestedFix{}, false
	}
	ft := c.fieldType(recv, fr.field)
	if ft == nil || !nilable(ft) {
		return analysis.SuggestedFix{}, false
	}
	fe := recv.Name() + "." + fr.field
	// gofmt'd code indents with tabs: the statement's column gives its depth.
	ind := strings.Repeat("\t", max(c.v.Fset.Position(st.Pos()).Column-1, 0))
	pre, post := "if "+fe+" != nil {\n"+ind+"\t", "\n"+ind+"\t"+fe+" = nil\n"+ind+"}"
	if fr.nilChecked {
		pre, post = "", "\n"+ind+fe+" = nil"
		if cleared {
			post = ""
		}
	}
	if cancel != "" {
		if fr.nilChecked {
			pre += cancel + "\n" + ind
		} else {
			pre += cancel + "\n" + ind + "\t"
		}
	}
	var edits []analysis.TextEdit
	if post != "" {
		edits = append(edits, analysis.TextEdit{Pos: st.End(), End: st.End(), NewText: []byte(post)})
	}
	if pre != "" {
		edits = append(edits, analysis.TextEdit{Pos: st.Pos(), End: st.Pos(), NewText: []byte(pre)})
	}
	if len(edits) == 0 {
		return analysis.SuggestedFix{}, false
	}
	if imp != "" {
		if e, ok := c.importEdit(fd, imp); ok {
			edits = append(edits, e...)
		}
	}
	return analysis.SuggestedFix{Message: "free " + fe + " once and clear it", TextEdits: edits}, true
}

func (c *checker) fieldType(recv *types.Var, field string) types.Type {
	obj, _, _ := types.LookupFieldOrMethod(recv.Type(), true, c.v.Pkg, field)
	if v, ok := obj.(*types.Var); ok {
		return v.Type()
	}
	return nil
}

func nilable(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Signature, *types.Interface:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	}
	return false
}

// importEdit adds import path to fd's file when it lacks it.
func (c *checker) importEdit(fd *ast.FuncDecl, path string) ([]analysis.TextEdit, bool) {
	for _, f := range c.v.Files {
		if !(f.FileStart <= fd.Pos() && fd.End() <= f.FileEnd) {
			continue
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == `"`+path+`"` {
				return nil, imp.Name == nil // renamed: the fix's text would not resolve
			}
		}
		if len(f.Imports) == 0 {
			return []analysis.TextEdit{{Pos: f.Name.End(), End: f.Name.End(), NewText: []byte("\n\nimport \"" + path + "\"")}}, true
		}
		end := f.Imports[len(f.Imports)-1].End()
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT && gd.End() > end && gd.Pos() < end {
				end = gd.End()
			}
		}
		return []analysis.TextEdit{{Pos: end, End: end, NewText: []byte("\n\nimport \"" + path + "\"")}}, true
	}
	return nil, false
}
