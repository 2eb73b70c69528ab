package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/schema"
	"github.com/cgoguard/cgoguard/examples/riskserver/xgb"
	"github.com/cgoguard/cgoguard/safe/osthread"
	"github.com/cgoguard/cgoguard/tracker"
)

// Models trained once for the package's tests (well under a second).
var baseModel, otherModel, retypedModel []byte

var small = fraud.TrainConfig{Rows: 3000, Seed: 1, Rounds: 20, MaxDepth: 4, Eta: 0.3, Reference: 300}

func TestMain(m *testing.M) {
	var err error
	baseModel, err = fraud.Train(small)
	if err == nil {
		c := small
		c.Seed = 2
		otherModel, err = fraud.Train(c)
	}
	if err == nil {
		s := schema.Schema{Features: slices.Clone(fraud.Schema.Features)}
		s.Features[6].Type = schema.Float // is_foreign: bool → float
		retypedModel, err = fraud.TrainSchema(small, s)
	}
	if err == nil {
		// XGBoost allocates some globals on its first prediction (kept until
		// exit); make them here, before any test's tracker.VerifyNone mark.
		var w *Model
		if w, err = Load(context.Background(), baseModel, Options{}); err == nil {
			err = w.Canary(context.Background())
			w.Release()
		}
	}
	if err != nil {
		fmt.Println("training:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// never is an After that never fires: batches close on size only.
func never(time.Duration) <-chan time.Time { return nil }

func newService(t *testing.T, cfg Config) *Service {
	t.Helper()
	s, err := NewService(context.Background(), baseModel, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// direct scores rows with a booster used directly, the reference answer.
func direct(t *testing.T, model []byte, rows []float32) []float32 {
	t.Helper()
	// Load, predict and free on one thread, and end it: XGBoost and OpenMP
	// keep state per thread (see the package doc).
	var p []float32
	var err error
	th := osthread.New() // a thread of its own, ended (with XGBoost's per-thread state) by Close
	derr := th.Do(context.Background(), func() { p, err = predictDirect(model, rows) })
	th.Close()
	if derr != nil {
		t.Fatal(derr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func predictDirect(model []byte, rows []float32) ([]float32, error) {
	b, err := xgb.NewBooster()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.LoadModel(model); err != nil {
		return nil, err
	}
	dm, err := xgb.NewDMatrix(rows, len(rows)/fraud.NumFeatures, fraud.NumFeatures, 1)
	if err != nil {
		return nil, err
	}
	defer dm.Close()
	return b.Predict(dm, nil)
}

func TestBatchedPredictionsMatchDirect(t *testing.T) {
	tracker.VerifyNone(t)
	d := fraud.Generate(64, 7, 1)
	want := direct(t, baseModel, d.X)
	var sizes []int
	var mu sync.Mutex
	s := newService(t, Config{Options: Options{Threads: 2}, MaxBatch: 16, MaxWait: time.Millisecond,
		OnBatch: func(rows int, _ time.Duration) { mu.Lock(); sizes = append(sizes, rows); mu.Unlock() }})
	got := make([]float32, d.Rows)
	var wg sync.WaitGroup
	for i := range d.Rows {
		wg.Go(func() {
			p, _, err := s.Predict(context.Background(), d.Row(i))
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = p[0]
		})
	}
	wg.Wait()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d: batched %v, direct %v", i, got[i], want[i])
		}
	}
	total := 0
	for _, n := range sizes {
		total += n
		if n > 16 {
			t.Errorf("batch of %d rows, limit 16", n)
		}
	}
	if total != d.Rows {
		t.Errorf("batches hold %d rows, want %d", total, d.Rows)
	}
	t.Logf("%d requests in %d batches", d.Rows, len(sizes))
}

func TestBatchClosesOnSize(t *testing.T) {
	var sizes []int
	var mu sync.Mutex
	s := newService(t, Config{MaxBatch: 4, After: never,
		OnBatch: func(rows int, _ time.Duration) { mu.Lock(); sizes = append(sizes, rows); mu.Unlock() }})
	row := fraud.Generate(1, 3, 1).X
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, _, err := s.Predict(context.Background(), row); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait() // with a timer that never fires, only full batches can have run
	if !slices.Equal(sizes, []int{4, 4}) {
		t.Fatalf("batch sizes %v, want [4 4]", sizes)
	}
}

func TestBatchClosesOnTimer(t *testing.T) {
	fire := make(chan time.Time)
	armed := make(chan time.Duration, 1)
	var sizes []int
	s := newService(t, Config{MaxBatch: 100, MaxWait: 5 * time.Millisecond,
		After:   func(d time.Duration) <-chan time.Time { armed <- d; return fire },
		OnBatch: func(rows int, _ time.Duration) { sizes = append(sizes, rows) }})
	d := fraud.Generate(3, 3, 1)
	results := make(chan error, 3)
	go func() { _, _, err := s.Predict(context.Background(), d.Row(0)); results <- err }()
	if w := <-armed; w != 5*time.Millisecond { // the first request armed the batch timer
		t.Fatalf("timer armed for %v", w)
	}
	// The batch is open; two more requests join it before the timer fires.
	for i := 1; i < 3; i++ {
		go func() { _, _, err := s.Predict(context.Background(), d.Row(i)); results <- err }()
	}
	for s.pending() < 3 {
		runtime.Gosched()
	}
	fire <- time.Now()
	for range 3 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(sizes, []int{3}) {
		t.Fatalf("batch sizes %v, want one batch of 3 rows", sizes)
	}
}

func TestReloadWaitsForInFlightBatch(t *testing.T) {
	tracker.VerifyNone(t)
	entered, release := make(chan *Model), make(chan struct{})
	var hold atomic.Bool
	s := newService(t, Config{Options: Options{beforePredict: func(m *Model) {
		if hold.CompareAndSwap(true, false) { // only the first batch after the hook is armed
			entered <- m
			<-release
		}
	}}, MaxBatch: 1})
	hold.Store(true)
	type res struct {
		id  int64
		err error
	}
	done := make(chan res, 1)
	go func() {
		_, id, err := s.Predict(context.Background(), fraud.Generate(1, 4, 1).X)
		done <- res{id, err}
	}()
	old := <-entered // a batch holds a reference to the old model and is about to call C
	// Two reloads: the first keeps the old model for rollback, the second
	// drops the Service's reference to it. Only the batch holds it now.
	for _, data := range [][]byte{otherModel, baseModel} {
		if _, err := s.Reload(context.Background(), data); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-old.Freed():
		t.Fatal("old model freed while a batch was using it")
	default:
	}
	if n := old.refs.Load(); n != 1 {
		t.Fatalf("old model has %d references, want 1 (the batch's)", n)
	}
	close(release)
	r := <-done
	if r.err != nil || r.id != old.ID {
		t.Fatalf("in-flight batch: model %d, %v; want model %d", r.id, r.err, old.ID)
	}
	<-old.Freed() // and the batch's release freed it
}

func TestReloadAndRollback(t *testing.T) {
	tracker.VerifyNone(t)
	s := newService(t, Config{Options: Options{Threads: 2}, MaxBatch: 8, MaxWait: time.Millisecond})
	row := fraud.Generate(1, 5, 1).X
	first := s.Current()
	p1, id, err := s.Predict(context.Background(), row)
	if err != nil || id != first {
		t.Fatal(id, err)
	}
	m2, err := s.Reload(context.Background(), otherModel)
	if err != nil {
		t.Fatal(err)
	}
	p2, id, err := s.Predict(context.Background(), row)
	if err != nil || id != m2.ID {
		t.Fatalf("after reload: model %d, %v; want %d", id, err, m2.ID)
	}
	if p1[0] == p2[0] {
		t.Errorf("both models score %v: the reload changed nothing", p1[0])
	}
	if s.Previous() != first {
		t.Fatalf("previous model %d, want %d", s.Previous(), first)
	}
	back, err := s.Rollback()
	if err != nil || back.ID != first || s.Current() != first {
		t.Fatalf("rollback: %v, %v, current %d", back, err, s.Current())
	}
	<-m2.Freed() // the rolled-back model had no batch in flight: freed at once
	p3, id, err := s.Predict(context.Background(), row)
	if err != nil || id != first || p3[0] != p1[0] {
		t.Fatalf("after rollback: %v from model %d (%v), want %v from %d", p3, id, err, p1, first)
	}
	if _, err := s.Rollback(); !errors.Is(err, ErrNoPrevious) {
		t.Fatalf("second rollback: %v", err)
	}
}

func TestReloadRejectsIncompatibleSchema(t *testing.T) {
	s := newService(t, Config{MaxBatch: 1})
	first := s.Current()
	_, err := s.Reload(context.Background(), retypedModel)
	if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), `feature "is_foreign" changed type from bool to float`) {
		t.Fatalf("reload of a retyped model: %v", err)
	}
	if s.Current() != first || s.Previous() != 0 {
		t.Fatalf("after a refused reload: current %d previous %d", s.Current(), s.Previous())
	}
	if _, _, err := s.Predict(context.Background(), fraud.Generate(1, 1, 1).X); err != nil {
		t.Fatal(err)
	}
}

func TestLoadReportsXGBoostError(t *testing.T) {
	_, err := Load(context.Background(), []byte("not a model"), Options{})
	var xe *xgb.Error
	if !errors.As(err, &xe) || xe.Op != "XGBoosterLoadModelFromBuffer" || !strings.Contains(xe.Msg, "wrong model format") {
		t.Fatalf("loading garbage: %v", err)
	}
}

func TestPredictAfterFreePanics(t *testing.T) {
	m, err := Load(context.Background(), baseModel, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Release()
	<-m.Freed()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "use after free") {
			t.Fatalf("Predict on a freed model: recovered %v", r)
		}
	}()
	m.Predict(context.Background(), fraud.Generate(1, 1, 1).X, nil)
}
