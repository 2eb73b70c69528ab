// Package partial analyses a cgo package that cannot be cgo-processed, for
// example because a C header is missing or does not match the Go code: go vet
// and golangci-lint skip such a package entirely, and its C memory bugs with it.
//
// The package's raw files are parsed and type-checked with go/types'
// FakeImportC, so every C.x expression has an unknown type while the Go side is
// fully typed; dependencies come from their export data (go list -export). The
// analyzers then run on that package through a small driver: no facts cross
// package boundaries in this mode, and checks that need C types see less. The
// result is reported as partial.
package partial

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"

	"golang.org/x/tools/go/analysis"
)

// Diagnostic is one finding with its position resolved.
type Diagnostic struct {
	Analyzer string
	Posn     token.Position
	Message  string
	Related  []RelatedInfo
}

// RelatedInfo is a secondary position of a Diagnostic.
type RelatedInfo struct {
	Posn    token.Position
	Message string
}

// listed is the part of "go list -json" we use.
type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Export     string
	ImportMap  map[string]string
	Error      *struct{ Err string }
}

// Analyze runs analyzers on the package pattern pkg (one package) from its raw
// files. tags are build tags as for go build.
func Analyze(pkg string, tags string, analyzers []*analysis.Analyzer) ([]Diagnostic, error) {
	args := []string{"list", "-e", "-export", "-json", "-deps"}
	if tags != "" {
		args = append(args, "-tags="+tags)
	}
	out, err := exec.Command("go", append(args, pkg)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v", pkg, err)
	}
	var all []*listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l listed
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		all = append(all, &l)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("go list %s: no package", pkg)
	}
	target := all[len(all)-1] // -deps lists the package after its dependencies
	exports := map[string]string{}
	for _, l := range all {
		if l.Export != "" {
			exports[l.ImportPath] = l.Export
		}
	}

	fset := token.NewFileSet()
	var files []*ast.File
	names := append(append([]string(nil), target.GoFiles...), target.CgoFiles...)
	sort.Strings(names)
	for _, name := range names {
		f, err := parser.ParseFile(fset, filepath.Join(target.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if p, ok := target.ImportMap[path]; ok {
			path = p
		}
		e, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(e)
	})
	info := &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		Scopes:       map[ast.Node]*types.Scope{},
		Instances:    map[*ast.Ident]types.Instance{},
		FileVersions: map[*ast.File]string{},
	}
	conf := types.Config{Importer: imp, FakeImportC: true, Error: func(error) {}}
	tpkg, _ := conf.Check(target.ImportPath, fset, files, info)

	d := &driver{fset: fset, files: files, pkg: tpkg, info: info, results: map[*analysis.Analyzer]any{}}
	for _, a := range analyzers {
		if err := d.run(a, true); err != nil {
			return d.diags, err
		}
	}
	return d.diags, nil
}

// driver runs analyzers and their requirements on one package, without facts.
type driver struct {
	fset    *token.FileSet
	files   []*ast.File
	pkg     *types.Package
	info    *types.Info
	results map[*analysis.Analyzer]any
	diags   []Diagnostic
}

func (d *driver) run(a *analysis.Analyzer, report bool) error {
	if _, done := d.results[a]; done {
		return nil
	}
	for _, req := range a.Requires {
		if err := d.run(req, false); err != nil {
			return err
		}
	}
	resultOf := map[*analysis.Analyzer]any{}
	for _, req := range a.Requires {
		resultOf[req] = d.results[req]
	}
	pass := &analysis.Pass{
		Analyzer:          a,
		Fset:              d.fset,
		Files:             d.files,
		Pkg:               d.pkg,
		TypesInfo:         d.info,
		TypesSizes:        types.SizesFor("gc", "amd64"),
		ResultOf:          resultOf,
		ReadFile:          os.ReadFile,
		ImportObjectFact:  func(types.Object, analysis.Fact) bool { return false },
		ExportObjectFact:  func(types.Object, analysis.Fact) {},
		ImportPackageFact: func(*types.Package, analysis.Fact) bool { return false },
		ExportPackageFact: func(analysis.Fact) {},
		AllObjectFacts:    func() []analysis.ObjectFact { return nil },
		AllPackageFacts:   func() []analysis.PackageFact { return nil },
		Report: func(diag analysis.Diagnostic) {
			if !report {
				return
			}
			dg := Diagnostic{Analyzer: a.Name, Posn: d.fset.Position(diag.Pos), Message: diag.Message}
			for _, r := range diag.Related {
				dg.Related = append(dg.Related, RelatedInfo{Posn: d.fset.Position(r.Pos), Message: r.Message})
			}
			d.diags = append(d.diags, dg)
		},
	}
	res, err := a.Run(pass)
	if err != nil {
		return fmt.Errorf("%s: %v", a.Name, err)
	}
	if res == nil && a.ResultType != nil {
		res = reflect.Zero(a.ResultType).Interface()
	}
	d.results[a] = res
	return nil
}
