// Package schema is the feature schema of a risk model: the names, order and
// types of its inputs. It is stored with the model, checked when a model is
// loaded or replaced (Compatible), and checked on every request (Row).
//
// Order matters because an XGBoost model is positional: column 3 is whatever
// the training pipeline put in column 3. A model trained with two features
// swapped, or with a type changed (a 0/1 flag turned into a count), and
// served under the old contract reads the wrong inputs without any error.
package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Type is a feature's type.
type Type string

// The feature types. A request gives a Float as any finite JSON number, an
// Int as an integral number, a Bool as true or false.
const (
	Float Type = "float"
	Int   Type = "int"
	Bool  Type = "bool"
)

// Feature is one model input.
type Feature struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
}

// Schema is the ordered list of a model's inputs.
type Schema struct {
	Features []Feature `json:"features"`
}

// Validate checks that the schema itself is well formed.
func (s Schema) Validate() error {
	if len(s.Features) == 0 {
		return errors.New("schema: no features")
	}
	seen := map[string]bool{}
	for i, f := range s.Features {
		if f.Name == "" {
			return fmt.Errorf("schema: feature %d has no name", i)
		}
		if seen[f.Name] {
			return fmt.Errorf("schema: feature %q appears twice", f.Name)
		}
		seen[f.Name] = true
		switch f.Type {
		case Float, Int, Bool:
		default:
			return fmt.Errorf("schema: feature %q has unknown type %q", f.Name, f.Type)
		}
	}
	return nil
}

// Names returns the feature names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s.Features))
	for i, f := range s.Features {
		out[i] = f.Name
	}
	return out
}

// Compatible reports why a model with schema next may not replace one with
// schema cur: any added, removed or moved feature, or a changed type. nil
// means the two are the same contract.
func Compatible(cur, next Schema) error {
	var problems []string
	curIdx := map[string]int{}
	for i, f := range cur.Features {
		curIdx[f.Name] = i
	}
	nextIdx := map[string]int{}
	for i, f := range next.Features {
		nextIdx[f.Name] = i
		j, ok := curIdx[f.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("feature %q added at position %d", f.Name, i))
		case j != i:
			problems = append(problems, fmt.Sprintf("feature %q moved from position %d to %d", f.Name, j, i))
		}
		if ok && cur.Features[j].Type != f.Type {
			problems = append(problems, fmt.Sprintf("feature %q changed type from %s to %s", f.Name, cur.Features[j].Type, f.Type))
		}
	}
	for i, f := range cur.Features {
		if _, ok := nextIdx[f.Name]; !ok {
			problems = append(problems, fmt.Sprintf("feature %q (position %d) removed", f.Name, i))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("schema: incompatible feature schema: %s", strings.Join(problems, "; "))
	}
	return nil
}

// RowError is a request row that does not fit the schema.
type RowError struct {
	Row int    // index of the row in the request
	Msg string // what is wrong
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, e.Msg) }

// Row checks one request row (feature name to JSON value) against the schema
// and appends its values, in schema order, to dst. Every feature must be
// present with a value of its type; unknown names are errors too, since they
// usually mean a client built for another schema.
func (s Schema) Row(dst []float32, row map[string]json.RawMessage, index int) ([]float32, error) {
	for _, f := range s.Features {
		raw, ok := row[f.Name]
		if !ok {
			return dst, &RowError{index, fmt.Sprintf("missing feature %q (%s)", f.Name, f.Type)}
		}
		v, err := parse(f, raw)
		if err != nil {
			return dst, &RowError{index, err.Error()}
		}
		dst = append(dst, v)
	}
	if len(row) != len(s.Features) {
		for name := range row {
			if !s.has(name) {
				return dst, &RowError{index, fmt.Sprintf("unknown feature %q", name)}
			}
		}
	}
	return dst, nil
}

func (s Schema) has(name string) bool {
	for _, f := range s.Features {
		if f.Name == name {
			return true
		}
	}
	return false
}

func parse(f Feature, raw json.RawMessage) (float32, error) {
	t := strings.TrimSpace(string(raw))
	if f.Type == Bool {
		switch t {
		case "true":
			return 1, nil
		case "false":
			return 0, nil
		}
		return 0, fmt.Errorf("feature %q: want a bool (true/false), got %s", f.Name, clip(t))
	}
	var x float64
	if err := json.Unmarshal(raw, &x); err != nil {
		return 0, fmt.Errorf("feature %q: want a number (%s), got %s", f.Name, f.Type, clip(t))
	}
	if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > math.MaxFloat32 {
		return 0, fmt.Errorf("feature %q: %s out of range", f.Name, clip(t))
	}
	if f.Type == Int && x != math.Trunc(x) {
		return 0, fmt.Errorf("feature %q: want an integer, got %s", f.Name, clip(t))
	}
	return float32(x), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
