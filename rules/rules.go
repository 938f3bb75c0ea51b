// Package rules judges an application document against its program's rules.
//
// PLACEHOLDER API (being implemented by the rules work): Compile, Engine.Evaluate,
// Report and Result are the contract the web layer, the renderer and the commands use.
package rules

import (
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

// Engine evaluates one program's rules, compiled once.
type Engine struct {
	prog *program.Program
}

// Compile compiles a program's rules.
func Compile(p *program.Program) (*Engine, error) { return &Engine{prog: p}, nil }

// Evaluate judges a document.
func (e *Engine) Evaluate(doc program.Document) *Report {
	return &Report{Verdict: Incomplete}
}
