package gate

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/schema"
)

func baseline(t *testing.T) Baseline {
	t.Helper()
	b, err := ReadBaseline("testdata/baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	if b.Tolerance != DefaultTolerance {
		t.Fatalf("baseline tolerance %v, want %v", b.Tolerance, DefaultTolerance)
	}
	return b
}

func aucOf(t *testing.T, c fraud.TrainConfig) float64 {
	t.Helper()
	data, err := fraud.Train(c)
	if err != nil {
		t.Fatal(err)
	}
	auc, err := HoldoutAUC(data)
	if err != nil {
		t.Fatal(err)
	}
	return auc
}

// Gate 1: the model the pipeline trains now performs as recorded.
func TestModelRegressionGate(t *testing.T) {
	b := baseline(t)
	auc := aucOf(t, fraud.DefaultTrainConfig)
	if err := CheckAUC(b, auc); err != nil {
		t.Fatal(err)
	}
	t.Logf("holdout AUC %.4f, baseline %.4f", auc, b.AUC)
}

// The gate fails worse models: a crippled one, and one only 0.008 worse;
// and passes one within the tolerance.
func TestRegressionGateRejectsWeakerModels(t *testing.T) {
	b := baseline(t)
	for _, c := range []struct {
		name   string
		rounds int
		depth  int
		pass   bool
	}{
		{"stumps, 3 rounds", 3, 1, false},
		{"half the rounds", 20, 4, false},
		{"three quarters of the rounds", 30, 4, true},
	} {
		cfg := fraud.DefaultTrainConfig
		cfg.Rounds, cfg.MaxDepth = c.rounds, c.depth
		auc := aucOf(t, cfg)
		err := CheckAUC(b, auc)
		if (err == nil) != c.pass {
			t.Errorf("%s: AUC %.4f, gate said %v; want pass=%v", c.name, auc, err, c.pass)
		}
		if err != nil && !strings.Contains(err.Error(), "model regression gate: holdout AUC") {
			t.Errorf("unclear message: %v", err)
		}
	}
}

// Gate 2: a model must keep the served feature schema.
func TestFeatureSchemaGate(t *testing.T) {
	data, err := os.ReadFile("testdata/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var served schema.Schema
	if err := json.Unmarshal(data, &served); err != nil {
		t.Fatal(err)
	}
	small := fraud.TrainConfig{Rows: 2000, Seed: 1, Rounds: 5, MaxDepth: 3, Eta: 0.3, Reference: 50}
	model := func(s schema.Schema) []byte {
		t.Helper()
		m, err := fraud.TrainSchema(small, s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if err := CheckSchema(served, model(fraud.Schema)); err != nil {
		t.Fatalf("the pipeline's schema: %v", err)
	}
	retyped := schema.Schema{Features: slices.Clone(fraud.Schema.Features)}
	retyped.Features[4].Type = schema.Float
	swapped := schema.Schema{Features: slices.Clone(fraud.Schema.Features)}
	swapped.Features[0], swapped.Features[2] = swapped.Features[2], swapped.Features[0]
	dropped := schema.Schema{Features: slices.Clone(fraud.Schema.Features[:7])}
	for _, c := range []struct {
		name string
		s    schema.Schema
		want string
	}{
		{"type change", retyped, `feature "txn_count_24h" changed type from int to float`},
		{"order change", swapped, `feature "merchant_risk" moved from position 2 to 0; feature "amount" moved from position 0 to 2`},
		{"dropped feature", dropped, `feature "card_present" (position 7) removed`},
	} {
		err := CheckSchema(served, model(c.s))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
	}
}
