package nestedgopointer_test

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// knownMissed are test functions whose call panics at run time but which
// the analysis deliberately does not report: the inner pointer's origin is
// unknown inside the function (a pointer parameter).
var knownMissed = map[string]bool{"pointerParam": true}

// TestRuntimeAgrees compiles the analysistest package as a program and runs
// every function under the default cgocheck: a function whose body carries
// a "// want" must panic with cgocheck's error, every other one must not,
// except the documented misses. It shows that each report is a real crash
// and each silence a legal call.
func TestRuntimeAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a cgo program")
	}
	src, err := os.ReadFile("testdata/src/nested/nested.go")
	if err != nil {
		t.Fatal(err)
	}
	harness, err := os.ReadFile("testdata/run/main.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prog := bytes.Replace(src, []byte("package nested"), []byte("package main"), 1)
	// The harness calls C.CString: give it its own import "C".
	harness = bytes.Replace(harness, []byte("import (\n"), []byte("import \"C\"\n\nimport (\n"), 1)
	for name, data := range map[string][]byte{"nested.go": prog, "main.go": harness, "go.mod": []byte("module nestedrun\n\ngo 1.26\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GODEBUG=cgocheck=1", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 {
			got[f[0]] = f[1]
		}
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "nested.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		wanted := false
		for _, cg := range file.Comments {
			if cg.Pos() > fd.Pos() && cg.End() < fd.End() && strings.Contains(cg.Text(), "want ") {
				wanted = true
			}
		}
		want := "ok"
		if wanted || knownMissed[fd.Name.Name] {
			want = "panic"
		}
		if got[fd.Name.Name] != want {
			t.Errorf("%s: run %q, want %q (reported=%v)", fd.Name.Name, got[fd.Name.Name], want, wanted)
		}
	}
}
