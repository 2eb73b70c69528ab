// Package cgoview gives analyzers the user's own view of a cgo package: the
// raw .go files as written (with C.f, C.int, C.CString ...), type-checked with
// accurate C types, plus the package's C side (csrc).
//
// Why raw files: the analysis framework hands analyzers the "cooked" files
// that cmd/cgo generates, where C.free(unsafe.Pointer(p)) becomes a closure
// with temporaries and a pointer check. Data-flow over that shape is fragile
// (x/tools' cgocall analyzer came to the same conclusion). We therefore parse
// the original files named by the cooked files' //line directives and type-check
// them again, resolving each C.x through a synthetic package "C" whose objects
// carry the types that cmd/cgo gave to _Cfunc_x, _Ctype_x, _Cvar_x and the
// _C*const_x constants in the cooked package. Types of C values are thus the
// real cgo types, positions are in the user's .go files, and C is resolved
// through the import, not by the identifier's name.
//
// When cgo processing failed (missing headers, no C compiler), the cooked
// package has no _Cfunc_ declarations; the view then type-checks with
// go/types' FakeImportC, C expressions have invalid types, and Partial says so.
package cgoview

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/csrc"
	"github.com/cgoguard/cgoguard/knowledge"
)

// Analyzer computes the View of a package that imports "C"; its result is nil
// for packages that do not use cgo.
var Analyzer = &analysis.Analyzer{
	Name:             "cgoview",
	Doc:              "build the raw, type-checked view of a cgo package and its C side (internal to cgoguard)",
	Run:              run,
	RunDespiteErrors: true,
	ResultType:       reflect.TypeOf((*View)(nil)),
}

// DB is the knowledge the views are built with; cmd/cgoguard replaces it
// with Base.With(config) when a config file is given.
var DB = knowledge.Base

// View is one package as its author wrote it.
type View struct {
	Fset     *token.FileSet
	Files    []*ast.File // every Go file of the package, raw
	CgoFiles []*ast.File // the subset that imports "C"
	Info     *types.Info
	Pkg      *types.Package // the re-checked package (not pass.Pkg)
	Cooked   *types.Package // pass.Pkg
	C        *csrc.Model
	DB       *knowledge.DB
	// Partial is non-empty when the C declarations were unavailable and C
	// expressions have no types; analyses still run on the Go side.
	Partial string

	ignores     map[string]map[int][]ignore // filename → line → directives
	funcIgnores []funcIgnore

	preambles []csrc.Preamble
	cfiles    []string // the package's .c and .h files
	ownC      string   // their text and the preambles', read on first use
	ownCRead  bool

	escapesOnce sync.Once // EscapingFuncs, computed on first use
	escapes     map[types.Object]bool
}

func run(pass *analysis.Pass) (any, error) {
	if !importsCgo(pass.Pkg) {
		return (*View)(nil), nil
	}
	v, err := Build(pass.Fset, pass.Pkg, pass.Files, pass.TypesSizes, DB)
	if err != nil {
		return nil, err
	}
	if os.Getenv("CGOGUARD_VERBOSE") != "" {
		// Notes for cgoguard vet -v: the analysis still ran, but saw less.
		for _, p := range v.C.Problems() {
			fmt.Fprintf(os.Stderr, "cgoguard: %s: C side: %s\n", pass.Pkg.Path(), p)
		}
		if v.Partial != "" {
			fmt.Fprintf(os.Stderr, "cgoguard: %s: partial analysis: %s\n", pass.Pkg.Path(), v.Partial)
		}
	}
	return v, nil
}

func importsCgo(pkg *types.Package) bool {
	for _, imp := range pkg.Imports() {
		if imp.Path() == "runtime/cgo" || imp.Path() == "C" {
			return true
		}
	}
	return false
}

// Build constructs the view from a cooked package.
func Build(fset *token.FileSet, cooked *types.Package, files []*ast.File, sizes types.Sizes, db *knowledge.DB) (*View, error) {
	v := &View{Fset: fset, Cooked: cooked, DB: db}
	var preambles []csrc.Preamble
	dir := ""
	for _, f := range files {
		tf := fset.File(f.FileStart)
		name := fset.Position(f.Pos()).Filename // honours //line: the original file
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_cgo_") || !strings.HasSuffix(base, ".go") {
			// _cgo_gotypes.go, _cgo_import.go: generated declarations, not user
			// code (go/packages names them by a build-cache hash, no .go suffix).
			continue
		}
		raw := f
		if tf != nil && tf.Name() != name {
			// A cooked file: parse the original.
			var err error
			raw, err = parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return nil, fmt.Errorf("cannot parse raw cgo file: %v", err)
			}
		}
		if dir == "" {
			dir = filepath.Dir(name)
		}
		v.Files = append(v.Files, raw)
		for _, imp := range raw.Imports {
			if imp.Path.Value == `"C"` {
				v.CgoFiles = append(v.CgoFiles, raw)
				text := ""
				pos := fset.Position(imp.Pos())
				doc := imp.Doc
				if doc == nil {
					if gd := importDecl(raw, imp); gd != nil {
						doc = gd.Doc
					}
				}
				if doc != nil {
					text, pos = preambleText(fset, doc), fset.Position(doc.Pos())
				}
				preambles = append(preambles, csrc.Preamble{GoFile: name, Pos: pos, Text: text})
				break
			}
		}
	}
	cpkg, ok := syntheticC(cooked)
	v.Info = &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Implicits:  map[ast.Node]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
	imports := map[string]*types.Package{"unsafe": types.Unsafe}
	for _, imp := range cooked.Imports() {
		imports[imp.Path()] = imp
	}
	conf := &types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if path == "C" && ok {
				return cpkg, nil
			}
			if p := imports[path]; p != nil {
				return p, nil
			}
			return nil, fmt.Errorf("cgoview: %q not imported by the cooked package", path)
		}),
		FakeImportC: !ok,
		Sizes:       sizes,
		Error:       func(error) {}, // C names are unexported in the synthetic package: expected errors
		GoVersion:   cooked.GoVersion(),
	}
	if !ok && len(v.CgoFiles) > 0 {
		v.Partial = "cgo declarations unavailable (cgo processing failed?): C types unknown"
	}
	v.Pkg, _ = conf.Check(cooked.Path(), fset, v.Files, v.Info)
	var cfiles []string
	if len(v.CgoFiles) > 0 && dir != "" {
		cfiles = sourceFiles(dir)
	}
	var exports []string
	for _, fd := range FuncDecls(v.CgoFiles) {
		if e := ExportName(fd); e != "" {
			exports = append(exports, e)
		}
	}
	v.C = csrc.Load(csrc.Options{DB: db, Dir: dir, Exports: exports}, preambles, cfiles)
	v.preambles, v.cfiles = preambles, cfiles
	v.indexIgnores()
	return v, nil
}

func importDecl(f *ast.File, imp *ast.ImportSpec) *ast.GenDecl {
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			for _, s := range gd.Specs {
				if s == imp {
					return gd
				}
			}
		}
	}
	return nil
}

// syntheticC builds package "C" from the cooked package's cgo declarations:
// _Cfunc_f → C.f, _Ctype_t → C.t, _Cvar_v (a pointer) → C.v, _C?const_k → C.k.
// It reports false when the cooked package has none (cgo did not run).
func syntheticC(cooked *types.Package) (*types.Package, bool) {
	c := types.NewPackage("C", "C")
	scope := c.Scope()
	found := false
	for _, name := range cooked.Scope().Names() {
		obj := cooked.Scope().Lookup(name)
		var nobj types.Object
		switch {
		case strings.HasPrefix(name, "_Cfunc_"):
			cname := strings.TrimPrefix(name, "_Cfunc_")
			if cname == "_CMalloc" {
				cname = "malloc" // cmd/cgo's wrapper that never returns nil
			}
			if fn, ok := obj.(*types.Func); ok {
				nobj = types.NewFunc(obj.Pos(), c, cname, fn.Type().(*types.Signature))
			}
		case strings.HasPrefix(name, "_Ctype_"):
			nobj = types.NewTypeName(obj.Pos(), c, strings.TrimPrefix(name, "_Ctype_"), obj.Type())
		case strings.HasPrefix(name, "_Cvar_"):
			if p, ok := obj.Type().(*types.Pointer); ok {
				nobj = types.NewVar(obj.Pos(), c, strings.TrimPrefix(name, "_Cvar_"), p.Elem())
			}
		case strings.HasPrefix(name, "_Ciconst_"), strings.HasPrefix(name, "_Cfconst_"), strings.HasPrefix(name, "_Csconst_"):
			if k, ok := obj.(*types.Const); ok {
				nobj = types.NewConst(obj.Pos(), c, name[len("_Ciconst_"):], k.Type(), k.Val())
			}
		case strings.HasPrefix(name, "_Cmacro_"):
			nobj = types.NewVar(obj.Pos(), c, strings.TrimPrefix(name, "_Cmacro_"), obj.Type())
		}
		if nobj != nil {
			scope.Insert(nobj)
			found = true
		}
	}
	c.MarkComplete()
	return c, found
}

// DeclaresCType reports whether the package's own C code (its preambles and
// the .c and .h files of its directory) defines the C type that cgo calls
// name: struct_s, union_u, or a typedef name t whose definition carries a
// body ("} t;"). A type defined only in an included library header is the
// library's: it fills such structs, and its API is what makes their fields
// consistent. The test is textual (comments are not skipped), which errs on
// the side of "declared here".
func (v *View) DeclaresCType(name string) bool {
	if !v.ownCRead {
		v.ownCRead = true
		var b strings.Builder
		for _, p := range v.preambles {
			b.WriteString(p.Text)
			b.WriteByte('\n')
		}
		for _, f := range v.cfiles {
			if data, err := os.ReadFile(f); err == nil {
				b.Write(data)
				b.WriteByte('\n')
			}
		}
		v.ownC = b.String()
	}
	var re string
	switch {
	case strings.HasPrefix(name, "struct_"):
		re = `\bstruct\s+` + regexp.QuoteMeta(name[len("struct_"):]) + `\s*\{`
	case strings.HasPrefix(name, "union_"):
		re = `\bunion\s+` + regexp.QuoteMeta(name[len("union_"):]) + `\s*\{`
	default:
		re = `\}\s*` + regexp.QuoteMeta(name) + `\s*[;,\[]`
	}
	return regexp.MustCompile(re).MatchString(v.ownC)
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// CName reports whether e (parentheses removed) is a reference C.x and returns x.
// C is resolved through the import declaration, not by the identifier's name.
func (v *View) CName(e ast.Expr) (string, bool) {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", false
	}
	pn, ok := v.Info.Uses[id].(*types.PkgName)
	if !ok || pn.Imported().Path() != "C" {
		return "", false
	}
	return sel.Sel.Name, true
}

// CCall reports whether call is a call C.f(...) and returns f.
func (v *View) CCall(call *ast.CallExpr) (string, bool) { return v.CName(call.Fun) }

// IntConst returns the value of a constant integer expression.
func (v *View) IntConst(e ast.Expr) (int64, bool) {
	tv, ok := v.Info.Types[e]
	if !ok || tv.Value == nil {
		return 0, false
	}
	return constant.Int64Val(constant.ToInt(tv.Value))
}

// StringConst returns the value of a constant string expression.
func (v *View) StringConst(e ast.Expr) (string, bool) {
	tv, ok := v.Info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// CookedObject maps a package-level function or method of the view's package
// to the corresponding object of the cooked package, for analysis facts.
func (v *View) CookedObject(obj types.Object) types.Object {
	if obj == nil || obj.Pkg() != v.Pkg {
		return obj
	}
	fn, ok := obj.(*types.Func)
	if !ok {
		return v.Cooked.Scope().Lookup(obj.Name())
	}
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return v.Cooked.Scope().Lookup(obj.Name())
	}
	rt := sig.Recv().Type()
	if p, ok := rt.(*types.Pointer); ok {
		rt = p.Elem()
	}
	named, ok := rt.(*types.Named)
	if !ok {
		return nil
	}
	tn := v.Cooked.Scope().Lookup(named.Obj().Name())
	if tn == nil {
		return nil
	}
	m, _, _ := types.LookupFieldOrMethod(types.NewPointer(tn.Type()), true, v.Cooked, obj.Name())
	return m
}

// sourceFiles lists the .c files of dir that the go command would compile
// with the package (build constraints and file-name suffixes honoured) and
// its .h files. The drivers cannot tell us: go vet gives a cgo package no
// OtherFiles (cmd/go's vet config drops CFiles when the package uses cgo).
func sourceFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		switch filepath.Ext(name) {
		case ".h":
			out = append(out, filepath.Join(dir, name))
		case ".c":
			if ok, err := build.Default.MatchFile(dir, name); err == nil && ok {
				out = append(out, filepath.Join(dir, name))
			}
		}
	}
	return out
}

// preambleText returns a cgo preamble with its first line on the comment's
// first line, so that C positions map back to the Go file. (CommentGroup.Text
// drops leading blank lines, such as the rest of a "/*" line, and directive
// lines, which would shift every line after them.)
func preambleText(fset *token.FileSet, cg *ast.CommentGroup) string {
	var b strings.Builder
	for i, c := range cg.List {
		if i > 0 {
			for l := fset.Position(cg.List[i-1].End()).Line; l < fset.Position(c.Pos()).Line; l++ {
				b.WriteByte('\n')
			}
		}
		t := c.Text
		if strings.HasPrefix(t, "//") {
			t = t[2:]
		} else {
			t = strings.TrimSuffix(t[2:], "*/")
		}
		b.WriteString(t)
	}
	return b.String()
}

// FuncDecls returns the function and method declarations with bodies in files,
// in order: what every analyzer walks.
func FuncDecls(files []*ast.File) []*ast.FuncDecl {
	var out []*ast.FuncDecl
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				out = append(out, fd)
			}
		}
	}
	return out
}
