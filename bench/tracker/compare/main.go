// Command compare measures the run-time tracker's cost side by side with the
// alternatives, in one run: the plain program, the program under the tracker
// (default quarantine, none, and sampled), a -asan build, and valgrind. Runs are
// interleaved round by round so that load from other work on the machine
// hits every variant alike; it prints the median of each variant's
// in-process figures (wall ns/op and CPU ns/op) as a Markdown table.
//
//	go run ./bench/tracker/compare [-rounds 5] [-workload cstring|zlib|xgboost|all]
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cgoguard/cgoguard/tracker"
)

type workload struct {
	name, pkg string
	args      []string
	slowArgs  []string // a shorter run for valgrind, which is 100x slower; the figures are per op
}

var workloads = []workload{
	{"cstring", "./bench/tracker/cstring", []string{"-n", "2000000"}, []string{"-n", "100000"}},
	{"zlib", "./bench/tracker/zlib", []string{"-rounds", "2"}, []string{"-rounds", "1"}},
	{"xgboost", "./bench/tracker/xgboost", []string{"-n", "20000"}, []string{"-n", "300"}},
}

type variant struct {
	name string
	run  func(ctx context.Context, bin, asan string, args []string) ([]byte, error)
}

func plain(ctx context.Context, bin, _ string, args []string) ([]byte, error) {
	return exec.CommandContext(ctx, bin, args...).Output()
}

func tracked(o tracker.Options) func(context.Context, string, string, []string) ([]byte, error) {
	return func(ctx context.Context, bin, _ string, args []string) ([]byte, error) {
		var out bytes.Buffer
		o := o
		o.Stdout = &out
		res, err := tracker.Run(ctx, bin, args, o)
		if err == nil && res.ExitCode != 0 {
			err = fmt.Errorf("exit %d", res.ExitCode)
		}
		return out.Bytes(), err
	}
}

func asan(ctx context.Context, _, asan string, args []string) ([]byte, error) {
	return exec.CommandContext(ctx, asan, args...).Output()
}

func valgrind(ctx context.Context, bin, _ string, args []string) ([]byte, error) {
	return exec.CommandContext(ctx, "valgrind", append([]string{"-q", "--leak-check=no", bin}, args...)...).Output()
}

func main() {
	rounds := flag.Int("rounds", 5, "interleaved rounds")
	only := flag.String("workload", "all", "cstring, zlib, xgboost or all")
	flag.Parse()
	dir, err := os.MkdirTemp("", "tracker-bench-")
	check(err)
	defer os.RemoveAll(dir)
	variants := []variant{
		{"plain", plain},
		{"cgoguard run", tracked(tracker.Options{})},
		{"cgoguard run -quarantine=0", tracked(tracker.Options{Quarantine: -1})},
		{"cgoguard run -sample-rate=524288", tracked(tracker.Options{SampleRate: 512 << 10})},
		{"go build -asan", asan},
	}
	if _, err := exec.LookPath("valgrind"); err == nil {
		variants = append(variants, variant{"valgrind", valgrind})
	} else {
		fmt.Fprintln(os.Stderr, "valgrind not installed: skipped")
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("%s, %s/%s, %d CPUs, %s, load %s, %d rounds, median\n\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), strings.Join(strings.Fields(string(load))[:3], " "), *rounds)
	for _, w := range workloads {
		if *only != "all" && *only != w.name {
			continue
		}
		bin := filepath.Join(dir, w.name)
		asanBin := bin + "-asan"
		build(bin, w.pkg)
		build(asanBin, w.pkg, "-asan")
		wall := map[string][]float64{}
		cpu := map[string][]float64{}
		for r := 0; r < *rounds; r++ {
			for _, v := range variants {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				args := w.args
				if v.name == "valgrind" {
					args = w.slowArgs
				}
				out, err := v.run(ctx, bin, asanBin, args)
				cancel()
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s/%s: %v\n%s", w.name, v.name, err, out)
					os.Exit(1)
				}
				kv := parse(out)
				wall[v.name] = append(wall[v.name], kv["ns_per_op"])
				cpu[v.name] = append(cpu[v.name], kv["cpu_ns_per_op"])
			}
		}
		fmt.Printf("%s (%s %s)\n\n", w.name, w.pkg, strings.Join(w.args, " "))
		fmt.Println("| variant | wall ns/op | × plain | CPU ns/op | × plain |")
		fmt.Println("|---|---:|---:|---:|---:|")
		pw, pc := median(wall["plain"]), median(cpu["plain"])
		for _, v := range variants {
			mw, mc := median(wall[v.name]), median(cpu[v.name])
			fmt.Printf("| %s | %.0f | %.2f | %.0f | %.2f |\n", v.name, mw, mw/pw, mc, mc/pc)
		}
		fmt.Println()
	}
}

func build(out, pkg string, flags ...string) {
	args := append(append([]string{"build", "-o", out}, flags...), pkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, msg)
		os.Exit(1)
	}
}

func parse(out []byte) map[string]float64 {
	kv := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				kv[f[0]] = v
			}
		}
	}
	return kv
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.Index(l, ":"); i >= 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return "unknown CPU"
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
