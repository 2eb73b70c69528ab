// Package model is the model-service layer: a loaded XGBoost model (Model),
// hot reload with reference counting, rollback to the previous model, and
// dynamic batching (Service).
//
// # Which thread frees a booster
//
// XGBoost 1.7 keeps the scratch state of C API calls (prediction results,
// returned strings) and its prediction cache in thread-local maps keyed by
// booster (LearnerAPIThreadLocalStore and ThreadLocalPredictionCache in
// src/learner.cc), and XGBoosterFree erases only the calling thread's
// entries. A booster that predicted on thread A and is freed on thread B
// leaves A's entries allocated for as long as A lives; Go threads live for
// the whole process. So a service that reloads its model while requests run
// on arbitrary goroutines leaks on every reload: measured under the tracker,
// 686 blocks (46,800 bytes) for 50 reloads under the load of 4 request
// goroutines (gate.TestHotReloadUnderTracker, internal/reloadprobe mode
// "otherthread").
// This is the seed's "hot-update memory leak", in C.
//
// A Model therefore owns its threads: every C call on its booster runs on one
// of its own locked OS threads (safe/osthread), the booster is freed on its
// first thread, and then every thread is ended, which runs the C++
// thread_local destructors that free the other threads' entries
// (osthread.Close returns once the OS thread is gone, and an osthread is
// never the main thread, which Go does not end). The tracker finds nothing
// left after 3, 9 or 50 reloads under load.
//
// # When a booster is freed
//
// A Model is reference counted. The Service holds one reference while the
// model is current (or kept for rollback); every batch holds one while it
// predicts. Replacing the model drops the Service's reference, and the last
// batch to finish frees the booster: never while a batch still uses it (that
// would be a use after free in C), never later (a leak).
package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/schema"
	"github.com/cgoguard/cgoguard/examples/riskserver/xgb"
	"github.com/cgoguard/cgoguard/safe/cgate"
	"github.com/cgoguard/cgoguard/safe/osthread"
)

// Options configure how models run.
type Options struct {
	// Threads is the number of OS threads of each model, the most predict
	// calls that one model runs at once (default 1).
	Threads int
	// NThread is XGBoost's OpenMP threads per predict call (default 1).
	// Each model thread gets its own OpenMP team of NThread-1 workers.
	NThread int
	// Gate bounds the C calls of all models together (during a reload the
	// old and the new model both run). nil: no bound beyond Threads.
	Gate *cgate.Gate

	// beforePredict, if set, runs in Predict once the caller holds its
	// reference, before any C call (tests hold a batch in flight with it).
	beforePredict func(*Model)
}

func (o Options) withDefaults() Options {
	if o.Threads < 1 {
		o.Threads = 1
	}
	if o.NThread < 1 {
		o.NThread = 1
	}
	return o
}

var nextID atomic.Int64

// Model is one loaded model: an XGBoost booster, its feature schema and
// drift reference, and the OS threads that run its C calls.
type Model struct {
	ID        int64
	Schema    schema.Schema
	Reference fraud.Reference

	opts    Options
	booster *xgb.Booster
	threads []*osthread.Thread
	idle    chan int // indices of threads free for a predict call

	refs   atomic.Int64
	closed atomic.Bool
	freed  chan struct{} // closed once the booster is freed and the threads ended
	// afterFree, if set, runs after the booster is freed (metrics, tests).
	afterFree func(*Model)
}

// Load loads a model saved by fraud.Train (XGBoost JSON with the schema and
// reference attributes). The Model starts with one reference, the caller's.
func Load(ctx context.Context, data []byte, o Options) (*Model, error) {
	o = o.withDefaults()
	m := &Model{ID: nextID.Add(1), opts: o, idle: make(chan int, o.Threads), freed: make(chan struct{})}
	m.refs.Store(1)
	for i := range o.Threads {
		m.threads = append(m.threads, osthread.New())
		m.idle <- i
	}
	var err error
	if e := m.threads[0].Do(ctx, func() { err = m.load(data) }); e != nil {
		err = e
	}
	if err != nil {
		m.destroy()
		return nil, err
	}
	return m, nil
}

// load runs on the model's first thread.
func (m *Model) load(data []byte) error {
	b, err := xgb.NewBooster()
	if err != nil {
		return err
	}
	m.booster = b // from here on, destroy frees it
	if err := b.LoadModel(data); err != nil {
		return err
	}
	if err := b.SetParam("nthread", fmt.Sprint(m.opts.NThread)); err != nil {
		return err
	}
	sj, ok, err := b.Attr(fraud.AttrSchema)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("model: the model has no feature schema (attribute " + fraud.AttrSchema + ")")
	}
	if err := json.Unmarshal([]byte(sj), &m.Schema); err != nil {
		return fmt.Errorf("model: feature schema: %v", err)
	}
	if err := m.Schema.Validate(); err != nil {
		return err
	}
	n, err := b.NumFeatures()
	if err != nil {
		return err
	}
	if n != len(m.Schema.Features) {
		return fmt.Errorf("model: the schema lists %d features, the model was trained on %d", len(m.Schema.Features), n)
	}
	rj, ok, err := b.Attr(fraud.AttrReference)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("model: the model has no drift reference sample (attribute " + fraud.AttrReference + ")")
	}
	if err := json.Unmarshal([]byte(rj), &m.Reference); err != nil {
		return fmt.Errorf("model: reference sample: %v", err)
	}
	return nil
}

// Acquire takes a reference; it fails if the model is already freed.
func (m *Model) Acquire() bool {
	for {
		n := m.refs.Load()
		if n <= 0 {
			return false
		}
		if m.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release drops a reference; the last one frees the model.
func (m *Model) Release() {
	switch n := m.refs.Add(-1); {
	case n == 0:
		m.destroy()
	case n < 0:
		panic(fmt.Sprintf("model %d: Release without a reference", m.ID))
	}
}

// Freed is closed once the model's booster is freed and its threads ended.
func (m *Model) Freed() <-chan struct{} { return m.freed }

// destroy frees the booster on the thread that loaded it, then ends every
// thread, which frees what XGBoost kept per thread.
func (m *Model) destroy() {
	if !m.closed.CompareAndSwap(false, true) {
		panic(fmt.Sprintf("model %d: freed twice", m.ID))
	}
	if m.booster != nil {
		_ = m.threads[0].Do(context.Background(), func() { _ = m.booster.Close() })
	}
	for _, t := range m.threads {
		t.Close() // returns once the OS thread, and its thread_local state, is gone
	}
	if m.afterFree != nil {
		m.afterFree(m)
	}
	close(m.freed)
}

// Predict scores rows (row-major, len(Schema.Features) values each) and
// appends one probability per row to dst. The caller must hold a reference.
func (m *Model) Predict(ctx context.Context, rows []float32, dst []float32) ([]float32, error) {
	if m.closed.Load() || m.refs.Load() <= 0 {
		// Without this guard the call below would reach a freed booster.
		panic(fmt.Sprintf("model %d: Predict after the model was freed (use after free)", m.ID))
	}
	if m.opts.beforePredict != nil {
		m.opts.beforePredict(m)
	}
	nf := len(m.Schema.Features)
	if len(rows) == 0 || len(rows)%nf != 0 {
		return dst, fmt.Errorf("model: %d values is not a whole number of %d-feature rows", len(rows), nf)
	}
	if g := m.opts.Gate; g != nil {
		if err := g.Enter(ctx); err != nil {
			return dst, err
		}
		defer g.Leave()
	}
	var i int
	select {
	case i = <-m.idle:
	case <-ctx.Done():
		return dst, ctx.Err()
	}
	defer func() { m.idle <- i }()
	var err error
	out := dst
	if e := m.threads[i].Do(ctx, func() {
		// Both handles are used and freed on this thread: the DMatrix is
		// per call, the booster's per-thread entries stay on this thread.
		dm, e := xgb.NewDMatrix(rows, len(rows)/nf, nf, m.opts.NThread)
		if e != nil {
			err = e
			return
		}
		out, err = m.booster.Predict(dm, dst) // copied out before the thread runs anything else
		if e := dm.Close(); err == nil {
			err = e
		}
	}); e != nil {
		return dst, e
	}
	return out, err
}

// Canary predicts the model's own reference rows, the readiness probe: the
// model loaded, the C library runs, the output is a probability.
func (m *Model) Canary(ctx context.Context) error {
	nf := len(m.Schema.Features)
	rows := make([]float32, 0, 4*nf)
	for r := range 4 {
		for _, f := range m.Schema.Features {
			ref := m.Reference[f.Name]
			rows = append(rows, float32(ref[r%len(ref)]))
		}
	}
	p, err := m.Predict(ctx, rows, nil)
	if err != nil {
		return err
	}
	for _, v := range p {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("model %d: canary prediction %v is not a probability", m.ID, v)
		}
	}
	return nil
}

// ErrNoModel is returned when no model is loaded.
var ErrNoModel = errors.New("model: no model loaded")

// holder guards the current and the previous model.
type holder struct {
	mu        sync.RWMutex
	cur, prev *Model
}

// acquire returns the current model with a reference taken.
func (h *holder) acquire() (*Model, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.cur == nil {
		return nil, ErrNoModel
	}
	if !h.cur.Acquire() { // cannot happen: the holder's own reference keeps it
		return nil, fmt.Errorf("model %d: freed while current", h.cur.ID)
	}
	return h.cur, nil
}
