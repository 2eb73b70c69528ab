// Command reloadprobe hot-reloads a model under concurrent load, N times,
// and reports the C memory that the reloads left allocated, as seen by the
// cgoguard tracker it must run under (tracker.Run, cgoguard run). It is the
// evidence behind package model's design, in three modes:
//
//	service      model.Service: each model's C calls on its own threads,
//	             freed by its last batch on its first thread, threads ended
//	otherthread  a booster shared by the request goroutines (each call on
//	             whatever thread runs it) and freed, after the last request,
//	             by the reloading goroutine: correct reference counting, wrong
//	             thread (XGBoost frees only the freeing thread's entries)
//	noclose      the old booster is never freed: "nobody knows when the last
//	             request is done"
//
// It prints "reloads=N leaked_blocks=B leaked_bytes=Y" for the blocks
// allocated after a warm-up round and still allocated after the service
// stopped, and the process's OS threads after the warm-up and at the end
// (a model whose threads did not end would add two per reload).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/model"
	"github.com/cgoguard/cgoguard/examples/riskserver/xgb"
	"github.com/cgoguard/cgoguard/safe/cgate"
	"github.com/cgoguard/cgoguard/tracker"
)

var (
	mode    = flag.String("mode", "service", "service, otherthread or noclose")
	reloads = flag.Int("reloads", 10, "reloads under load")
	workers = flag.Int("workers", 4, "concurrent request goroutines")
	verbose = flag.Bool("v", false, "list the leak sites")
)

var models [2][]byte
var rows = fraud.Generate(8, 5, 1).X

// server is what the modes share: predict under load, reload, stop.
type server interface {
	predict() error
	reload(data []byte) error
	close()
}

func main() {
	flag.Parse()
	c := fraud.TrainConfig{Rows: 1500, Seed: 1, Rounds: 10, MaxDepth: 3, Eta: 0.3, Reference: 50}
	var err error
	if models[0], err = fraud.Train(c); err == nil {
		c.Seed = 2
		models[1], err = fraud.Train(c)
	}
	if err != nil {
		fail(err)
	}
	round(2) // warm-up: XGBoost's and OpenMP's one-time and per-thread allocations
	threads := osThreads()
	m, err := tracker.Mark()
	if err != nil {
		fail(err)
	}
	round(*reloads)
	fs, err := m.Leaks()
	if err != nil {
		fail(err)
	}
	var blocks int
	var bytes uint64
	for _, f := range fs {
		blocks += f.Blocks
		bytes += f.Bytes
		if *verbose {
			fmt.Printf("  %s: %d blocks, %d bytes\n", f.Site, f.Blocks, f.Bytes)
		}
	}
	fmt.Printf("mode=%s reloads=%d leaked_blocks=%d leaked_bytes=%d threads_before=%d threads_after=%d\n",
		*mode, *reloads, blocks, bytes, threads, osThreads())
}

// round starts a server, reloads it n times while workers send requests,
// and stops it.
func round(n int) {
	var s server
	var err error
	switch *mode {
	case "service":
		s, err = newService()
	case "otherthread", "noclose":
		s, err = newNaive(*mode == "otherthread")
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fail(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.predict(); err != nil {
					fail(err)
				}
			}
		})
	}
	for i := range n {
		// Each reload waits for requests on the current model first, so
		// that every model has predicted on the workers' threads.
		for range 4 * *workers {
			if err := s.predict(); err != nil {
				fail(err)
			}
		}
		if err := s.reload(models[(i+1)%2]); err != nil {
			fail(err)
		}
	}
	close(stop)
	wg.Wait()
	s.close()
}

type service struct{ s *model.Service }

func newService() (server, error) {
	s, err := model.NewService(context.Background(), models[0], model.Config{
		Options: model.Options{Threads: 2, NThread: 1, Gate: cgate.New(2)}, MaxBatch: 8,
	})
	return &service{s}, err
}

func (s *service) predict() error {
	_, _, err := s.s.Predict(context.Background(), rows[:fraud.NumFeatures])
	return err
}

func (s *service) reload(data []byte) error {
	_, err := s.s.Reload(context.Background(), data)
	return err
}

func (s *service) close() { s.s.Close() }

// naive is the obvious design: one booster behind a RWMutex, predictions
// on the request goroutines, the reload swaps and frees (or not).
type naive struct {
	free bool
	mu   sync.RWMutex
	b    *xgb.Booster
}

func newNaive(free bool) (server, error) {
	n := &naive{free: free}
	return n, n.reload(models[0])
}

func (n *naive) predict() error {
	n.mu.RLock()
	defer n.mu.RUnlock()
	dm, err := xgb.NewDMatrix(rows, len(rows)/fraud.NumFeatures, fraud.NumFeatures, 1)
	if err != nil {
		return err
	}
	defer dm.Close()
	_, err = n.b.Predict(dm, nil)
	return err
}

func (n *naive) reload(data []byte) error {
	b, err := xgb.NewBooster()
	if err != nil {
		return err
	}
	if err := b.LoadModel(data); err != nil {
		b.Close()
		return err
	}
	n.mu.Lock() // waits for the requests in flight: no use after free
	old := n.b
	n.b = b
	n.mu.Unlock()
	if old != nil && n.free {
		old.Close()
	}
	return nil
}

func (n *naive) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.free {
		n.b.Close()
	}
}

// osThreads returns the process's OS thread count.
func osThreads() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fail(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reloadprobe:", err)
	os.Exit(2)
}
