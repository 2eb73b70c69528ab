package cgateprom_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/safe/cgate"
	"github.com/cgoguard/cgoguard/safe/cgate/cgateprom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCollectorReportsGateState(t *testing.T) {
	g := cgate.New(2)
	ctx := context.Background()
	for range 3 {
		if err := g.Do(ctx, func() {}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Enter(ctx); err != nil { // one inside while we scrape
		t.Fatal(err)
	}
	defer g.Leave()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_ = g.Enter(ctx)
	if err := g.Enter(canceled); err == nil { // full: the ended ctx stops the wait
		t.Fatal("entered a full gate")
	}
	g.Leave()

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cgateprom.New("db", g))
	want := `
# HELP cgate_canceled_total Waits that ended with their context instead of a slot.
# TYPE cgate_canceled_total counter
cgate_canceled_total{gate="db"} 1
# HELP cgate_in_flight Goroutines inside the gate (in the bounded C call) now.
# TYPE cgate_in_flight gauge
cgate_in_flight{gate="db"} 1
# HELP cgate_limit Most goroutines the gate admits at once.
# TYPE cgate_limit gauge
cgate_limit{gate="db"} 2
# HELP cgate_passes_total Entries into the gate.
# TYPE cgate_passes_total counter
cgate_passes_total{gate="db"} 5
# HELP cgate_waiting Goroutines waiting to enter the gate now.
# TYPE cgate_waiting gauge
cgate_waiting{gate="db"} 0
# HELP cgate_waits_total Entries that had to wait for a slot.
# TYPE cgate_waits_total counter
cgate_waits_total{gate="db"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"cgate_canceled_total", "cgate_in_flight", "cgate_limit", "cgate_passes_total", "cgate_waiting", "cgate_waits_total"); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "cgate_wait_seconds_total"); err != nil || n != 1 {
		t.Fatalf("wait seconds: %d series, %v", n, err)
	}
	if lint, err := testutil.GatherAndLint(reg); err != nil || len(lint) != 0 {
		t.Fatalf("lint: %v %v", lint, err)
	}
}

func Example() {
	g := cgate.New(16)
	reg := prometheus.NewRegistry()
	reg.MustRegister(cgateprom.New("resolver", g))

	_ = g.Do(context.Background(), func() { /* C.getaddrinfo(...) */ })
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "cgate_passes_total" {
			fmt.Println(mf.GetName(), mf.GetMetric()[0].GetCounter().GetValue())
		}
	}
	// Output: cgate_passes_total 1
}
