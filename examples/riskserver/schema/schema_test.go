package schema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

var base = Schema{Features: []Feature{{"amount", Float}, {"hour", Int}, {"foreign", Bool}}}

func TestCompatible(t *testing.T) {
	if err := Compatible(base, Schema{Features: slices.Clone(base.Features)}); err != nil {
		t.Fatalf("same schema: %v", err)
	}
	retyped := Schema{Features: slices.Clone(base.Features)}
	retyped.Features[1].Type = Float
	swapped := Schema{Features: []Feature{{"hour", Int}, {"amount", Float}, {"foreign", Bool}}}
	grown := Schema{Features: append(slices.Clone(base.Features), Feature{"age", Int})}
	shrunk := Schema{Features: base.Features[:2]}
	for _, c := range []struct {
		next Schema
		want string
	}{
		{retyped, `feature "hour" changed type from int to float`},
		{swapped, `feature "hour" moved from position 1 to 0; feature "amount" moved from position 0 to 1`},
		{grown, `feature "age" added at position 3`},
		{shrunk, `feature "foreign" (position 2) removed`},
	} {
		err := Compatible(base, c.next)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compatible(%v): %v, want %q", c.next, err, c.want)
		}
	}
}

func TestRow(t *testing.T) {
	parse := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	got, err := base.Row(nil, parse(`{"foreign": true, "hour": 23, "amount": 12.5}`), 0)
	if err != nil || !slices.Equal(got, []float32{12.5, 23, 1}) {
		t.Fatalf("good row: %v %v", got, err)
	}
	for _, c := range []struct{ row, want string }{
		{`{"hour": 23, "foreign": true}`, `row 3: missing feature "amount" (float)`},
		{`{"amount": 1, "hour": 2.5, "foreign": true}`, `feature "hour": want an integer, got 2.5`},
		{`{"amount": "12", "hour": 2, "foreign": true}`, `feature "amount": want a number (float), got "12"`},
		{`{"amount": 1, "hour": 2, "foreign": 1}`, `feature "foreign": want a bool (true/false), got 1`},
		{`{"amount": 1e39, "hour": 2, "foreign": false}`, `feature "amount": 1e39 out of range`},
		{`{"amount": 1, "hour": 2, "foreign": false, "extra": 0}`, `unknown feature "extra"`},
	} {
		_, err := base.Row(nil, parse(c.row), 3)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("row %s: %v, want %q", c.row, err, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Schema{{}, {Features: []Feature{{"a", Float}, {"a", Int}}}, {Features: []Feature{{"a", "string"}}}} {
		if s.Validate() == nil {
			t.Errorf("%v accepted", s)
		}
	}
}
