// Command riskserver serves a fraud-risk XGBoost model over HTTP with
// dynamic batching, hot reload, drift and latency monitoring, and automatic
// rollback. See examples/riskserver/README.md.
//
//	riskserver -model model.json -listen :8080 -admin 127.0.0.1:8081
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/model"
	"github.com/cgoguard/cgoguard/examples/riskserver/monitor"
	"github.com/cgoguard/cgoguard/examples/riskserver/server"
	"github.com/cgoguard/cgoguard/examples/riskserver/xgb"
)

func main() {
	var (
		modelPath = flag.String("model", "model.json", "XGBoost JSON model made by riskserver-train")
		listen    = flag.String("listen", ":8080", "address of /predict, /healthz, /readyz, /metrics")
		admin     = flag.String("admin", "127.0.0.1:8081", "address of /admin/reload and /admin/rollback (keep it private)")
		batch     = flag.Int("batch", 64, "most rows per XGBoost predict call (1: no batching)")
		wait      = flag.Duration("batch-wait", 2*time.Millisecond, "how long a batch waits for more requests")
		maxC      = flag.Int("max-c-calls", 2, "most concurrent XGBoost calls across models (safe/cgate)")
		threads   = flag.Int("threads", 2, "OS threads per model: concurrent predict calls of one model")
		nthread   = flag.Int("nthread", 1, "XGBoost OpenMP threads per predict call")
		period    = flag.Duration("eval-period", time.Minute, "evaluation period of the rollback policy")
		periods   = flag.Int("eval-periods", monitor.DefaultPolicy.Periods, "consecutive bad periods before an automatic rollback")
		maxP95    = flag.Duration("max-p95", monitor.DefaultPolicy.MaxP95, "p95 latency threshold")
		maxDrift  = flag.Float64("max-drift", monitor.DefaultPolicy.MaxDrift, "KS drift threshold of any feature")
		window    = flag.Int("drift-window", 2000, "recent rows the drift scores cover")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	policy := monitor.DefaultPolicy
	policy.Periods, policy.MaxP95, policy.MaxDrift = *periods, *maxP95, *maxDrift
	srv, err := server.New(ctx, server.Config{
		ModelPath: *modelPath,
		Model: model.Config{
			Options:  model.Options{Threads: *threads, NThread: *nthread, Gate: server.NewGate(*maxC)},
			MaxBatch: *batch, MaxWait: *wait,
		},
		Policy: policy, DriftWindow: *window, Logger: log,
	})
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	log.Info("serving", "model", srv.Service().Current(), "xgboost", xgb.Version(), "listen", *listen, "admin", *admin)

	ticker := time.NewTicker(*period)
	defer ticker.Stop()
	go srv.Watchdog().Run(ctx, ticker.C, func(ev monitor.Evaluation) {
		srv.Metrics().Record(ev)
		if len(ev.Breaches) > 0 {
			log.Warn("policy breach", "streak", ev.Streak, "breaches", ev.Breaches, "rolled_back", ev.RolledBack)
		}
	})

	api := &http.Server{Addr: *listen, Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	adm := &http.Server{Addr: *admin, Handler: srv.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 2)
	for _, hs := range []*http.Server{api, adm} {
		go func() {
			if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		log.Error("listen", "err", err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api.Shutdown(shutdown)
	adm.Shutdown(shutdown)
	srv.Close() // every booster freed, every model thread ended
	log.Info("stopped")
}
