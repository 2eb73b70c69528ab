// Package cgateprom exports a cgate.Gate's counters to Prometheus. It is a
// package of its own so that cgate itself has no dependency.
//
//	reg.MustRegister(cgateprom.New("db", dbGate))
//
// Metrics, each labelled gate="<name>":
//
//	cgate_limit                  gauge    most goroutines admitted at once
//	cgate_in_flight              gauge    goroutines inside the gate now
//	cgate_waiting                gauge    goroutines waiting to enter now
//	cgate_passes_total           counter  entries
//	cgate_waits_total            counter  entries that had to wait
//	cgate_wait_seconds_total     counter  time those entries waited
//	cgate_canceled_total         counter  waits that ended with their context
//
// The collector reads Stats at scrape time: it adds nothing to a pass.
package cgateprom

import (
	"github.com/cgoguard/cgoguard/safe/cgate"
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is a prometheus.Collector for one gate.
type Collector struct {
	gate *cgate.Gate

	limit, inFlight, waiting       *prometheus.Desc
	passes, waits, waitSec, cancel *prometheus.Desc
}

// New returns a collector for g, labelled gate=name.
func New(name string, g *cgate.Gate) *Collector {
	l := prometheus.Labels{"gate": name}
	d := func(metric, help string) *prometheus.Desc {
		return prometheus.NewDesc("cgate_"+metric, help, nil, l)
	}
	return &Collector{
		gate:     g,
		limit:    d("limit", "Most goroutines the gate admits at once."),
		inFlight: d("in_flight", "Goroutines inside the gate (in the bounded C call) now."),
		waiting:  d("waiting", "Goroutines waiting to enter the gate now."),
		passes:   d("passes_total", "Entries into the gate."),
		waits:    d("waits_total", "Entries that had to wait for a slot."),
		waitSec:  d("wait_seconds_total", "Total time entries waited for a slot."),
		cancel:   d("canceled_total", "Waits that ended with their context instead of a slot."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.limit, c.inFlight, c.waiting, c.passes, c.waits, c.waitSec, c.cancel} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.gate.Stats()
	ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(s.Limit))
	ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(s.InFlight))
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(s.Waiting))
	ch <- prometheus.MustNewConstMetric(c.passes, prometheus.CounterValue, float64(s.Passes))
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.Waits))
	ch <- prometheus.MustNewConstMetric(c.waitSec, prometheus.CounterValue, s.WaitTime.Seconds())
	ch <- prometheus.MustNewConstMetric(c.cancel, prometheus.CounterValue, float64(s.Canceled))
}
