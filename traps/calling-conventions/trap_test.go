package callingconventions

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// expected computes, in Go, what the C library returns for the arguments the
// programs pass, so that any lost, swapped or shifted argument shows.
func expected() map[string]string {
	var sum10 int64
	for i := int64(0); i < 10; i++ {
		sum10 += (i + 1) * (101 + i)
	}
	args := []float64{0.5, 0.25, 1 << 40, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5}
	mix := 1.0
	for i, a := range args {
		mix += float64(i+2) * a
	}
	return map[string]string{
		"sum10": fmt.Sprint(sum10),
		"mix":   fmt.Sprint(mix),
		"vec_x": fmt.Sprint(1.25 + 2*0.5), "vec_y": fmt.Sprint(3 * -2.0),
		"tri_a": fmt.Sprint(10 + 7*1), "tri_b": fmt.Sprint(20 - 7*2), "tri_c": fmt.Sprint(30*3 + 7),
	}
}

// TestEffect: the stdcall-declared functions return the right results for
// every argument shape (the seed's stack corruption does not happen), while the
// hand-declared legacy functions return wrong results in bad and right ones in good.
func TestEffect(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"))
	good := trapt.Run(t, trapt.Build(t, "good"))
	if bad.ExitCode != 0 || good.ExitCode != 0 {
		t.Fatalf("bad: %v\ngood: %v", bad, good)
	}
	for k, want := range expected() {
		for name, r := range map[string]*trapt.Result{"bad (stdcall)": bad, "good": good} {
			if got, _ := r.Value(k); got != want {
				t.Errorf("%s: %s=%q, want %q", name, k, got, want)
			}
		}
	}

	// int sum32(int, int) called as long sum32(long, long): C adds the low 32
	// bits and the 32-bit result is zero-extended into the 64-bit register Go reads.
	if got := bad.Int(t, "sum32_neg"); got != 1<<32-1 {
		t.Errorf("bad: sum32(-1, 0) = %d, want 4294967295 (-1 as uint32, zero-extended)", got)
	}
	if got := bad.Int(t, "sum32_big"); got != 2 {
		t.Errorf("bad: sum32(1<<32+1, 1) = %d, want 2 (upper half of the argument dropped)", got)
	}
	// float scale(float, int) called as double scale(double, int): C reads the
	// low half of a double as a float and Go reads a float's bits as a double.
	if got, _ := bad.Value("scale"); got == "1" {
		t.Errorf("bad: scale(0.1, 10) = %s: the mismatched declaration should misread it", got)
	}
	if got := good.Int(t, "sum32_neg"); got != -1 {
		t.Errorf("good: sum32(-1, 0) = %d, want -1", got)
	}
	if got, _ := good.Value("scale"); got != "1" {
		t.Errorf("good: scale(0.1, 10) = %s, want 1", got)
	}
	if got, _ := good.Value("variadic_wrapper"); got != "42/2.50" {
		t.Errorf("good: variadic wrapper gave %q, want 42/2.50", got)
	}
	if got := good.Int(t, "funcptr"); got != 42 {
		t.Errorf("good: C trampoline gave %d, want 42", got)
	}
	t.Logf("mismatched declarations: sum32(-1,0)=%d, sum32(1<<32+1,1)=%d, scale(0.1,10)=%s",
		bad.Int(t, "sum32_neg"), bad.Int(t, "sum32_big"), mustValue(bad, "scale"))
}

// TestStdcallIgnoredByGCC compiles the stdcall library the way cgo does and
// shows that gcc drops the attribute on x86-64 and emits plain ret: no
// callee-pops-arguments "ret $N" that could unbalance a caller's stack.
func TestStdcallIgnoredByGCC(t *testing.T) {
	cc := strings.Fields(goEnv(t, "CC"))
	obj := filepath.Join(t.TempDir(), "conv.o")
	out, err := exec.Command(cc[0], append(cc[1:], "-O2", "-Wall", "-c", "-o", obj, "bad/conv.c")...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cc[0], err, out)
	}
	if !regexp.MustCompile(`.stdcall. attribute ignored`).Match(out) {
		t.Errorf("gcc did not warn that stdcall is ignored:\n%s", out)
	}
	dis, err := exec.Command("objdump", "-d", "--no-show-raw-insn", obj).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump: %v\n%s", err, dis)
	}
	rets := regexp.MustCompile(`(?m)\sret\b.*$`).FindAllString(string(dis), -1)
	if len(rets) < 4 {
		t.Fatalf("found %d ret instructions in 4 functions:\n%s", len(rets), dis)
	}
	for _, r := range rets {
		if strings.Contains(r, "$") {
			t.Errorf("callee pops its arguments (%s): stdcall was honoured", strings.TrimSpace(r))
		}
	}
	t.Logf("gcc: %s", firstLine(out))
	t.Logf("%d functions end in plain ret", len(rets))
}

// TestCgoRejectsVariadicAndFuncPtr shows the ABI limits cgo enforces at
// build time instead of miscalling at run time.
func TestCgoRejectsVariadicAndFuncPtr(t *testing.T) {
	for _, c := range []struct{ dir, want string }{
		{"variadic", "unexpected type: ..."},
		{"funcptr", "cannot call f"},
	} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), c.dir), "./testdata/"+c.dir).CombinedOutput()
		if err == nil {
			t.Errorf("testdata/%s compiled; cgo should refuse it", c.dir)
			continue
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("testdata/%s: build output lacks %q:\n%s", c.dir, c.want, out)
		}
		t.Logf("testdata/%s: %s", c.dir, lastLine(out))
	}
}

func goEnv(t *testing.T, key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		t.Fatalf("go env %s is empty", key)
	}
	if _, err := exec.LookPath(strings.Fields(v)[0]); err != nil {
		t.Skipf("C compiler %q not found: %v", v, err)
	}
	return v
}

func mustValue(r *trapt.Result, k string) string { v, _ := r.Value(k); return v }

func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "warning") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
