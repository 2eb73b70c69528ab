package dataflow

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"testing"

	"golang.org/x/tools/go/cfg"
)

// assigned is a must analysis: the variables assigned on every path.
type assigned struct {
	live bool
	vars map[string]bool
}

func meet(a, b assigned) assigned {
	if !a.live {
		return b
	}
	if !b.live {
		return a
	}
	r := assigned{live: true, vars: map[string]bool{}}
	for v := range a.vars {
		if b.vars[v] {
			r.vars[v] = true
		}
	}
	return r
}

func transfer(b *cfg.Block, in assigned) assigned {
	out := assigned{live: in.live, vars: maps.Clone(in.vars)}
	if out.vars == nil {
		out.vars = map[string]bool{}
	}
	for _, n := range b.Nodes {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				out.vars[l.(*ast.Ident).Name] = true
			}
		}
	}
	return out
}

// atReturn runs the analysis over body and returns the variables assigned
// on every path to its return statement.
func atReturn(t *testing.T, body string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", "package p\nfunc f(c bool) {\n"+body+"\n}\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.New(f.Decls[0].(*ast.FuncDecl).Body, func(*ast.CallExpr) bool { return true })
	in := Forward(g, Problem[assigned]{
		Entry:    assigned{live: true},
		Transfer: transfer,
		Meet:     meet,
		Equal:    func(a, b assigned) bool { return a.live == b.live && maps.Equal(a.vars, b.vars) },
	})
	for _, b := range g.Blocks {
		for _, n := range b.Nodes {
			if _, ok := n.(*ast.ReturnStmt); ok {
				return transfer(b, in[b]).vars
			}
		}
	}
	t.Fatal("no return")
	return nil
}

func TestForwardMeetsAtJoins(t *testing.T) {
	got := atReturn(t, `a := 1
	if c {
		b := 2
		x := 3
		_, _ = b, x
	} else {
		x := 4
		_ = x
	}
	return`)
	if !got["a"] || !got["x"] || got["b"] {
		t.Fatalf("assigned on every path: %v, want a and x, not b", got)
	}
}

func TestForwardLoopReachesFixedPoint(t *testing.T) {
	got := atReturn(t, `a := 0
	for c {
		b := 1
		_ = b
	}
	return`)
	if !got["a"] || got["b"] {
		t.Fatalf("after a loop that may not run: %v, want a only", got)
	}
}
