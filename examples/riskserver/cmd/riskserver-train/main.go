// Command riskserver-train trains the riskserver model on synthetic fraud
// data (deterministic: same flags, same bytes) and writes it as XGBoost JSON
// with the feature schema and the drift reference sample inside.
//
//	riskserver-train -o model.json
//	riskserver-train -o weak.json -rounds 3 -max-depth 1     # a worse model, for the gates
//	riskserver-train -o drifted.json -seed 2                 # another version
//	riskserver-train -baseline examples/riskserver/gate/testdata/baseline.json   # re-record the AUC baseline
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/gate"
)

func main() {
	c := fraud.DefaultTrainConfig
	out := flag.String("o", "model.json", "output model file")
	baseline := flag.String("baseline", "", "also write the model's holdout AUC as the CI baseline to this file")
	flag.IntVar(&c.Rows, "rows", c.Rows, "training rows")
	flag.Uint64Var(&c.Seed, "seed", c.Seed, "data seed")
	flag.IntVar(&c.Rounds, "rounds", c.Rounds, "boosting rounds")
	flag.IntVar(&c.MaxDepth, "max-depth", c.MaxDepth, "tree depth")
	flag.Float64Var(&c.Eta, "eta", c.Eta, "learning rate")
	flag.Parse()
	data, err := fraud.Train(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	auc, err := gate.HoldoutAUC(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d bytes, holdout AUC %.4f\n", *out, len(data), auc)
	if *baseline != "" {
		if err := gate.WriteBaseline(*baseline, gate.Baseline{AUC: auc, Tolerance: gate.DefaultTolerance, Train: c}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
