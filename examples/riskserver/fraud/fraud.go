// Package fraud makes the reference service's model: synthetic, fraud-like
// card transactions (deterministic for a seed), a real XGBoost model trained
// on them through the C API, and the AUC that the CI gate compares.
//
// Nothing binary is committed: tests and the riskserver-train command train
// the model from the seed in well under a second.
package fraud

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/cgoguard/cgoguard/examples/riskserver/schema"
	"github.com/cgoguard/cgoguard/examples/riskserver/xgb"
	"github.com/cgoguard/cgoguard/safe/osthread"
)

// Attribute names under which the schema and the reference sample are saved
// inside the XGBoost model file, so that a model never travels without them.
const (
	AttrSchema    = "riskserver_schema"
	AttrReference = "riskserver_reference"
)

// Schema is the feature schema of the synthetic transactions.
var Schema = schema.Schema{Features: []schema.Feature{
	{Name: "amount", Type: schema.Float},         // transaction amount
	{Name: "hour", Type: schema.Int},             // hour of day, 0-23
	{Name: "merchant_risk", Type: schema.Float},  // merchant's historical risk, 0-1
	{Name: "account_age_days", Type: schema.Int}, // age of the account
	{Name: "txn_count_24h", Type: schema.Int},    // card's transactions in the last day
	{Name: "distance_km", Type: schema.Float},    // from the card holder's home
	{Name: "is_foreign", Type: schema.Bool},      // merchant abroad
	{Name: "card_present", Type: schema.Bool},    // chip/swipe rather than online
}}

// NumFeatures is len(Schema.Features).
const NumFeatures = 8

// Data is a dense row-major feature matrix with labels (1 = fraud).
type Data struct {
	X    []float32
	Y    []float32
	Rows int
}

// Row returns row i's features.
func (d *Data) Row(i int) []float32 { return d.X[i*NumFeatures : (i+1)*NumFeatures] }

// Generate returns n transactions drawn with the given seed. amountScale
// multiplies every amount (1 for the training distribution; other values
// make drifted traffic for the drift monitor).
func Generate(n int, seed uint64, amountScale float64) *Data {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &Data{X: make([]float32, 0, n*NumFeatures), Y: make([]float32, n), Rows: n}
	b := func(p float64) float64 {
		if r.Float64() < p {
			return 1
		}
		return 0
	}
	for i := range n {
		amount := math.Exp(3.5+1.2*r.NormFloat64()) * amountScale
		hour := float64(r.IntN(24))
		risk := r.Float64() * r.Float64()
		age := math.Floor(r.ExpFloat64() * 400)
		count := math.Floor(r.ExpFloat64() * 3)
		dist := r.ExpFloat64() * 20
		foreign := b(0.1)
		present := b(0.6)
		night := 0.0
		if hour < 6 {
			night = 1
		}
		z := -4.3 + 0.5*(math.Log(amount/amountScale)-3.5) + 2.5*risk + 1.2*foreign - 1.0*present +
			0.8*night + 0.25*math.Min(count, 10) - 0.002*math.Min(age, 1000) + 0.02*math.Min(dist, 100) +
			1.5*foreign*(1-present)*risk
		d.Y[i] = float32(b(1 / (1 + math.Exp(-z))))
		d.X = append(d.X, float32(amount), float32(hour), float32(risk), float32(age), float32(count),
			float32(dist), float32(foreign), float32(present))
	}
	return d
}

// TrainConfig is the training recipe; the CI gate pins it.
type TrainConfig struct {
	Rows      int     `json:"rows"`
	Seed      uint64  `json:"seed"`
	Rounds    int     `json:"rounds"`
	MaxDepth  int     `json:"max_depth"`
	Eta       float64 `json:"eta"`
	Reference int     `json:"reference_rows"` // rows of training data kept as the drift reference
}

// DefaultTrainConfig is the recipe of the served model.
var DefaultTrainConfig = TrainConfig{Rows: 6000, Seed: 1, Rounds: 40, MaxDepth: 4, Eta: 0.2, Reference: 500}

// Reference is the per-feature reference sample stored with a model.
type Reference map[string][]float64

// Train trains a binary:logistic model with c and returns it in XGBoost's
// JSON format, with the schema and a reference sample as attributes. It is
// deterministic: one thread, no sampling.
func Train(c TrainConfig) ([]byte, error) { return TrainSchema(c, Schema) }

// TrainSchema is Train with the columns, and the schema recorded, of sch: a
// subset or permutation of Schema's features, possibly with other types. It
// makes the models a careless pipeline change would produce, for the
// schema-compatibility gate.
func TrainSchema(c TrainConfig, sch schema.Schema) ([]byte, error) {
	if err := sch.Validate(); err != nil {
		return nil, err
	}
	// Every call on a thread of its own that then ends: XGBoost keeps a
	// booster's returned buffers (the saved model here) per thread and frees
	// only the freeing thread's, and it and OpenMP keep more per thread
	// until the thread ends (see package model).
	var model []byte
	var err error
	th := osthread.New()
	defer th.Close() // returns once the thread and its per-thread state are gone
	if derr := th.Do(context.Background(), func() { model, err = train(c, sch) }); derr != nil {
		return nil, derr
	}
	return model, err
}

func train(c TrainConfig, sch schema.Schema) ([]byte, error) {
	full := Generate(c.Rows, c.Seed, 1)
	cols := make([]int, len(sch.Features))
	for i, f := range sch.Features {
		cols[i] = -1
		for j, g := range Schema.Features {
			if g.Name == f.Name {
				cols[i] = j
			}
		}
		if cols[i] < 0 {
			return nil, fmt.Errorf("fraud: no generated column for feature %q", f.Name)
		}
	}
	nf := len(cols)
	d := &Data{X: make([]float32, 0, full.Rows*nf), Y: full.Y, Rows: full.Rows}
	for i := range full.Rows {
		for _, j := range cols {
			d.X = append(d.X, full.X[i*NumFeatures+j])
		}
	}
	dtrain, err := xgb.NewDMatrix(d.X, d.Rows, nf, 1)
	if err != nil {
		return nil, err
	}
	defer dtrain.Close()
	if err := dtrain.SetLabels(d.Y); err != nil {
		return nil, err
	}
	bst, err := xgb.NewBooster(dtrain)
	if err != nil {
		return nil, err
	}
	defer bst.Close()
	params := [][2]string{
		{"objective", "binary:logistic"},
		{"tree_method", "hist"},
		{"nthread", "1"},
		{"seed", "0"},
		{"max_depth", strconv.Itoa(c.MaxDepth)},
		{"eta", strconv.FormatFloat(c.Eta, 'g', -1, 64)},
		{"verbosity", "0"},
	}
	for _, p := range params {
		if err := bst.SetParam(p[0], p[1]); err != nil {
			return nil, err
		}
	}
	for i := range c.Rounds {
		if err := bst.Update(i, dtrain); err != nil {
			return nil, err
		}
	}
	sj, err := json.Marshal(sch)
	if err != nil {
		return nil, err
	}
	ref := Reference{}
	for j, f := range sch.Features {
		col := make([]float64, 0, c.Reference)
		for i := 0; i < c.Reference && i < d.Rows; i++ {
			col = append(col, float64(d.X[i*nf+j]))
		}
		ref[f.Name] = col
	}
	rj, err := json.Marshal(ref)
	if err != nil {
		return nil, err
	}
	if err := bst.SetAttr(AttrSchema, string(sj)); err != nil {
		return nil, err
	}
	if err := bst.SetAttr(AttrReference, string(rj)); err != nil {
		return nil, err
	}
	return bst.SaveJSON()
}

// AUC is the area under the ROC curve of scores for labels (1 positive, 0
// negative): the probability that a random positive scores above a random
// negative, ties counting half (Mann-Whitney U with average ranks).
func AUC(scores, labels []float32) (float64, error) {
	if len(scores) != len(labels) {
		return 0, fmt.Errorf("AUC: %d scores for %d labels", len(scores), len(labels))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sortByScore(idx, scores)
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j, averaged over the tie
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				pos++
				rankSum += avg
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("AUC: need both classes (%v positive, %v negative)", pos, neg)
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg), nil
}
