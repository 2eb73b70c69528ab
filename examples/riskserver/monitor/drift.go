package monitor

import (
	"fmt"
	"slices"
	"sync"
)

// Drift compares the distribution of recent request features with the
// model's reference sample, feature by feature. It is safe for concurrent
// use: Observe is called by every request, Scores by the evaluator.
type Drift struct {
	names []string
	ref   [][]float64 // per feature, sorted

	mu   sync.Mutex
	win  [][]float64 // per feature, a ring of the last cap values
	next int         // ring position of the next row
	n    int         // rows in the ring (≤ cap)
}

// NewDrift returns a drift monitor for the features names (in the order of
// the rows given to Observe), with reference samples ref (by name) and a
// window of the last window rows.
func NewDrift(names []string, ref map[string][]float64, window int) (*Drift, error) {
	if window < 1 {
		return nil, fmt.Errorf("monitor: window %d", window)
	}
	d := &Drift{names: slices.Clone(names), ref: make([][]float64, len(names)), win: make([][]float64, len(names))}
	for i, name := range names {
		r, ok := ref[name]
		if !ok || len(r) == 0 {
			return nil, fmt.Errorf("monitor: no reference sample for feature %q", name)
		}
		d.ref[i] = sortedCopy(r)
		d.win[i] = make([]float64, window)
	}
	return d, nil
}

// Observe adds rows (row-major, len(names) values each) to the window.
func (d *Drift) Observe(rows []float32) {
	nf := len(d.names)
	d.mu.Lock()
	for r := 0; r+nf <= len(rows); r += nf {
		for f := range nf {
			d.win[f][d.next] = float64(rows[r+f])
		}
		d.next = (d.next + 1) % len(d.win[0])
		d.n = min(d.n+1, len(d.win[0]))
	}
	d.mu.Unlock()
}

// Len returns the number of rows in the window.
func (d *Drift) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// Scores returns each feature's KS statistic between the reference and the
// window (by name), and the number of rows in the window.
func (d *Drift) Scores() (map[string]float64, int) {
	d.mu.Lock()
	cols := make([][]float64, len(d.names))
	for f := range d.names {
		cols[f] = slices.Clone(d.win[f][:d.n]) // the order inside the ring does not matter to KS
	}
	n := d.n
	d.mu.Unlock()
	out := make(map[string]float64, len(d.names))
	for f, name := range d.names {
		slices.Sort(cols[f])
		out[name] = KS(d.ref[f], cols[f])
	}
	return out, n
}
