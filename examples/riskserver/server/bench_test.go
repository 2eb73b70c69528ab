package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/model"
	"github.com/cgoguard/cgoguard/examples/riskserver/monitor"
)

// BenchmarkPredictHTTP measures /predict end to end (HTTP, JSON, schema
// check, batching, XGBoost) with 64 concurrent clients sending one row
// each, without batching (every request its own predict call) and with
// dynamic batching (up to 64 rows or 1 ms). ns/op is the inverse of the
// throughput; p50_ms and p95_ms are per-request latencies.
//
//	go test -run '^$' -bench PredictHTTP -benchtime 20000x ./examples/riskserver/server/
func BenchmarkPredictHTTP(b *testing.B) {
	for _, c := range []struct {
		name  string
		batch int
		wait  time.Duration
	}{
		{"nobatch", 1, 0},
		{"batch64", 64, time.Millisecond},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := New(context.Background(), Config{
				ModelPath: filepath.Join(dir, "base.json"),
				Model: model.Config{Options: model.Options{Threads: 2, NThread: 1, Gate: NewGate(2)},
					MaxBatch: c.batch, MaxWait: c.wait},
				Policy: monitor.DefaultPolicy,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			api := httptest.NewServer(s.Handler())
			defer api.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
			body := rowsJSON(fraud.Generate(1, 11, 1))
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			b.SetParallelism(32) // 64 clients with GOMAXPROCS=2
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					t := time.Now()
					resp, err := client.Post(api.URL+"/predict", "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
				b.ReportMetric(float64(lat[(len(lat)*95+99)/100-1].Microseconds())/1000, "p95_ms")
			}
			client.CloseIdleConnections()
		})
	}
}
