package program

// RuleSet is a program's rules as data, decoded from its rules file. The rules
// package compiles and evaluates it.
type RuleSet struct {
	Rules []Rule `json:"rules"`
}

// Rule is one rule of the guide.
type Rule struct {
	ID     string `json:"id"`
	Group  string `json:"group"`
	Title  string `json:"title"`
	Clause string `json:"clause"`
	// Guide is the guide's original sentence, for the UI.
	Guide string `json:"guide"`
	// Expr is the rule's logic in the rules language.
	Expr string `json:"expr"`
}
