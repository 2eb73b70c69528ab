// Package gate holds the riskserver's CI gates as code: the model
// regression gate (holdout AUC within a tolerance of the recorded baseline)
// and the feature-schema gate (a new model must keep the served schema).
// Their tests are the gates; riskserver-train records the baseline.
package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/model"
	"github.com/cgoguard/cgoguard/examples/riskserver/schema"
)

// DefaultTolerance is the seed's AUC tolerance: ±0.005.
const DefaultTolerance = 0.005

// The holdout set: drawn with a seed the training never uses.
const (
	HoldoutSeed = 1001
	HoldoutRows = 20000
)

// Baseline is the recorded performance of the served model.
type Baseline struct {
	AUC       float64           `json:"auc"`
	Tolerance float64           `json:"tolerance"`
	Train     fraud.TrainConfig `json:"train"`
}

// ReadBaseline reads a baseline file.
func ReadBaseline(path string) (Baseline, error) {
	var b Baseline
	data, err := os.ReadFile(path)
	if err != nil {
		return b, err
	}
	err = json.Unmarshal(data, &b)
	return b, err
}

// WriteBaseline writes a baseline file.
func WriteBaseline(path string, b Baseline) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// HoldoutAUC loads a model and returns its AUC on the holdout set.
func HoldoutAUC(data []byte) (float64, error) {
	ctx := context.Background()
	m, err := model.Load(ctx, data, model.Options{})
	if err != nil {
		return 0, err
	}
	defer m.Release()
	h := fraud.Generate(HoldoutRows, HoldoutSeed, 1)
	scores, err := m.Predict(ctx, h.X, make([]float32, 0, h.Rows))
	if err != nil {
		return 0, err
	}
	return fraud.AUC(scores, h.Y)
}

// CheckAUC is the regression gate: auc must be within the baseline's
// tolerance. It is two-sided, as in the seed: a model that is much better
// is also a change to look at, and is accepted by recording a new baseline.
func CheckAUC(b Baseline, auc float64) error {
	if d := auc - b.AUC; math.Abs(d) > b.Tolerance {
		return fmt.Errorf("model regression gate: holdout AUC %.4f is %+.4f from the baseline %.4f (tolerance ±%.4f)", auc, d, b.AUC, b.Tolerance)
	}
	return nil
}

// CheckSchema is the feature-schema gate: the model's schema must be the
// served one.
func CheckSchema(served schema.Schema, data []byte) error {
	m, err := model.Load(context.Background(), data, model.Options{})
	if err != nil {
		return err
	}
	defer m.Release()
	return schema.Compatible(served, m.Schema)
}
