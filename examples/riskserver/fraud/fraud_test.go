package fraud

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

func TestAUC(t *testing.T) {
	for _, c := range []struct {
		scores, labels []float32
		want           float64
	}{
		{[]float32{0.1, 0.2, 0.8, 0.9}, []float32{0, 0, 1, 1}, 1},
		{[]float32{0.9, 0.8, 0.2, 0.1}, []float32{0, 0, 1, 1}, 0},
		{[]float32{0.1, 0.4, 0.35, 0.8}, []float32{0, 0, 1, 1}, 0.75}, // the textbook example
		{[]float32{0.5, 0.5, 0.5, 0.5}, []float32{0, 1, 0, 1}, 0.5},   // ties count half
	} {
		got, err := AUC(c.scores, c.labels)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AUC(%v, %v) = %v, %v; want %v", c.scores, c.labels, got, err, c.want)
		}
	}
	if _, err := AUC([]float32{1, 2}, []float32{1, 1}); err == nil {
		t.Error("AUC with one class accepted")
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b, c := Generate(500, 9, 1), Generate(500, 9, 1), Generate(500, 10, 1)
	if !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
		t.Fatal("same seed, different data")
	}
	if slices.Equal(a.X, c.X) {
		t.Fatal("different seeds, same data")
	}
	var pos float32
	for _, y := range Generate(20000, 1, 1).Y {
		pos += y
	}
	if rate := pos / 20000; rate < 0.02 || rate > 0.15 {
		t.Fatalf("fraud rate %v: not fraud-like", rate)
	}
}

func TestTrainIsDeterministic(t *testing.T) {
	c := TrainConfig{Rows: 1000, Seed: 3, Rounds: 5, MaxDepth: 3, Eta: 0.3, Reference: 10}
	a, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two trainings with one config made different models")
	}
	if !bytes.Contains(a, []byte(AttrSchema)) || !bytes.Contains(a, []byte(AttrReference)) {
		t.Fatal("the model file lacks the schema or reference attribute")
	}
}
