package program

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// RuleSet is a program's rules as data, decoded from its rules file. The rules
// package compiles and evaluates it; the logic of each rule is written in CEL
// (https://cel.dev) over the document. See rules/funcs.go for the language the
// expressions may use.
type RuleSet struct {
	// Groups are the rule groups in report order (A 申报主体 …) and what a failed
	// rule of each group does to the verdict.
	Groups []RuleGroup `json:"groups"`
	// Params are the rules' named constants (thresholds, lists), read by the
	// expressions as `params`. Integers decode as int, other numbers as double.
	Params Params `json:"params"`
	// MissingMessage is the message of a rule whose Requires are not filled;
	// "{fields}" stands for the labels of the missing fields.
	MissingMessage string `json:"missing_message"`
	// Let binds names for all rules, computed at most once per document (the
	// equipment names several rules search, the V2 paths F4 depends on).
	Let   Lets   `json:"let,omitempty"`
	Rules []Rule `json:"rules"`
}

// Verdict effects of a failed rule, by group.
const (
	OnFailIneligible = "ineligible" // a failure makes the application ineligible
	OnFailIncomplete = "incomplete" // a failure only makes it incomplete (form errors)
)

// RuleGroup is a group of rules: one part of the guide or the form.
type RuleGroup struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Clause string `json:"clause,omitempty"`
	// OnFail is OnFailIneligible or OnFailIncomplete.
	OnFail string `json:"on_fail"`
}

// Rule is one rule of the guide.
type Rule struct {
	ID    string `json:"id"`
	Group string `json:"group"`
	// Title is the rule in a few Chinese words; "{expr}" placeholders are
	// evaluated once, with params only ("不少于 {params.S1.min_area_m2} 平方米").
	Title  string `json:"title"`
	Clause string `json:"clause"`
	// Guide is the guide's original sentence, for the UI.
	Guide string `json:"guide"`
	// Fields are the document keys the rule concerns (for linking to the form).
	Fields []string `json:"fields,omitempty"`
	// Requires are document keys that must be filled for the rule to be judged:
	// when one is absent (or blank text) the result is "missing".
	Requires []string `json:"requires,omitempty"`
	// ForEach, when set, is an expression giving a list of strings: the rule
	// yields one result per item, with id "<ID>.<item>" and the item as `each`.
	ForEach string `json:"for_each,omitempty"`
	// Let binds names to expressions, in order; later ones and the cases may use
	// the earlier ones.
	Let Lets `json:"let,omitempty"`
	// Checks are problems to look for; those whose When holds are bound, in
	// order, to the name `problems` as a list of {"message", "fields"} maps.
	Checks []Check `json:"checks,omitempty"`
	// Cases are tried in order; the first whose When holds gives the result.
	// The last case has no When: it is the otherwise.
	Cases []Case `json:"cases"`
}

// Check is one problem a rule looks for.
type Check struct {
	When    string   `json:"when"`
	Message string   `json:"message"`
	Fields  []string `json:"fields,omitempty"`
}

// Case is one outcome of a rule.
type Case struct {
	// When is a boolean expression; empty in the last case only.
	When   string `json:"when,omitempty"`
	Status string `json:"status"`
	// Message is a template: text with "{expr}" placeholders, formatted for
	// people (numbers without a trailing ".0", lists joined with "、"); "{{" and
	// "}}" are literal braces.
	Message string `json:"message"`
	// Fields, when set, is an expression giving the document keys of this
	// result (a list of strings, or of lists of strings); otherwise the rule's.
	Fields string `json:"fields,omitempty"`
}

// Let is one named expression of a rule.
type Let struct {
	Name string
	Expr string
}

// Lets are a rule's named expressions in the order written: a JSON object of
// name → expression whose key order matters.
type Lets []Let

// UnmarshalJSON decodes an object of name → expression, keeping the order.
func (l *Lets) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("let 应为对象（名称 → 表达式）")
	}
	var out Lets
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name := t.(string)
		var expr string
		if err := dec.Decode(&expr); err != nil {
			return fmt.Errorf("let %s 的表达式应为字符串", name)
		}
		out = append(out, Let{Name: name, Expr: expr})
	}
	*l = out
	return nil
}

// MarshalJSON encodes the lets as an object in order.
func (l Lets) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(x.Name)
		v, _ := json.Marshal(x.Expr)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Params are named constants: a JSON object whose numbers decode as int64 when
// written without a fraction or exponent, else float64.
type Params map[string]any

// UnmarshalJSON decodes the object with integer-preserving numbers.
func (p *Params) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("params 应为对象：%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("params 后有多余内容")
	}
	v, err := normalizeParam(raw, "params")
	if err != nil {
		return err
	}
	*p = v.(map[string]any)
	return nil
}

func normalizeParam(v any, path string) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if !strings.ContainsAny(x.String(), ".eE") {
			if n, err := x.Int64(); err == nil {
				return n, nil
			}
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s：数字 %s 超出范围", path, x)
		}
		return f, nil
	case map[string]any:
		for k, e := range x {
			n, err := normalizeParam(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
		return x, nil
	case []any:
		for i, e := range x {
			n, err := normalizeParam(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
		return x, nil
	case nil:
		return nil, fmt.Errorf("%s 不能为 null", path)
	}
	return v, nil
}

// Group returns the group with the given id, or nil.
func (rs *RuleSet) Group(id string) *RuleGroup {
	for i := range rs.Groups {
		if rs.Groups[i].ID == id {
			return &rs.Groups[i]
		}
	}
	return nil
}

var (
	ruleIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	namePattern   = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// reservedNames are the names the expressions already use.
var reservedNames = map[string]bool{"doc": true, "params": true, "form": true, "each": true, "problems": true}

// statuses a case may give (mirrors the rules package).
var caseStatuses = map[string]bool{"pass": true, "fail": true, "warn": true, "missing": true, "na": true}

// check checks a decoded rule set's structure; the rules package compiles the
// expressions and checks the document keys against the form.
func (rs *RuleSet) check() error {
	groups := make(map[string]bool)
	for i, g := range rs.Groups {
		switch {
		case g.ID == "" || g.Title == "":
			return fmt.Errorf("groups[%d] 缺少 id 或 title", i)
		case groups[g.ID]:
			return fmt.Errorf("规则组 %s 重复", g.ID)
		case g.OnFail != OnFailIneligible && g.OnFail != OnFailIncomplete:
			return fmt.Errorf("规则组 %s 的 on_fail %q 应为 %s 或 %s", g.ID, g.OnFail, OnFailIneligible, OnFailIncomplete)
		}
		groups[g.ID] = true
	}
	if len(rs.Rules) > 0 && !strings.Contains(rs.MissingMessage, "{fields}") {
		return errors.New("missing_message 应包含 {fields}")
	}
	global := make(map[string]bool)
	for _, l := range rs.Let {
		switch {
		case !namePattern.MatchString(l.Name) || reservedNames[l.Name]:
			return fmt.Errorf("let 名称 %q 无效或已被系统使用", l.Name)
		case global[l.Name]:
			return fmt.Errorf("let 名称 %s 重复", l.Name)
		case strings.TrimSpace(l.Expr) == "":
			return fmt.Errorf("let %s 的表达式为空", l.Name)
		}
		global[l.Name] = true
	}
	seen := make(map[string]bool)
	for i, r := range rs.Rules {
		for _, l := range r.Let {
			if global[l.Name] {
				return fmt.Errorf("规则 %s：let 名称 %s 与全局 let 重名", r.ID, l.Name)
			}
		}
		if r.ID == "" {
			return fmt.Errorf("rules[%d] 缺少 id", i)
		}
		if !ruleIDPattern.MatchString(r.ID) {
			return fmt.Errorf("规则 id %q 只能由字母、数字和下划线组成，以字母开头", r.ID)
		}
		if seen[r.ID] {
			return fmt.Errorf("规则 %s 重复", r.ID)
		}
		seen[r.ID] = true
		if err := r.check(groups); err != nil {
			return fmt.Errorf("规则 %s：%v", r.ID, err)
		}
	}
	return nil
}

func (r *Rule) check(groups map[string]bool) error {
	switch {
	case !groups[r.Group]:
		return fmt.Errorf("group %q 未在 groups 中定义", r.Group)
	case r.Title == "" || r.Clause == "":
		return errors.New("缺少 title 或 clause")
	case len(r.Cases) == 0:
		return errors.New("没有 cases")
	}
	names := make(map[string]bool)
	for _, l := range r.Let {
		switch {
		case !namePattern.MatchString(l.Name):
			return fmt.Errorf("let 名称 %q 只能由小写字母、数字和下划线组成", l.Name)
		case reservedNames[l.Name]:
			return fmt.Errorf("let 名称 %s 已被系统使用", l.Name)
		case names[l.Name]:
			return fmt.Errorf("let 名称 %s 重复", l.Name)
		case strings.TrimSpace(l.Expr) == "":
			return fmt.Errorf("let %s 的表达式为空", l.Name)
		}
		names[l.Name] = true
	}
	for i, c := range r.Checks {
		if strings.TrimSpace(c.When) == "" || c.Message == "" {
			return fmt.Errorf("checks[%d] 缺少 when 或 message", i)
		}
	}
	for i, c := range r.Cases {
		last := i == len(r.Cases)-1
		switch {
		case !caseStatuses[c.Status]:
			return fmt.Errorf("cases[%d] 的 status %q 应为 pass、fail、warn、missing 或 na", i, c.Status)
		case c.Message == "":
			return fmt.Errorf("cases[%d] 缺少 message", i)
		case last && c.When != "":
			return fmt.Errorf("最后一个 case 不能有 when：它是其余情况的结果")
		case !last && strings.TrimSpace(c.When) == "":
			return fmt.Errorf("cases[%d] 缺少 when（只有最后一个 case 可以省略）", i)
		}
	}
	return nil
}
