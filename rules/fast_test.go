package rules

import (
	"encoding/json"
	"math"
	"testing"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// TestFastMatchesCEL evaluates every expression of every rule on the example
// and its mutations both ways, fast form and CEL program, and requires the same
// value whenever the fast form gives one; and most expressions have one.
func TestFastMatchesCEL(t *testing.T) {
	e := testEngine
	var all, fast int
	exprs := func(r *rule) []*expr {
		xs := append([]*expr{r.forEach, r.choose}, r.lets...)
		for _, c := range r.checks {
			xs = append(xs, c.when)
			for _, p := range c.msg.parts {
				xs = append(xs, p.prg)
			}
		}
		for _, c := range r.cases {
			xs = append(xs, c.when, c.fields)
			for _, p := range c.msg.parts {
				xs = append(xs, p.prg)
			}
		}
		return xs
	}
	for _, r := range e.rules {
		for _, x := range exprs(r) {
			if x != nil {
				all++
				if x.fast != nil {
					fast++
				}
			}
		}
	}
	if fast*10 < all*8 {
		t.Errorf("%d of %d expressions have a fast form, want 80%%", fast, all)
	}
	base := exampleJSON(t)
	compared := 0
	for i, m := range append([]mutation{{"example", nil}}, mutations(base)...) {
		if i%7 != 0 {
			continue // a sample keeps the test quick
		}
		docJSON := exampleJSON(t)
		edit(docJSON, m.edits)
		data, _ := json.Marshal(docJSON)
		doc, err := e.Program().Form.DecodeDocument(data)
		if err != nil {
			continue
		}
		act := &activation{doc: types.NewStringInterfaceMap(types.DefaultTypeAdapter, doc), params: e.params,
			form: e.form, engine: e, vals: make([]ref.Val, e.maxSlots), globals: make([]ref.Val, len(e.globals))}
		for _, r := range e.rules {
			act.rule, act.each = r, nil
			clear(act.vals)
			items := []ref.Val{nil}
			if r.forEach != nil {
				v, _, _ := r.forEach.prg.Eval(act)
				items = nil
				for _, s := range stringList(v) {
					items = append(items, types.String(s))
				}
			}
			for _, it := range items {
				act.each = it
				clear(act.vals)
				for _, x := range exprs(r) {
					if x == nil || x.fast == nil {
						continue
					}
					fv := x.fast(act)
					cv, _, err := x.prg.Eval(act)
					if fv == nil || types.IsError(fv) {
						continue
					}
					compared++
					if err != nil || types.Equal(fv, cv) != types.True || format(fv) != format(cv) {
						t.Errorf("%s, %s: fast %v, CEL %v (%v)", m.name, r.def.ID, fv, cv, err)
					}
				}
			}
		}
	}
	if compared < 1000 {
		t.Errorf("only %d values compared", compared)
	}
}

// TestNativeOps compares the operators done without CEL's type guards with
// CEL's own on edge cases: overflow, NaN, mixed and unlike types.
func TestNativeOps(t *testing.T) {
	env, err := cel.NewEnv(cel.Variable("x", cel.DynType), cel.Variable("y", cel.DynType),
		cel.CrossTypeNumericComparisons(true))
	if err != nil {
		t.Fatal(err)
	}
	vals := []ref.Val{types.Int(0), types.Int(3), types.Int(-7), types.Int(math.MaxInt64), types.Int(math.MinInt64),
		types.Int(1 << 31), types.Int(-(1 << 31)), types.Int(1<<31 - 1), types.Double(2.5), types.Double(-0.0),
		types.Double(math.NaN()), types.Double(math.Inf(1)), types.String("a"), types.String("中"), types.String(""),
		types.Uint(3), newStrings([]string{"a", "b"}), newStrings(nil), types.True}
	ops := map[string]string{operators.Add: "x + y", operators.Subtract: "x - y", operators.Multiply: "x * y",
		operators.Less: "x < y", operators.LessEquals: "x <= y", operators.Greater: "x > y", operators.GreaterEquals: "x >= y"}
	checked := 0
	for op, src := range ops {
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			t.Fatal(iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		native := nativeOp(op)
		for _, x := range vals {
			for _, y := range vals {
				got := native(x, y)
				if got == nil {
					continue
				}
				checked++
				want, _, err := prg.Eval(map[string]any{"x": x, "y": y})
				same := types.Equal(got, want) == types.True || format(got) == "NaN" // NaN is not equal to itself
				if err != nil || !same || format(got) != format(want) {
					t.Errorf("%v %s %v: native %v, CEL %v (%v)", x, op, y, got, want, err)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d cases checked", checked)
	}
}
