package cgoview

import (
	"go/ast"
	"go/token"
	"golang.org/x/tools/go/analysis"
	"strings"
)

// An ignore is one //cgoguard:ignore <check>[,<check>] <reason> directive.
type ignore struct {
	checks []string
	reason string
	pos    token.Pos
}

type funcIgnore struct {
	ignore
	from, to token.Pos
}

const ignorePrefix = "//cgoguard:ignore"

func parseIgnore(c *ast.Comment) (ignore, bool) {
	if !strings.HasPrefix(c.Text, ignorePrefix) {
		return ignore{}, false
	}
	fields := strings.Fields(strings.TrimPrefix(c.Text, ignorePrefix))
	if len(fields) == 0 {
		return ignore{pos: c.Pos()}, true
	}
	return ignore{checks: strings.Split(fields[0], ","), reason: strings.Join(fields[1:], " "), pos: c.Pos()}, true
}

func (ig ignore) covers(check string) bool {
	if ig.reason == "" {
		return false // a directive without a reason suppresses nothing; see BadIgnores
	}
	for _, c := range ig.checks {
		if c == check || c == "all" {
			return true
		}
	}
	return false
}

// indexIgnores records the directives of every raw file: a directive on a line
// applies to that line and the next one (so it can stand above a statement);
// one in a function's doc comment applies to the whole function.
func (v *View) indexIgnores() {
	v.ignores = map[string]map[int][]ignore{}
	for _, f := range v.Files {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				ig, ok := parseIgnore(c)
				if !ok {
					continue
				}
				p := v.Fset.Position(c.Pos())
				lines := v.ignores[p.Filename]
				if lines == nil {
					lines = map[int][]ignore{}
					v.ignores[p.Filename] = lines
				}
				lines[p.Line] = append(lines[p.Line], ig)
				lines[p.Line+1] = append(lines[p.Line+1], ig)
			}
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Doc == nil {
				continue
			}
			for _, c := range fd.Doc.List {
				if ig, ok := parseIgnore(c); ok {
					v.funcIgnores = append(v.funcIgnores, funcIgnore{ignore: ig, from: fd.Pos(), to: fd.End()})
				}
			}
		}
	}
}

// Ignored reports whether a //cgoguard:ignore directive for check covers pos.
func (v *View) Ignored(pos token.Pos, check string) bool {
	p := v.Fset.Position(pos)
	for _, ig := range v.ignores[p.Filename][p.Line] {
		if ig.covers(check) {
			return true
		}
	}
	for _, fi := range v.funcIgnores {
		if fi.from <= pos && pos < fi.to && fi.covers(check) {
			return true
		}
	}
	return false
}

// BadIgnores returns the positions of directives that name no check or give
// no reason: they suppress nothing, and the driver reports them.
func (v *View) BadIgnores() []token.Pos {
	var out []token.Pos
	seen := map[token.Pos]bool{}
	for _, lines := range v.ignores {
		for _, igs := range lines {
			for _, ig := range igs {
				if (len(ig.checks) == 0 || ig.reason == "") && !seen[ig.pos] {
					seen[ig.pos] = true
					out = append(out, ig.pos)
				}
			}
		}
	}
	return out
}

// Report reports d for the running analyzer unless a //cgoguard:ignore
// directive for it covers d.Pos. The check's name is the analyzer's.
func (v *View) Report(pass *analysis.Pass, d analysis.Diagnostic) {
	if v.Ignored(d.Pos, pass.Analyzer.Name) {
		return
	}
	d.Category = pass.Analyzer.Name
	pass.Report(d)
}
