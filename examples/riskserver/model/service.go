package model

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/schema"
)

// Config configures a Service.
type Config struct {
	Options
	// MaxBatch is the most rows per predict call; 1 turns batching off.
	MaxBatch int
	// MaxWait is how long the first request of a batch waits for others.
	MaxWait time.Duration
	// After makes the batch timer (default time.After); tests replace it.
	After func(time.Duration) <-chan time.Time
	// OnBatch, if set, is told the size and duration of each batch.
	OnBatch func(rows int, d time.Duration)
	// OnSwap, if set, is told each new current model (reload, rollback);
	// it runs under the Service's lock, before the old model is released,
	// and must not call the Service.
	OnSwap func(*Model)
}

// Service serves the current model with dynamic batching, and replaces it
// without stopping: Reload, Rollback.
type Service struct {
	cfg Config
	h   holder
	api schema.Schema // the contract with clients: the first model's schema

	swap sync.Mutex // serializes Reload, Rollback and Close
	reqs chan *request
	quit chan struct{}
	recv atomic.Int64   // requests the batcher took (tests)
	done sync.WaitGroup // the batcher and the running batches
}

type request struct {
	ctx   context.Context
	rows  []float32 // row-major
	reply chan reply
}

type reply struct {
	scores []float32
	model  int64
	err    error
}

// NewService loads the first model from data and starts the batcher.
func NewService(ctx context.Context, data []byte, cfg Config) (*Service, error) {
	if cfg.MaxBatch < 1 {
		cfg.MaxBatch = 1
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	m, err := Load(ctx, data, cfg.Options)
	if err != nil {
		return nil, err
	}
	if err := m.Canary(ctx); err != nil {
		m.Release()
		return nil, err
	}
	s := &Service{cfg: cfg, api: m.Schema, reqs: make(chan *request), quit: make(chan struct{})}
	s.h.cur = m
	if cfg.OnSwap != nil {
		cfg.OnSwap(m)
	}
	s.done.Add(1)
	go s.batcher()
	return s, nil
}

// Schema returns the feature schema clients must follow.
func (s *Service) Schema() schema.Schema { return s.api }

// Current returns the id of the model serving now (0 if none).
func (s *Service) Current() int64 {
	s.h.mu.RLock()
	defer s.h.mu.RUnlock()
	if s.h.cur == nil {
		return 0
	}
	return s.h.cur.ID
}

// Previous returns the id of the model kept for rollback (0 if none).
func (s *Service) Previous() int64 {
	s.h.mu.RLock()
	defer s.h.mu.RUnlock()
	if s.h.prev == nil {
		return 0
	}
	return s.h.prev.ID
}

// WithCurrent runs f with a reference on the current model.
func (s *Service) WithCurrent(f func(*Model) error) error {
	m, err := s.h.acquire()
	if err != nil {
		return err
	}
	defer m.Release()
	return f(m)
}

// ErrIncompatible wraps a reload refused for its feature schema.
var ErrIncompatible = errors.New("model: incompatible feature schema")

// Reload loads a new model from data and makes it current, keeping the old
// one for Rollback. A model whose schema differs from the service's, or
// whose canary prediction fails, is refused and the old one keeps serving.
// Batches running on the old model finish on it.
func (s *Service) Reload(ctx context.Context, data []byte) (*Model, error) {
	s.swap.Lock()
	defer s.swap.Unlock()
	select {
	case <-s.quit:
		return nil, errors.New("model: service closed")
	default:
	}
	m, err := Load(ctx, data, s.cfg.Options)
	if err != nil {
		return nil, err
	}
	if err := schema.Compatible(s.api, m.Schema); err != nil {
		m.Release()
		return nil, fmt.Errorf("%w: %v", ErrIncompatible, err)
	}
	if err := m.Canary(ctx); err != nil {
		m.Release()
		return nil, fmt.Errorf("model: canary prediction of the new model failed: %w", err)
	}
	s.h.mu.Lock()
	old, dropped := s.h.cur, s.h.prev
	s.h.cur, s.h.prev = m, old
	if s.cfg.OnSwap != nil {
		s.cfg.OnSwap(m)
	}
	s.h.mu.Unlock()
	if dropped != nil {
		dropped.Release() // freed now, or by its last running batch
	}
	return m, nil
}

// ErrNoPrevious is returned by Rollback when no previous model is kept.
var ErrNoPrevious = errors.New("model: no previous model to roll back to")

// Rollback makes the previous model current again and releases the
// current one.
func (s *Service) Rollback() (*Model, error) {
	s.swap.Lock()
	defer s.swap.Unlock()
	s.h.mu.Lock()
	if s.h.prev == nil {
		s.h.mu.Unlock()
		return nil, ErrNoPrevious
	}
	bad := s.h.cur
	s.h.cur, s.h.prev = s.h.prev, nil
	cur := s.h.cur
	if s.cfg.OnSwap != nil {
		s.cfg.OnSwap(cur)
	}
	s.h.mu.Unlock()
	bad.Release()
	return cur, nil
}

// Predict scores rows (row-major, in the service's schema order) through
// the batcher and returns one probability per row and the id of the model
// that computed them.
func (s *Service) Predict(ctx context.Context, rows []float32) ([]float32, int64, error) {
	nf := len(s.api.Features)
	if len(rows) == 0 || len(rows)%nf != 0 {
		return nil, 0, fmt.Errorf("model: %d values is not a whole number of %d-feature rows", len(rows), nf)
	}
	r := &request{ctx: ctx, rows: rows, reply: make(chan reply, 1)}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	case <-s.quit:
		return nil, 0, errors.New("model: service closed")
	}
	select {
	case rep := <-r.reply:
		return rep.scores, rep.model, rep.err
	case <-ctx.Done():
		return nil, 0, ctx.Err() // the batch still runs; its reply is dropped (buffered)
	}
}

// batcher collects requests into batches of up to MaxBatch rows, or what
// arrived within MaxWait of the batch's first request, and starts one
// predict call per batch.
func (s *Service) batcher() {
	defer s.done.Done()
	nf := len(s.api.Features)
	for {
		var first *request
		select {
		case first = <-s.reqs:
			s.recv.Add(1)
		case <-s.quit:
			return
		}
		batch := []*request{first}
		rows := len(first.rows) / nf
		if rows < s.cfg.MaxBatch {
			timer := s.cfg.After(s.cfg.MaxWait)
		collect:
			for rows < s.cfg.MaxBatch {
				select {
				case r := <-s.reqs:
					s.recv.Add(1)
					batch = append(batch, r)
					rows += len(r.rows) / nf
				case <-timer:
					break collect
				case <-s.quit:
					break collect
				}
			}
		}
		// The C calls are bounded by the model's threads and the gate, which
		// this goroutine waits for in Go, holding no OS thread.
		s.done.Add(1)
		go s.run(batch, rows)
	}
}

// run predicts one batch on the current model and fans the scores out.
func (s *Service) run(batch []*request, rows int) {
	defer s.done.Done()
	start := time.Now()
	m, err := s.h.acquire()
	if err != nil {
		s.fail(batch, err)
		return
	}
	defer m.Release()
	nf := len(s.api.Features)
	x := make([]float32, 0, rows*nf)
	for _, r := range batch {
		x = append(x, r.rows...)
	}
	// The batch serves several requests: it stops waiting (for the gate or
	// a thread) only when all of them are gone. A started C call runs to
	// its end.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var left atomic.Int32
	left.Store(int32(len(batch)))
	for _, r := range batch {
		stop := context.AfterFunc(r.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	scores, err := m.Predict(ctx, x, make([]float32, 0, rows))
	if err != nil {
		s.fail(batch, err)
		return
	}
	if s.cfg.OnBatch != nil {
		s.cfg.OnBatch(rows, time.Since(start))
	}
	off := 0
	for _, r := range batch {
		n := len(r.rows) / nf
		r.reply <- reply{scores: scores[off : off+n : off+n], model: m.ID}
		off += n
	}
}

// pending returns the number of requests the batcher has taken.
func (s *Service) pending() int64 { return s.recv.Load() }

func (s *Service) fail(batch []*request, err error) {
	for _, r := range batch {
		r.reply <- reply{err: err}
	}
}

// Close stops the batcher, waits for running batches and releases the
// models: when it returns, every booster is freed.
func (s *Service) Close() error {
	s.swap.Lock()
	defer s.swap.Unlock()
	select {
	case <-s.quit:
		return nil
	default:
	}
	close(s.quit)
	s.done.Wait()
	s.h.mu.Lock()
	cur, prev := s.h.cur, s.h.prev
	s.h.cur, s.h.prev = nil, nil
	s.h.mu.Unlock()
	for _, m := range []*Model{cur, prev} {
		if m != nil {
			m.Release()
			<-m.Freed()
		}
	}
	return nil
}
