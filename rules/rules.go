// Package rules judges an application document against its program's rules.
//
// The rules are data: each rule of the program's rules file (program.RuleSet)
// carries its id, title, clause, the guide's sentence, and its logic as CEL
// expressions with message templates (see funcs.go for the language). Compile
// turns a program's rules into an Engine once; Engine.Evaluate judges a document
// and is safe for concurrent use.
package rules

import (
	"sync"

	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"biopilot/program"
)

// Statuses of a rule result.
const (
	Pass    = "pass"
	Fail    = "fail"
	Warn    = "warn"
	Missing = "missing"
	NA      = "na"
)

// Verdicts of an application.
const (
	Eligible   = "eligible"
	Ineligible = "ineligible"
	Incomplete = "incomplete"
)

// Report is the judgement of one document: the verdict and every rule's result.
type Report struct {
	Verdict string   `json:"verdict"`
	Rules   []Result `json:"rules"`
}

// Result is one rule's result.
type Result struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Title   string `json:"title"`
	Clause  string `json:"clause"`
	Message string `json:"message"`
	Group   string `json:"group,omitempty"`
	// Guide is the guide's original sentence, for a tooltip or side panel.
	Guide string `json:"guide,omitempty"`
	// Fields are the document keys the result concerns, for linking to the form.
	Fields []string `json:"fields,omitempty"`
}

// Group is a group of rules as the report shows it.
type Group struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Clause string `json:"clause,omitempty"`
	// OnFail is the verdict a failed rule of the group leads to.
	OnFail string `json:"on_fail"`
}

// Engine evaluates one program's rules, compiled once.
type Engine struct {
	prog    *program.Program
	groups  []Group
	onFail  map[string]string
	rules   []*rule
	params  ref.Val
	form    ref.Val
	missing string
	lib     *library
	consts  map[string]any // params and form facts, inlined into expressions
	// maxSlots is the most lets (+1 for problems) of a rule.
	maxSlots int
	// globals are the rules file's lets, computed once per document.
	globalNames []string
	globals     []*expr
	// bindings are the functions' implementations, for the fast path.
	bindings map[string]*functions.Overload
	// acts are activations to reuse, one per concurrent evaluation.
	acts sync.Pool
}

// Program is the program whose rules the engine evaluates.
func (e *Engine) Program() *program.Program { return e.prog }

// Groups are the rule groups in report order.
func (e *Engine) Groups() []Group { return e.groups }

// Group returns the group with the given id, or nil.
func (e *Engine) Group(id string) *Group {
	for i := range e.groups {
		if e.groups[i].ID == id {
			return &e.groups[i]
		}
	}
	return nil
}

// RuleInfo describes a rule for people (the UI's list of rules and tooltips).
type RuleInfo struct {
	ID     string   `json:"id"`
	Group  string   `json:"group"`
	Title  string   `json:"title"`
	Clause string   `json:"clause"`
	Guide  string   `json:"guide"`
	Fields []string `json:"fields,omitempty"`
	// PerItem is true for a rule that yields one result per item (T7 per domain).
	PerItem bool `json:"per_item,omitempty"`
}

// Rules describes the engine's rules in order.
func (e *Engine) Rules() []RuleInfo {
	out := make([]RuleInfo, len(e.rules))
	for i, r := range e.rules {
		out[i] = RuleInfo{ID: r.def.ID, Group: r.def.Group, Title: r.title, Clause: r.def.Clause,
			Guide: r.def.Guide, Fields: r.def.Fields, PerItem: r.forEach != nil}
	}
	return out
}

// Rule describes the rule with the given id, or with the id's prefix before a
// dot ("T7.enzymes" → T7), and whether there is one.
func (e *Engine) Rule(id string) (RuleInfo, bool) {
	for _, ri := range e.Rules() {
		if ri.ID == id || (ri.PerItem && len(id) > len(ri.ID) && id[:len(ri.ID)+1] == ri.ID+".") {
			return ri, true
		}
	}
	return RuleInfo{}, false
}

// Evaluate judges a document (as program.Form.DecodeDocument returns it).
func (e *Engine) Evaluate(doc program.Document) *Report {
	if doc == nil {
		doc = program.Document{}
	}
	act, _ := e.acts.Get().(*activation)
	if act == nil {
		act = &activation{params: e.params, form: e.form, engine: e,
			vals: make([]ref.Val, e.maxSlots), globals: make([]ref.Val, len(e.globals))}
	}
	act.doc = types.NewStringInterfaceMap(types.DefaultTypeAdapter, doc)
	frame, err := interpreter.NewExecutionFrame(act)
	if err == nil {
		act.frame = frame
	}
	// The results are gathered in the activation's slice and copied out at
	// their number: the report's slice is the largest allocation of all.
	scratch := act.results[:0]
	for _, r := range e.rules {
		scratch = r.eval(e, doc, act, scratch)
	}
	results := make([]Result, len(scratch))
	copy(results, scratch)
	// The messages and ids left in the buffer become one string, sliced.
	if len(act.spans) > 0 {
		text := string(act.buf)
		for _, sp := range act.spans {
			if sp.id {
				results[sp.idx].ID = text[sp.start:sp.end]
			} else {
				results[sp.idx].Message = text[sp.start:sp.end]
			}
		}
		act.spans = act.spans[:0]
	}
	clear(scratch)
	act.results = scratch[:0]
	if act.frame != nil {
		act.frame.Close()
	}
	// Nothing of the document stays with the activation kept for the next.
	act.doc, act.each, act.rule, act.frame = nil, nil, nil, nil
	clear(act.vals)
	clear(act.stack[:cap(act.stack)])
	clear(act.buf[:cap(act.buf)])
	act.buf = act.buf[:0]
	clear(act.globals)
	e.acts.Put(act)
	return &Report{Verdict: e.Verdict(results), Rules: results}
}

// Verdict is the verdict of a set of results: ineligible when a rule of a group
// whose failures make an application ineligible fails; else incomplete when a
// rule is missing or another rule fails; else eligible.
func (e *Engine) Verdict(results []Result) string {
	incomplete := false
	for _, r := range results {
		switch r.Status {
		case Fail:
			if e.onFail[r.Group] == program.OnFailIneligible {
				return Ineligible
			}
			incomplete = true
		case Missing:
			incomplete = true
		}
	}
	if incomplete {
		return Incomplete
	}
	return Eligible
}

// StatusLabel is the Chinese name of a status.
func StatusLabel(status string) string {
	switch status {
	case Pass:
		return "符合"
	case Fail:
		return "不符合"
	case Warn:
		return "提示"
	case Missing:
		return "缺少信息"
	case NA:
		return "不适用"
	}
	return status
}

// VerdictLabel is the Chinese name of a verdict.
func VerdictLabel(verdict string) string {
	switch verdict {
	case Eligible:
		return "符合申报条件"
	case Ineligible:
		return "不符合申报条件"
	case Incomplete:
		return "材料不完整，尚不能判断"
	}
	return verdict
}
