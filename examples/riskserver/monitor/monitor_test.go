package monitor

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// ksBrute is the definition: the largest |F_a(x) - F_b(x)| over every
// sample value x.
func ksBrute(a, b []float64) float64 {
	cdf := func(s []float64, x float64) float64 {
		n := 0
		for _, v := range s {
			if v <= x {
				n++
			}
		}
		return float64(n) / float64(len(s))
	}
	var d float64
	for _, x := range append(slices.Clone(a), b...) {
		d = max(d, math.Abs(cdf(a, x)-cdf(b, x)))
	}
	return d
}

func TestKSKnownValues(t *testing.T) {
	for _, c := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, 0},
		{[]float64{1, 2, 3}, []float64{4, 5, 6}, 1},
		{[]float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}, 0.5},
		{[]float64{1, 1, 1, 2}, []float64{1, 2, 2, 2}, 0.5}, // ties move both functions at once
		{[]float64{0}, []float64{0, 1}, 0.5},
	} {
		if got := KS(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("KS(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestKSMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		a := make([]float64, 1+r.IntN(40))
		b := make([]float64, 1+r.IntN(40))
		for j := range a {
			a[j] = float64(r.IntN(10)) // small range: many ties
		}
		for j := range b {
			b[j] = float64(r.IntN(10)) + float64(i%3)
		}
		slices.Sort(a)
		slices.Sort(b)
		if got, want := KS(a, b), ksBrute(a, b); math.Abs(got-want) > 1e-12 {
			t.Fatalf("KS(%v, %v) = %v, definition %v", a, b, got, want)
		}
	}
}

func TestKSPValue(t *testing.T) {
	// Same distribution: a typical D gives a large p; a shifted one a tiny p.
	r := rand.New(rand.NewPCG(5, 6))
	a, b, c := make([]float64, 500), make([]float64, 500), make([]float64, 500)
	for i := range a {
		a[i], b[i], c[i] = r.NormFloat64(), r.NormFloat64(), r.NormFloat64()+0.5
	}
	slices.Sort(a)
	slices.Sort(b)
	slices.Sort(c)
	if p := KSPValue(KS(a, b), 500, 500); p < 0.05 {
		t.Errorf("same distribution: p = %v", p)
	}
	if p := KSPValue(KS(a, c), 500, 500); p > 1e-6 {
		t.Errorf("shifted by 0.5 sd: p = %v", p)
	}
}

func newDrift(t *testing.T, window int) *Drift {
	t.Helper()
	ref := map[string][]float64{"x": nil, "y": nil}
	for i := range 100 {
		ref["x"] = append(ref["x"], float64(i))
		ref["y"] = append(ref["y"], float64(i%10))
	}
	d, err := NewDrift([]string{"x", "y"}, ref, window)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDriftWindowSlides(t *testing.T) {
	d := newDrift(t, 100)
	var rows []float32
	for i := range 100 { // the reference distribution
		rows = append(rows, float32(i), float32(i%10))
	}
	d.Observe(rows)
	s, n := d.Scores()
	if n != 100 || s["x"] != 0 || s["y"] != 0 {
		t.Fatalf("reference traffic: %v over %d rows", s, n)
	}
	rows = rows[:0]
	for i := range 100 { // x shifted past the reference: the window is replaced
		rows = append(rows, float32(1000+i), float32(i%10))
	}
	d.Observe(rows)
	s, n = d.Scores()
	if n != 100 || s["x"] != 1 || s["y"] != 0 {
		t.Fatalf("drifted traffic: %v over %d rows", s, n)
	}
}

// fakeClock hands out evaluation times one period apart.
type fakeClock struct{ now time.Time }

func (c *fakeClock) tick() time.Time { c.now = c.now.Add(time.Minute); return c.now }

func TestWatchdogRollsBackAfterConsecutiveBreaches(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := Policy{MaxP95: 10 * time.Millisecond, MinLatencySamples: 20, MaxDrift: 0.3, MinRows: 50, Periods: 3}
	var reasons []string
	w := NewWatchdog(p, newDrift(t, 100), func(r string) error { reasons = append(reasons, r); return nil })
	period := func(lat time.Duration) Evaluation {
		for range 40 {
			w.ObserveLatency(lat)
		}
		return w.Evaluate(clock.tick())
	}
	fast, slow := time.Millisecond, 30*time.Millisecond

	// Two slow periods, a fast one, two slow: never three in a row.
	for i, lat := range []time.Duration{slow, slow, fast, slow, slow} {
		ev := period(lat)
		if ev.RolledBack {
			t.Fatalf("period %d: rolled back at streak %d", i, ev.Streak)
		}
	}
	ev := period(slow) // the third consecutive slow period
	if !ev.RolledBack || ev.Streak != 3 || len(reasons) != 1 || !strings.Contains(reasons[0], "p95 latency 30ms > 10ms") {
		t.Fatalf("third slow period: %+v, reasons %q", ev, reasons)
	}
	if ev := period(slow); ev.Streak != 1 || ev.RolledBack {
		t.Fatalf("after a rollback the streak starts again: %+v", ev)
	}

	// An idle period (too few samples) breaks nothing and proves nothing.
	w.ObserveLatency(slow)
	if ev := w.Evaluate(clock.tick()); len(ev.Breaches) != 0 || ev.Streak != 0 {
		t.Fatalf("one slow request: %+v", ev)
	}
}

func TestWatchdogRollsBackOnDrift(t *testing.T) {
	clock := &fakeClock{}
	p := Policy{MaxP95: time.Second, MinLatencySamples: 1, MaxDrift: 0.3, MinRows: 50, Periods: 2}
	fail := errors.New("no previous model")
	calls := 0
	d := newDrift(t, 100)
	w := NewWatchdog(p, d, func(string) error { calls++; return fail })
	var rows []float32
	for i := range 60 {
		rows = append(rows, float32(50+i), float32(i%10)) // x: only the upper part of the reference range
	}
	d.Observe(rows)
	ev1 := w.Evaluate(clock.tick())
	ev2 := w.Evaluate(clock.tick())
	if ev1.RolledBack || !ev2.RolledBack || calls != 1 || !errors.Is(ev2.RollbackErr, fail) {
		t.Fatalf("drift: %+v then %+v, %d rollback calls", ev1, ev2, calls)
	}
	if ev2.DriftFeature != "x" || ev2.MaxDrift < 0.49 {
		t.Fatalf("drift score: %s %v", ev2.DriftFeature, ev2.MaxDrift)
	}

	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	m.Record(ev2)
	if got := testutil.ToFloat64(m.Drift.WithLabelValues("x")); got != ev2.MaxDrift {
		t.Fatalf("drift gauge %v, want %v", got, ev2.MaxDrift)
	}
	if got := testutil.ToFloat64(m.Rollbacks); got != 0 {
		t.Fatalf("a failed rollback counted: %v", got)
	}
	if lint, err := testutil.GatherAndLint(reg); err != nil || len(lint) != 0 {
		t.Fatalf("lint: %v %v", lint, err)
	}
}
