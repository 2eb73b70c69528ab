package monitor

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Policy says when a model is bad enough to roll back: in Periods
// consecutive evaluation periods, the p95 latency of the period was above
// MaxP95 or some feature's KS drift score was above MaxDrift. A period with
// too little data (MinLatencySamples, MinRows) judges nothing on that
// signal: an idle service is not a slow one.
type Policy struct {
	MaxP95            time.Duration
	MinLatencySamples int
	MaxDrift          float64
	MinRows           int
	Periods           int
}

// DefaultPolicy mirrors the seed's rule (any signal over its threshold for 3
// consecutive one-minute periods rolls back), with thresholds for this
// service.
var DefaultPolicy = Policy{MaxP95: 50 * time.Millisecond, MinLatencySamples: 20, MaxDrift: 0.25, MinRows: 200, Periods: 3}

// Evaluation is the outcome of one period.
type Evaluation struct {
	At             time.Time
	P95            time.Duration // of this period's requests
	LatencySamples int
	MaxDrift       float64 // the largest feature score
	DriftFeature   string  // its feature
	WindowRows     int
	Scores         map[string]float64 // every feature's score
	Breaches       []string           // what was over its threshold
	Streak         int                // consecutive breaching periods, this one included
	RolledBack     bool
	RollbackErr    error
}

// maxLatencySamples bounds the latencies kept per period (a uniform sample
// beyond that), so a busy period costs fixed memory.
const maxLatencySamples = 8192

// Watchdog evaluates a Policy once per period. Time comes from outside:
// Evaluate takes the period's end, Run the ticks of a clock, so tests drive
// it without sleeping.
type Watchdog struct {
	policy   Policy
	rollback func(reason string) error

	mu     sync.Mutex
	drift  *Drift
	lat    []float64 // seconds
	seen   int       // latencies observed this period
	rng    *rand.Rand
	streak int
	last   Evaluation
}

// NewWatchdog returns a watchdog that calls rollback when p says so. drift
// may be nil until SetDrift.
func NewWatchdog(p Policy, drift *Drift, rollback func(reason string) error) *Watchdog {
	if p.Periods < 1 {
		p.Periods = 1
	}
	return &Watchdog{policy: p, rollback: rollback, drift: drift, rng: rand.New(rand.NewPCG(1, 2))}
}

// SetDrift replaces the drift monitor (a new model has its own reference)
// and starts counting breaches afresh.
func (w *Watchdog) SetDrift(d *Drift) {
	w.mu.Lock()
	w.drift = d
	w.streak = 0
	w.lat, w.seen = w.lat[:0], 0
	w.mu.Unlock()
}

// Drift returns the current drift monitor.
func (w *Watchdog) Drift() *Drift {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.drift
}

// ObserveLatency records one request's latency in the current period.
func (w *Watchdog) ObserveLatency(d time.Duration) {
	w.mu.Lock()
	w.seen++
	if len(w.lat) < maxLatencySamples {
		w.lat = append(w.lat, d.Seconds())
	} else if i := w.rng.IntN(w.seen); i < maxLatencySamples {
		w.lat[i] = d.Seconds() // reservoir sampling
	}
	w.mu.Unlock()
}

// Evaluate closes the period that ends at now: it judges the period's p95
// and the drift scores, and rolls back on the Periods-th consecutive breach.
func (w *Watchdog) Evaluate(now time.Time) Evaluation {
	w.mu.Lock()
	lat := slices.Clone(w.lat)
	w.lat, w.seen = w.lat[:0], 0
	drift := w.drift
	w.mu.Unlock()

	ev := Evaluation{At: now, LatencySamples: len(lat)}
	if len(lat) > 0 {
		sort.Float64s(lat)
		// Nearest-rank p95: the smallest value with at least 95% at or below it.
		ev.P95 = time.Duration(lat[int(math.Ceil(0.95*float64(len(lat))))-1] * float64(time.Second))
		if len(lat) >= w.policy.MinLatencySamples && ev.P95 > w.policy.MaxP95 {
			ev.Breaches = append(ev.Breaches, fmt.Sprintf("p95 latency %v > %v", ev.P95, w.policy.MaxP95))
		}
	}
	if drift != nil {
		ev.Scores, ev.WindowRows = drift.Scores()
		for _, name := range drift.names {
			if s := ev.Scores[name]; s > ev.MaxDrift || ev.DriftFeature == "" {
				ev.MaxDrift, ev.DriftFeature = s, name
			}
		}
		if ev.WindowRows >= w.policy.MinRows && ev.MaxDrift > w.policy.MaxDrift {
			ev.Breaches = append(ev.Breaches, fmt.Sprintf("feature %q drift KS=%.3f > %.3f", ev.DriftFeature, ev.MaxDrift, w.policy.MaxDrift))
		}
	}

	w.mu.Lock()
	if w.drift != drift { // the model changed during the evaluation: judge it afresh
		w.mu.Unlock()
		return ev
	}
	if len(ev.Breaches) == 0 {
		w.streak = 0
	} else {
		w.streak++
	}
	ev.Streak = w.streak
	fire := w.streak >= w.policy.Periods
	if fire {
		w.streak = 0
	}
	w.mu.Unlock()

	if fire && w.rollback != nil {
		ev.RolledBack = true
		ev.RollbackErr = w.rollback(fmt.Sprintf("%d consecutive periods: %s", w.policy.Periods, strings.Join(ev.Breaches, "; ")))
	}
	w.mu.Lock()
	w.last = ev
	w.mu.Unlock()
	return ev
}

// Last returns the latest evaluation.
func (w *Watchdog) Last() Evaluation {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// Run evaluates at every tick until ctx ends; report, if not nil, gets
// each evaluation. In production ticks is a time.Ticker's channel.
func (w *Watchdog) Run(ctx context.Context, ticks <-chan time.Time, report func(Evaluation)) {
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticks:
			ev := w.Evaluate(now)
			if report != nil {
				report(ev)
			}
		}
	}
}
