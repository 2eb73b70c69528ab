// Package cside gives analyzers the C model of a cgo package with the
// package's own .c files in it.
//
// cgoview builds its model (View.C) from the cgo preambles only: a function
// that a preamble declares and a .c file of the package defines has no body
// there, so nothing is known of what it keeps, whether it blocks, or what it
// returns. And its preamble text comes from CommentGroup.Text, which drops the
// blank rest of the opening "/*" line, so every C position it reports is one
// line early. Until cgoview is fixed, this analyzer builds the model again,
// from the preambles' raw text plus the package's .c and .h files. The files
// are Pass.OtherFiles when the driver lists them (go/packages does); go vet
// does not for cgo packages (cmd/go's buildVetConfig drops CFiles when the
// package uses cgo), so they are then read from the package directory, with
// the build constraints the go command would apply.
package cside

import (
	"go/ast"
	"go/build"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/csrc"
)

// Analyzer's result is the *csrc.Model of a cgo package (nil for others).
var Analyzer = &analysis.Analyzer{
	Name:             "cside",
	Doc:              "the C model of a cgo package, its .c files included (internal to cgoguard)",
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
	ResultType:       reflect.TypeOf((*csrc.Model)(nil)),
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil {
		return (*csrc.Model)(nil), nil
	}
	var files []string
	for _, f := range pass.OtherFiles {
		switch filepath.Ext(f) {
		case ".c", ".h":
			files = append(files, f)
		}
	}
	dir := ""
	if len(v.Files) > 0 {
		dir = filepath.Dir(v.Fset.Position(v.Files[0].Pos()).Filename)
	}
	if len(files) == 0 && dir != "" {
		files = sourceFiles(dir)
	}
	var preambles []csrc.Preamble
	for _, f := range v.CgoFiles {
		name := v.Fset.Position(f.Pos()).Filename
		for _, imp := range f.Imports {
			if imp.Path.Value != `"C"` {
				continue
			}
			text, pos := "", v.Fset.Position(imp.Pos())
			doc := imp.Doc
			if doc == nil {
				doc = importDoc(f, imp)
			}
			if doc != nil {
				text, pos = preambleText(v.Fset, doc), v.Fset.Position(doc.Pos())
			}
			preambles = append(preambles, csrc.Preamble{GoFile: name, Pos: pos, Text: text})
			break
		}
	}
	return csrc.Load(csrc.Options{DB: v.DB, Dir: dir}, preambles, files), nil
}

// sourceFiles lists the .c files of dir that the build would compile (build
// constraints and file name suffixes honoured) and its .h files.
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

// preambleText returns the text of a cgo preamble with its line 1 on the
// comment's first line. (CommentGroup.Text drops leading blank lines, such
// as the rest of a "/*" line, and directive lines, which shifts every line
// after them.)
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

// importDoc returns the doc comment of the import declaration holding imp.
func importDoc(f *ast.File, imp *ast.ImportSpec) *ast.CommentGroup {
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			for _, s := range gd.Specs {
				if s == imp {
					return gd.Doc
				}
			}
		}
	}
	return nil
}
