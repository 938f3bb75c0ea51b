package rules

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"biopilot/program"
)

// activation gives the expressions their variables: the document, the
// constants, and the current rule's item and lets, computed on first use.
type activation struct {
	doc, params, form ref.Val
	each              ref.Val
	rule              *rule
	vals              []ref.Val // the rule's lets, then problems; nil: not computed
	engine            *Engine
	globals           []ref.Val // the rules file's lets; nil: not computed
	// frame wraps the activation for every evaluation of a document, so that
	// each expression does not take and return one of CEL's own.
	frame *interpreter.ExecutionFrame
	// stack holds the arguments of the fast path's calls.
	stack []ref.Val
	// results gathers an evaluation's results before they are copied out.
	results []Result
	// buf holds the text of the messages being rendered, and the results'
	// messages, kept there to be made one string at the end of the
	// evaluation (one allocation instead of one a message).
	buf []byte
	// spans says where in buf each result's message is.
	spans []msgSpan
}

// msgSpan is the message (or with id, the ID) of result idx, buf[start:end].
type msgSpan struct {
	idx, start, end int
	id              bool
}

// computing marks a let being computed, to report a let that refers to itself.
var computing = types.NewErr("let 循环引用")

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "doc":
		return a.doc, true
	case "params":
		return a.params, true
	case "form":
		return a.form, true
	case "each":
		return a.each, a.each != nil
	}
	r := a.rule
	if r == nil {
		return a.global(name)
	}
	for i, n := range r.letNames {
		if n == name {
			return a.let(i), true
		}
	}
	if name == "problems" && len(r.checks) > 0 {
		return a.problemsValue(), true
	}
	return a.global(name)
}

// let is the current rule's let i, computed on first use.
func (a *activation) let(i int) ref.Val {
	if v := a.vals[i]; v != nil {
		return v
	}
	a.vals[i] = computing
	v, err := a.eval(a.rule.lets[i])
	if err != nil {
		v = types.NewErr("let %s：%v", a.rule.letNames[i], err)
	}
	a.vals[i] = v
	return v
}

// problemsValue is the current rule's problems, computed on first use.
func (a *activation) problemsValue() ref.Val {
	i := len(a.rule.lets)
	if v := a.vals[i]; v != nil {
		return v
	}
	a.vals[i] = computing
	v := a.problems()
	a.vals[i] = v
	return v
}

// global resolves a let of the rules file, computing it on first use.
func (a *activation) global(name string) (any, bool) {
	if a.engine == nil {
		return nil, false
	}
	for i, n := range a.engine.globalNames {
		if n == name {
			return a.globalValue(i), true
		}
	}
	return nil, false
}

// globalValue is the rules file's let i, computed on first use.
func (a *activation) globalValue(i int) ref.Val {
	if v := a.globals[i]; v != nil {
		return v
	}
	a.globals[i] = computing
	// A global let sees no rule's names.
	saved, savedEach := a.rule, a.each
	a.rule, a.each = nil, nil
	v, err := a.eval(a.engine.globals[i])
	a.rule, a.each = saved, savedEach
	if err != nil {
		v = types.NewErr("let %s：%v", a.engine.globalNames[i], err)
	}
	a.globals[i] = v
	return v
}

func (a *activation) Parent() interpreter.Activation { return nil }

// problems evaluates the rule's checks into a list of {message, fields}.
func (a *activation) problems() ref.Val {
	var out []ref.Val
	for i, c := range a.rule.checks {
		v, err := a.eval(c.when)
		if err != nil {
			return types.NewErr("checks[%d]：%v", i, err)
		}
		if v != types.True {
			continue
		}
		msg, err := c.msg.render(a)
		if err != nil {
			return types.NewErr("checks[%d].message：%v", i, err)
		}
		out = append(out, types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{
			"message": msg, "fields": c.fields,
		}))
	}
	return types.NewRefValList(types.DefaultTypeAdapter, out)
}

// eval appends the rule's results for a document.
func (r *rule) eval(e *Engine, doc program.Document, act *activation, out []Result) []Result {
	if miss := missingKeys(doc, r.requires); len(miss) > 0 {
		labels := make([]string, len(miss))
		for i, k := range miss {
			labels[i] = "「" + e.lib.label(k) + "」"
		}
		res := r.result(r.def.ID, Missing, strings.ReplaceAll(e.missing, "{fields}", strings.Join(labels, "、")))
		res.Fields = miss
		return append(out, res)
	}
	act.rule = r
	act.each = nil
	clear(act.vals)
	if r.forEach == nil {
		return append(out, r.evalCases(r.def.ID, act, len(out)))
	}
	v, err := act.eval(r.forEach)
	if err != nil {
		return append(out, r.errorResult(r.def.ID, err))
	}
	for _, it := range stringList(v) {
		// Lets that depend on the item are computed again; the others are shared.
		for i, item := range r.perItem {
			if item {
				act.vals[i] = nil
			}
		}
		act.vals[len(r.lets)] = nil
		act.each = types.String(it)
		// The item's id ("T7.enzymes") is kept in the buffer with the
		// messages and set when the evaluation ends.
		start := len(act.buf)
		act.buf = append(append(append(act.buf, r.def.ID...), '.'), it...)
		act.spans = append(act.spans, msgSpan{len(out), start, len(act.buf), true})
		out = append(out, r.evalCases("", act, len(out)))
	}
	return out
}

// evalCases gives the result of the first case that holds, to be result idx
// of the evaluation: its message is left in the activation's buffer.
func (r *rule) evalCases(id string, act *activation, idx int) Result {
	v, err := act.eval(r.choose)
	if err != nil {
		// Say which condition failed.
		for i, c := range r.cases {
			if c.when != nil {
				if _, err := act.eval(c.when); err != nil {
					return r.errorResult(id, fmt.Errorf("cases[%d].when：%v", i, err))
				}
			}
		}
		return r.errorResult(id, fmt.Errorf("cases：%v", err))
	}
	n, _ := v.(types.Int)
	if int(n) >= 0 && int(n) < len(r.cases) {
		i, c := int(n), r.cases[n]
		var msg string
		base := len(act.buf)
		if c.msg.literal() {
			msg = c.msg.parts[0].text
		} else if err := c.msg.appendTo(act); err != nil {
			return r.errorResult(id, fmt.Errorf("cases[%d].message：%v", i, err))
		}
		end := len(act.buf)
		res := r.result(id, c.status, msg)
		if c.fields != nil {
			f, err := act.eval(c.fields)
			if err != nil {
				act.buf = act.buf[:base]
				return r.errorResult(id, fmt.Errorf("cases[%d].fields：%v", i, err))
			}
			res.Fields = flattenStrings(f, nil)
		}
		if end > base {
			act.spans = append(act.spans, msgSpan{idx, base, end, false})
		}
		return res
	}
	return r.errorResult(id, fmt.Errorf("没有相符的 case"))
}

func (r *rule) result(id, status, msg string) Result {
	return Result{ID: id, Status: status, Title: r.title, Clause: r.def.Clause, Message: msg,
		Group: r.def.Group, Guide: r.def.Guide, Fields: r.def.Fields}
}

// errorResult reports a rule that could not be computed: a fault of the
// definition, shown as missing so that it can never make a document eligible.
func (r *rule) errorResult(id string, err error) Result {
	return r.result(id, Missing, fmt.Sprintf("规则无法计算（规则定义有误，请联系管理员）：%v", err))
}

func flattenStrings(v ref.Val, out []string) []string {
	switch x := v.(type) {
	case types.String:
		return append(out, string(x))
	case traits.Lister:
		n, _ := x.Size().(types.Int)
		for i := types.Int(0); i < n; i++ {
			out = flattenStrings(x.Get(i), out)
		}
	}
	return out
}

func missingKeys(doc program.Document, keys []string) []string {
	var miss []string
	w := walker{m: doc}
	for _, k := range keys {
		if v, ok := w.lookup(k); !ok || !present(v) {
			miss = append(miss, k)
		}
	}
	return miss
}
