package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/model"
	"github.com/cgoguard/cgoguard/examples/riskserver/monitor"
	"github.com/cgoguard/cgoguard/examples/riskserver/schema"
	"github.com/cgoguard/cgoguard/tracker"
)

var dir string // model files: base.json, other.json, retyped.json

func TestMain(m *testing.M) {
	var err error
	dir, err = os.MkdirTemp("", "riskserver")
	if err == nil {
		err = writeModels(dir)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func writeModels(dir string) error {
	c := fraud.TrainConfig{Rows: 3000, Seed: 1, Rounds: 20, MaxDepth: 4, Eta: 0.3, Reference: 400}
	base, err := fraud.Train(c)
	if err != nil {
		return err
	}
	c.Seed = 2
	other, err := fraud.Train(c)
	if err != nil {
		return err
	}
	s := schema.Schema{Features: slices.Clone(fraud.Schema.Features)}
	s.Features[1].Type = schema.Float // hour: int → float
	retyped, err := fraud.TrainSchema(c, s)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"base.json": base, "other.json": other, "retyped.json": retyped} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func newServer(t *testing.T, policy monitor.Policy) (*Server, *httptest.Server, *httptest.Server) {
	t.Helper()
	s, err := New(context.Background(), Config{
		ModelPath: filepath.Join(dir, "base.json"),
		Model:     model.Config{Options: model.Options{Threads: 2, NThread: 1, Gate: NewGate(2)}, MaxBatch: 32, MaxWait: time.Millisecond},
		Policy:    policy, DriftWindow: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	api, admin := httptest.NewServer(s.Handler()), httptest.NewServer(s.AdminHandler())
	t.Cleanup(func() { api.Close(); admin.Close(); s.Close() })
	return s, api, admin
}

// rowsJSON turns d's rows into a /predict body.
func rowsJSON(d *fraud.Data) []byte {
	var req PredictRequest
	for i := range d.Rows {
		row := map[string]json.RawMessage{}
		for j, f := range fraud.Schema.Features {
			v := d.Row(i)[j]
			var raw string
			switch f.Type {
			case schema.Bool:
				raw = fmt.Sprint(v == 1)
			default:
				raw = fmt.Sprint(v)
			}
			row[f.Name] = json.RawMessage(raw)
		}
		req.Rows = append(req.Rows, row)
	}
	b, _ := json.Marshal(req)
	return b
}

func post(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPredictAndProbes(t *testing.T) {
	tracker.VerifyNone(t)
	_, api, _ := newServer(t, monitor.DefaultPolicy)
	if code, body := get(t, api.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body := get(t, api.URL+"/readyz"); code != 200 || !strings.Contains(body, `"model"`) {
		t.Fatalf("readyz: %d %q", code, body)
	}
	d := fraud.Generate(10, 42, 1)
	code, body := post(t, api.URL+"/predict", rowsJSON(d))
	var resp PredictResponse
	if code != 200 || json.Unmarshal([]byte(body), &resp) != nil || len(resp.Scores) != 10 {
		t.Fatalf("predict: %d %s", code, body)
	}
	for _, p := range resp.Scores {
		if !(p > 0 && p < 1) {
			t.Fatalf("score %v is not a probability", p)
		}
	}
	code, metrics := get(t, api.URL+"/metrics")
	for _, want := range []string{
		`riskserver_request_duration_seconds_bucket{outcome="ok"`,
		`riskserver_batch_rows_count 1`, // the canary ran outside the batcher: one batch, this request
		`cgate_passes_total{gate="xgboost"}`,
		`riskserver_model_generation`,
	} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestMalformedRequestsAreRejectedAndServiceGoesOn(t *testing.T) {
	_, api, _ := newServer(t, monitor.DefaultPolicy)
	good := fraud.Generate(1, 1, 1)
	body := string(rowsJSON(good))
	for _, c := range []struct{ body, want string }{
		{`{"rows": [`, "malformed request"},
		{`{"rows": []}`, "no rows"},
		{`{"rowz": []}`, `unknown field "rowz"`},
		{strings.Replace(body, `"hour":`, `"hour_of_day":`, 1), `row 0: missing feature "hour" (int)`},
		{strings.Replace(body, `"card_present":`, `"card_present":"yes","x":`, 1), `feature "card_present": want a bool (true/false), got "yes"`},
		{`{"rows": [` + strings.Repeat(`{},`, 1000) + `{}]}`, "1001 rows, at most 1000"},
	} {
		code, raw := post(t, api.URL+"/predict", []byte(c.body))
		var e errorResponse
		json.Unmarshal([]byte(raw), &e)
		if got := e.Error; code != 400 || !strings.Contains(got, c.want) {
			t.Errorf("body %.60q: %d %s; want 400 with %q", c.body, code, got, c.want)
		}
	}
	if code, got := post(t, api.URL+"/predict", []byte(body)); code != 200 {
		t.Fatalf("good request after bad ones: %d %s", code, got)
	}
}

func TestAdminReloadRollbackAndSchemaGate(t *testing.T) {
	tracker.VerifyNone(t)
	s, api, admin := newServer(t, monitor.DefaultPolicy)
	first := s.Service().Current()
	code, body := post(t, admin.URL+"/admin/reload", []byte(fmt.Sprintf(`{"path": %q}`, filepath.Join(dir, "retyped.json"))))
	if code != http.StatusConflict || !strings.Contains(body, `feature \"hour\" changed type from int to float`) {
		t.Fatalf("reload of a retyped model: %d %s", code, body)
	}
	code, body = post(t, admin.URL+"/admin/reload", []byte(fmt.Sprintf(`{"path": %q}`, filepath.Join(dir, "other.json"))))
	if code != 200 || s.Service().Current() == first || s.Service().Previous() != first {
		t.Fatalf("reload: %d %s", code, body)
	}
	if code, body := post(t, api.URL+"/predict", rowsJSON(fraud.Generate(3, 1, 1))); code != 200 || !strings.Contains(body, fmt.Sprintf(`"model":%d`, s.Service().Current())) {
		t.Fatalf("predict after reload: %d %s", code, body)
	}
	if code, body := post(t, admin.URL+"/admin/rollback", nil); code != 200 || s.Service().Current() != first {
		t.Fatalf("rollback: %d %s", code, body)
	}
	if code, _ := post(t, admin.URL+"/admin/rollback", nil); code != http.StatusConflict {
		t.Fatalf("second rollback: %d", code)
	}
	if _, m := get(t, api.URL+"/metrics"); !strings.Contains(m, `riskserver_reloads_total{result="rejected"} 1`) || !strings.Contains(m, `riskserver_reloads_total{result="ok"} 1`) {
		t.Fatal("reload counters wrong")
	}
}

// A drifted model version is rolled back automatically after the policy's
// consecutive periods; the clock is the test's.
func TestDriftTriggersAutomaticRollback(t *testing.T) {
	policy := monitor.Policy{MaxP95: time.Hour, MinLatencySamples: 1, MaxDrift: 0.3, MinRows: 100, Periods: 3}
	s, api, admin := newServer(t, policy)
	first := s.Service().Current()
	if code, body := post(t, admin.URL+"/admin/reload", []byte(fmt.Sprintf(`{"path": %q}`, filepath.Join(dir, "other.json")))); code != 200 {
		t.Fatalf("reload: %d %s", code, body)
	}
	second := s.Service().Current()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func() monitor.Evaluation { now = now.Add(time.Minute); return s.Watchdog().Evaluate(now) }

	// Training-like traffic: no drift, no rollback.
	if code, _ := post(t, api.URL+"/predict", rowsJSON(fraud.Generate(300, 77, 1))); code != 200 {
		t.Fatal(code)
	}
	for range 4 {
		if ev := tick(); ev.RolledBack || ev.MaxDrift > 0.3 {
			t.Fatalf("undrifted traffic: %+v", ev)
		}
	}
	// Amounts five times larger (a currency change upstream, say).
	if code, _ := post(t, api.URL+"/predict", rowsJSON(fraud.Generate(300, 78, 5))); code != 200 {
		t.Fatal(code)
	}
	for i := 1; i <= 3; i++ {
		ev := tick()
		s.Metrics().Record(ev)
		if ev.DriftFeature != "amount" || ev.Streak != i%3 && !(i == 3 && ev.RolledBack) {
			t.Fatalf("period %d: %+v", i, ev)
		}
		if (i == 3) != ev.RolledBack {
			t.Fatalf("period %d: rolled back = %v", i, ev.RolledBack)
		}
	}
	if s.Service().Current() != first || s.Service().Previous() != 0 {
		t.Fatalf("after the rollback: current %d (want %d, was %d)", s.Service().Current(), first, second)
	}
	if _, m := get(t, api.URL+"/metrics"); !strings.Contains(m, "riskserver_rollbacks_total 1") || !strings.Contains(m, `riskserver_feature_drift_ks{feature="amount"}`) {
		t.Fatal("rollback not in the metrics")
	}
}
