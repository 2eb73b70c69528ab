// Package server is the HTTP face of the risk service:
//
//	POST /predict        {"rows": [{"amount": 12.5, "hour": 3, ...}, ...]} → {"model": 2, "scores": [0.031, ...]}
//	GET  /healthz        liveness: the process serves HTTP
//	GET  /readyz         readiness: a model is loaded and a canary prediction succeeds
//	GET  /metrics        Prometheus
//	POST /admin/reload   load the model file again (or {"path": "..."}), keep the old one for rollback
//	POST /admin/rollback back to the previous model
//
// The admin endpoints are on their own handler (AdminHandler), meant for a
// loopback or otherwise private listener.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/model"
	"github.com/cgoguard/cgoguard/examples/riskserver/monitor"
	"github.com/cgoguard/cgoguard/safe/cgate"
	"github.com/cgoguard/cgoguard/safe/cgate/cgateprom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures a Server.
type Config struct {
	ModelPath string
	Model     model.Config // MaxConcurrent C calls: Model.Gate
	Policy    monitor.Policy
	// DriftWindow is how many recent request rows the drift scores cover.
	DriftWindow int
	// MaxRows bounds the rows of one request; MaxBody its bytes.
	MaxRows int
	MaxBody int64
	Logger  *slog.Logger
	// Now is the clock for request latencies (default time.Now).
	Now func() time.Time
}

// Server serves a model.Service over HTTP.
type Server struct {
	cfg      Config
	svc      *model.Service
	watchdog *monitor.Watchdog
	metrics  *monitor.Metrics
	reg      *prometheus.Registry
	log      *slog.Logger
}

// New loads the model at cfg.ModelPath and returns a ready Server.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DriftWindow <= 0 {
		cfg.DriftWindow = 2000
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = 1000
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, reg: prometheus.NewRegistry(), log: cfg.Logger}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = monitor.NewMetrics(s.reg)
	if g := cfg.Model.Gate; g != nil {
		s.reg.MustRegister(cgateprom.New("xgboost", g))
	}
	s.watchdog = monitor.NewWatchdog(cfg.Policy, nil, s.rollback)

	mc := cfg.Model
	onSwap := mc.OnSwap
	mc.OnSwap = func(m *model.Model) {
		// A new model brings its own reference sample: drift is measured
		// against it from now on.
		d, err := monitor.NewDrift(m.Schema.Names(), m.Reference, cfg.DriftWindow)
		if err != nil {
			s.log.Error("drift monitor", "model", m.ID, "err", err)
		}
		s.watchdog.SetDrift(d)
		s.metrics.ModelID.Set(float64(m.ID))
		if onSwap != nil {
			onSwap(m)
		}
	}
	onBatch := mc.OnBatch
	mc.OnBatch = func(rows int, d time.Duration) {
		s.metrics.BatchSize.Observe(float64(rows))
		s.metrics.BatchDuration.Observe(d.Seconds())
		if onBatch != nil {
			onBatch(rows, d)
		}
	}
	data, err := os.ReadFile(cfg.ModelPath)
	if err != nil {
		return nil, err
	}
	if s.svc, err = model.NewService(ctx, data, mc); err != nil {
		return nil, err
	}
	return s, nil
}

// Service returns the model service.
func (s *Server) Service() *model.Service { return s.svc }

// Watchdog returns the rollback watchdog; the caller drives it
// (Watchdog().Run with a ticker).
func (s *Server) Watchdog() *monitor.Watchdog { return s.watchdog }

// Metrics returns the service metrics.
func (s *Server) Metrics() *monitor.Metrics { return s.metrics }

// Close releases the models: when it returns every booster is freed.
func (s *Server) Close() error { return s.svc.Close() }

func (s *Server) rollback(reason string) error {
	m, err := s.svc.Rollback()
	if err != nil {
		s.log.Error("automatic rollback failed", "reason", reason, "err", err)
		return err
	}
	s.log.Warn("automatic rollback", "reason", reason, "model", m.ID)
	return nil
}

// Handler serves /predict, /healthz, /readyz and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /predict", s.predict)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	return mux
}

// AdminHandler serves /admin/reload and /admin/rollback.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/reload", s.reload)
	mux.HandleFunc("POST /admin/rollback", s.manualRollback)
	return mux
}

// PredictRequest is the body of /predict.
type PredictRequest struct {
	Rows []map[string]json.RawMessage `json:"rows"`
}

// PredictResponse is the answer of /predict.
type PredictResponse struct {
	Model  int64     `json:"model"`
	Scores []float32 `json:"scores"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	code, resp := s.doPredict(r)
	outcome := "ok"
	switch {
	case code >= 500:
		outcome = "error"
	case code >= 400:
		outcome = "bad_request"
	}
	writeJSON(w, code, resp)
	d := s.cfg.Now().Sub(start)
	s.metrics.RequestDuration.WithLabelValues(outcome).Observe(d.Seconds())
	if outcome == "ok" {
		s.watchdog.ObserveLatency(d)
	}
}

func (s *Server) doPredict(r *http.Request) (int, any) {
	var req PredictRequest
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return http.StatusBadRequest, errorResponse{"malformed request: " + err.Error()}
	}
	if len(req.Rows) == 0 {
		return http.StatusBadRequest, errorResponse{`no rows: want {"rows": [{feature: value, ...}, ...]}`}
	}
	if len(req.Rows) > s.cfg.MaxRows {
		return http.StatusBadRequest, errorResponse{fmt.Sprintf("%d rows, at most %d per request", len(req.Rows), s.cfg.MaxRows)}
	}
	sch := s.svc.Schema()
	x := make([]float32, 0, len(req.Rows)*len(sch.Features))
	for i, row := range req.Rows {
		var err error
		if x, err = sch.Row(x, row, i); err != nil {
			return http.StatusBadRequest, errorResponse{err.Error()}
		}
	}
	if d := s.watchdog.Drift(); d != nil {
		d.Observe(x)
	}
	scores, id, err := s.svc.Predict(r.Context(), x)
	switch {
	case errors.Is(err, model.ErrNoModel):
		return http.StatusServiceUnavailable, errorResponse{err.Error()}
	case err != nil:
		return http.StatusInternalServerError, errorResponse{err.Error()}
	}
	return http.StatusOK, PredictResponse{Model: id, Scores: scores}
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var id int64
	err := s.svc.WithCurrent(func(m *model.Model) error { id = m.ID; return m.Canary(ctx) })
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorResponse{"not ready: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"model": id})
}

type reloadRequest struct {
	Path string `json:"path"`
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	var req reloadRequest
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4096)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			writeJSON(w, http.StatusBadRequest, errorResponse{"malformed request: " + err.Error()})
			return
		}
	}
	path := req.Path
	if path == "" {
		path = s.cfg.ModelPath
	}
	data, err := os.ReadFile(path)
	if err != nil {
		s.metrics.Reloads.WithLabelValues("error").Inc()
		writeJSON(w, http.StatusBadRequest, errorResponse{err.Error()})
		return
	}
	m, err := s.svc.Reload(r.Context(), data)
	switch {
	case errors.Is(err, model.ErrIncompatible):
		s.metrics.Reloads.WithLabelValues("rejected").Inc()
		writeJSON(w, http.StatusConflict, errorResponse{err.Error()})
		return
	case err != nil:
		s.metrics.Reloads.WithLabelValues("error").Inc()
		writeJSON(w, http.StatusUnprocessableEntity, errorResponse{err.Error()})
		return
	}
	s.metrics.Reloads.WithLabelValues("ok").Inc()
	s.log.Info("model reloaded", "path", path, "model", m.ID, "previous", s.svc.Previous())
	writeJSON(w, http.StatusOK, map[string]int64{"model": m.ID, "previous": s.svc.Previous()})
}

func (s *Server) manualRollback(w http.ResponseWriter, _ *http.Request) {
	m, err := s.svc.Rollback()
	if err != nil {
		writeJSON(w, http.StatusConflict, errorResponse{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"model": m.ID})
}

// NewGate returns the gate for at most n concurrent XGBoost calls, or nil
// for n <= 0.
func NewGate(n int) *cgate.Gate {
	if n <= 0 {
		return nil
	}
	return cgate.New(n)
}
