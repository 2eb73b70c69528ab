package monitor

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the service's Prometheus metrics. The p95 latency is not a
// metric of its own: it is a query over the histogram, so that it can be
// aggregated across instances and windows:
//
//	histogram_quantile(0.95, sum by (le) (rate(riskserver_request_duration_seconds_bucket[1m])))
type Metrics struct {
	RequestDuration *prometheus.HistogramVec // by outcome: ok, bad_request, error
	BatchSize       prometheus.Histogram     // rows per predict call
	BatchDuration   prometheus.Histogram     // one predict call (C) including the wait for a thread
	Drift           *prometheus.GaugeVec     // KS statistic by feature, at the last evaluation
	DriftWindowRows prometheus.Gauge
	ModelID         prometheus.Gauge       // generation serving now
	Reloads         *prometheus.CounterVec // by result: ok, rejected, error
	Rollbacks       prometheus.Counter
	Breaches        prometheus.Gauge // consecutive breaching periods
}

// NewMetrics makes the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "riskserver_request_duration_seconds",
			Help:    "Latency of /predict requests, from arrival to response; p95 = histogram_quantile(0.95, ...).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16), // 100µs .. 3.3s
		}, []string{"outcome"}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "riskserver_batch_rows",
			Help:    "Rows per XGBoost predict call (dynamic batching).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 .. 512
		}),
		BatchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "riskserver_batch_duration_seconds",
			Help:    "Time of one batch: waiting for the gate and a model thread, then the C calls.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
		Drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "riskserver_feature_drift_ks",
			Help: "Two-sample Kolmogorov-Smirnov statistic between the model's reference sample and the recent requests, per feature.",
		}, []string{"feature"}),
		DriftWindowRows: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "riskserver_drift_window_rows",
			Help: "Recent request rows the drift scores are computed over.",
		}),
		ModelID: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "riskserver_model_generation",
			Help: "Generation number of the model serving now.",
		}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskserver_reloads_total",
			Help: "Model reloads by result.",
		}, []string{"result"}),
		Rollbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "riskserver_rollbacks_total",
			Help: "Automatic rollbacks to the previous model.",
		}),
		Breaches: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "riskserver_breach_streak",
			Help: "Consecutive evaluation periods over a threshold (rollback at the policy's Periods).",
		}),
	}
	reg.MustRegister(m.RequestDuration, m.BatchSize, m.BatchDuration, m.Drift, m.DriftWindowRows,
		m.ModelID, m.Reloads, m.Rollbacks, m.Breaches)
	return m
}

// Record publishes an evaluation.
func (m *Metrics) Record(ev Evaluation) {
	for name, s := range ev.Scores {
		m.Drift.WithLabelValues(name).Set(s)
	}
	m.DriftWindowRows.Set(float64(ev.WindowRows))
	m.Breaches.Set(float64(ev.Streak))
	if ev.RolledBack && ev.RollbackErr == nil {
		m.Rollbacks.Inc()
	}
}
