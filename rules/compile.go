package rules

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"biopilot/program"
)

// rule is one compiled rule. Its lets are separate programs evaluated lazily,
// at most once per document (per item for a for_each rule when they depend on
// the item), into the activation's slots; messages are rendered in Go.
type rule struct {
	def      *program.Rule
	title    string
	requires []string
	forEach  *expr // nil unless the rule yields one result per item
	letNames []string
	lets     []*expr
	perItem  []bool // the let depends on `each`
	checks   []ruleCheck
	cases    []ruleCase
	// choose gives the index of the first case whose when holds: one
	// evaluation for all the conditions.
	choose *expr
}

type ruleCheck struct {
	when   *expr
	msg    *template
	fields []string
}

type ruleCase struct {
	when   *expr // nil for the otherwise
	status string
	msg    *template
	fields *expr // nil: the rule's fields
}

// Compile compiles a program's rules: every expression and template is parsed
// and type-checked once. Errors name the rule and the part that is wrong, as a
// *program.DefinitionError on the rules file.
func Compile(p *program.Program) (*Engine, error) {
	if p == nil || p.Form == nil || p.Rules == nil {
		return nil, fmt.Errorf("项目定义不完整：缺少申请表或规则")
	}
	lib := newLibrary(p)
	rs := p.Rules
	opts := lib.envOptions()
	for _, l := range rs.Let {
		opts = append(opts, cel.Variable(l.Name, cel.DynType))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("规则环境：%w", err)
	}
	e := &Engine{prog: p, onFail: make(map[string]string), missing: rs.MissingMessage, lib: lib}
	if e.bindings, err = newBindings(env); err != nil {
		return nil, fmt.Errorf("规则环境：%w", err)
	}
	for _, g := range rs.Groups {
		e.groups = append(e.groups, Group{ID: g.ID, Title: g.Title, Clause: g.Clause, OnFail: g.OnFail})
		e.onFail[g.ID] = g.OnFail
	}
	params := map[string]any(rs.Params)
	if params == nil {
		params = map[string]any{}
	}
	facts := formFacts(p.Form)
	e.params = constValue(params)
	e.form = constValue(facts)
	e.consts = map[string]any{"params": params, "form": facts}
	globalScope := e.fastCompiler(nil)
	for _, l := range rs.Let {
		where := "let " + l.Name
		if _, err := check(env, l.Expr, where); err != nil {
			return nil, &program.DefinitionError{File: p.RulesFile, Reason: err.Error()}
		}
		prg, err := program1(env, inlineConsts(l.Expr, e.consts), where, globalScope)
		if err != nil {
			return nil, &program.DefinitionError{File: p.RulesFile, Reason: err.Error()}
		}
		e.globalNames = append(e.globalNames, l.Name)
		e.globals = append(e.globals, prg)
	}
	for i := range rs.Rules {
		def := &rs.Rules[i]
		r, err := compileRule(env, e, def)
		if err != nil {
			return nil, &program.DefinitionError{File: p.RulesFile, Reason: fmt.Sprintf("规则 %s：%v", def.ID, err)}
		}
		e.rules = append(e.rules, r)
		e.maxSlots = max(e.maxSlots, len(r.lets)+1)
	}
	return e, nil
}

// formFacts are what the expressions may read of the form as `form`.
func formFacts(f *program.Form) map[string]any {
	required := []any{}
	limits := []any{}
	formats := []any{}
	for _, fl := range f.Fields {
		if fl.Required {
			required = append(required, fl.Key)
		}
		if fl.MaxChars > 0 {
			cols := make([]any, len(fl.MaxCharsColumns))
			for i, c := range fl.MaxCharsColumns {
				cols[i] = c
			}
			limits = append(limits, map[string]any{"key": fl.Key, "max": int64(fl.MaxChars), "columns": cols})
		}
		if fl.Format != "" {
			formats = append(formats, map[string]any{"key": fl.Key, "format": fl.Format})
		}
	}
	return map[string]any{"required": required, "limits": limits, "formats": formats}
}

// knownKey reports whether a document key is a field of the form, or a key
// inside one (an evidence category, a table column).
func knownKey(f *program.Form, key string) bool {
	if f.Field(key) != nil {
		return true
	}
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		if fl := f.Field(key[:i]); fl != nil {
			sub := key[i+1:]
			return fl.Column(sub) != nil || fl.OptionLabel(sub) != sub
		}
	}
	return false
}

func compileRule(base *cel.Env, e *Engine, def *program.Rule) (*rule, error) {
	form := e.lib.form
	for _, k := range append(append([]string(nil), def.Fields...), def.Requires...) {
		if !knownKey(form, k) {
			return nil, fmt.Errorf("键 %s 不是申请表中的字段", k)
		}
	}
	r := &rule{def: def, requires: def.Requires}
	title, err := renderConst(base, e, def.Title)
	if err != nil {
		return nil, fmt.Errorf("title：%v", err)
	}
	r.title = title

	// The rule's names: each (for_each), its lets, problems (checks).
	names := make(map[string]bool)
	opts := []cel.EnvOption{}
	if def.ForEach != "" {
		opts = append(opts, cel.Variable("each", cel.StringType))
		names["each"] = true
	}
	for _, l := range def.Let {
		opts = append(opts, cel.Variable(l.Name, cel.DynType))
		names[l.Name] = true
	}
	if len(def.Checks) > 0 {
		opts = append(opts, cel.Variable("problems", listDyn))
		names["problems"] = true
	}
	env, err := base.Extend(opts...)
	if err != nil {
		return nil, err
	}
	scope := e.fastCompiler(r)
	compile := func(src, where string, allowed ...*cel.Type) (*expr, error) {
		// Check the source as written, for messages that match it; run it with
		// the constants inlined.
		if _, err := check(env, src, where, allowed...); err != nil {
			return nil, err
		}
		return program1(env, inlineConsts(src, e.consts), where, scope)
	}
	if def.ForEach != "" {
		if r.forEach, err = compile(def.ForEach, "for_each", cel.ListType(cel.StringType), listDyn, cel.DynType); err != nil {
			return nil, err
		}
	}
	depends := map[string]bool{"each": true}
	for _, l := range def.Let {
		prg, err := compile(l.Expr, "let "+l.Name)
		if err != nil {
			return nil, err
		}
		item := false
		for id := range identifiers(l.Expr) {
			if depends[id] {
				item = true
			}
		}
		depends[l.Name] = item
		r.letNames = append(r.letNames, l.Name)
		r.lets = append(r.lets, prg)
		r.perItem = append(r.perItem, item)
	}
	for i, c := range def.Checks {
		where := fmt.Sprintf("checks[%d]", i)
		when, err := compile(c.When, where+".when", cel.BoolType, cel.DynType)
		if err != nil {
			return nil, err
		}
		msg, err := compileTemplate(env, e.consts, names, c.Message, where+".message", scope)
		if err != nil {
			return nil, err
		}
		for _, k := range c.Fields {
			if !knownKey(form, k) {
				return nil, fmt.Errorf("%s.fields：键 %s 不是申请表中的字段", where, k)
			}
		}
		r.checks = append(r.checks, ruleCheck{when: when, msg: msg, fields: c.Fields})
	}
	for i, c := range def.Cases {
		where := fmt.Sprintf("cases[%d]", i)
		rc := ruleCase{status: c.Status}
		if c.When != "" {
			if rc.when, err = compile(c.When, where+".when", cel.BoolType, cel.DynType); err != nil {
				return nil, err
			}
		}
		if rc.msg, err = compileTemplate(env, e.consts, names, c.Message, where+".message", scope); err != nil {
			return nil, err
		}
		if c.Fields != "" {
			if rc.fields, err = compile(c.Fields, where+".fields", listDyn, listStrings, cel.DynType); err != nil {
				return nil, err
			}
		}
		r.cases = append(r.cases, rc)
	}
	var chain strings.Builder
	for i, c := range def.Cases {
		if c.When == "" {
			fmt.Fprintf(&chain, "%d", i)
			break
		}
		fmt.Fprintf(&chain, "(%s) ? %d : ", inlineConsts(c.When, e.consts), i)
	}
	if r.choose, err = program1(env, chain.String(), "cases 的 when", scope); err != nil {
		return nil, err
	}
	return r, nil
}

// check compiles one expression and checks its type against the allowed ones.
func check(env *cel.Env, src, where string, allowed ...*cel.Type) (*cel.Ast, error) {
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%s：表达式错误：%v", where, iss.Err())
	}
	if len(allowed) == 0 {
		return ast, nil
	}
	for _, t := range allowed {
		if ast.OutputType().IsExactType(t) {
			return ast, nil
		}
	}
	return nil, fmt.Errorf("%s：表达式的类型为 %s，应为 %s", where, ast.OutputType(), allowed[0])
}

// program1 compiles an expression into a CEL program and, in a scope, its fast
// form.
func program1(env *cel.Env, src, where string, scope *fastCompiler, allowed ...*cel.Type) (*expr, error) {
	ast, err := check(env, src, where, allowed...)
	if err != nil {
		return nil, err
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("%s：%v", where, err)
	}
	x := &expr{prg: prg}
	if scope != nil {
		x.fast = scope.compile(ast)
	}
	return x, nil
}

// renderConst renders a template whose placeholders use params and form only.
func renderConst(env *cel.Env, e *Engine, tpl string) (string, error) {
	t, err := compileTemplate(env, e.consts, nil, tpl, "模板", nil)
	if err != nil {
		return "", err
	}
	s, err := t.render(&activation{params: e.params, form: e.form, doc: types.NullValue})
	if err != nil {
		return "", fmt.Errorf("只能使用 params：%v", err)
	}
	return s, nil
}
