package rules

import (
	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// The fast path: most expressions of a rules file are a few calls and
// comparisons on names (size(found) * 100 >= 50 * size(wanted)). Such an
// expression is also compiled into Go closures that call the same function
// bindings CEL's interpreter calls, without its frames and attribute
// resolution. An expression with anything else (comprehensions, maps, selects
// of the document) has no fast form. A fast form that meets an error gives up
// and the CEL program evaluates the expression, so that errors read as CEL's.

// fastFn evaluates an expression; an error or nil means: ask CEL.
type fastFn func(a *activation) ref.Val

// expr is a compiled expression: the CEL program, and its fast form if any.
type expr struct {
	prg  cel.Program
	fast fastFn
}

// eval evaluates an expression in the activation.
func (a *activation) eval(x *expr) (ref.Val, error) {
	if x.fast != nil {
		if v := x.fast(a); v != nil && !types.IsUnknownOrError(v) {
			return v, nil
		}
	}
	var in any = a
	if a.frame != nil {
		in = a.frame
	}
	v, _, err := x.prg.Eval(in)
	return v, err
}

// fastCompiler builds fast forms in one rule's scope.
type fastCompiler struct {
	bindings map[string]*functions.Overload // by overload id and function name
	consts   map[string]ref.Val             // params, form
	// name resolves an identifier of the rule's scope to an accessor, or nil.
	name func(string) fastFn
}

// newBindings collects the function bindings of an environment as CEL's
// dispatcher does.
func newBindings(env *cel.Env) (map[string]*functions.Overload, error) {
	out := make(map[string]*functions.Overload)
	for _, fn := range env.Functions() {
		bs, err := fn.Bindings()
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			out[b.Operator] = b
		}
	}
	return out, nil
}

// compile returns the fast form of a checked expression, or nil.
func (c *fastCompiler) compile(a *cel.Ast) fastFn {
	if !a.IsChecked() {
		return nil
	}
	native := a.NativeRep()
	return c.node(native, native.Expr())
}

func (c *fastCompiler) node(a *ast.AST, e ast.Expr) fastFn {
	switch e.Kind() {
	case ast.LiteralKind:
		v := e.AsLiteral()
		return func(*activation) ref.Val { return v }
	case ast.IdentKind:
		name := e.AsIdent()
		if v, ok := c.consts[name]; ok {
			return func(*activation) ref.Val { return v }
		}
		return c.name(name)
	case ast.SelectKind:
		return c.selectNode(a, e)
	case ast.ListKind:
		l := e.AsList()
		if len(l.OptionalIndices()) > 0 {
			return nil
		}
		elems := make([]fastFn, len(l.Elements()))
		literal := true
		for i, x := range l.Elements() {
			if elems[i] = c.node(a, x); elems[i] == nil {
				return nil
			}
			literal = literal && x.Kind() == ast.LiteralKind
		}
		if literal {
			// A list of literals (['gmp'], []) is built once: CEL's lists
			// are immutable.
			vals := make([]ref.Val, len(elems))
			strs := make([]string, len(elems))
			for i, f := range elems {
				vals[i] = f(nil)
				s, ok := vals[i].(types.String)
				if strs != nil && ok {
					strs[i] = string(s)
				} else {
					strs = nil
				}
			}
			var v ref.Val = types.NewRefValList(types.DefaultTypeAdapter, vals)
			if strs != nil {
				v = constStrings(strs)
			}
			return func(*activation) ref.Val { return v }
		}
		return func(act *activation) ref.Val {
			vals := make([]ref.Val, len(elems))
			for i, f := range elems {
				v := f(act)
				if v == nil || types.IsUnknownOrError(v) {
					return v
				}
				vals[i] = v
			}
			return types.NewRefValList(types.DefaultTypeAdapter, vals)
		}
	case ast.CallKind:
		return c.call(a, e)
	}
	return nil
}

// selectNode handles params.X.Y and form.Z: selections from the constants,
// done now.
func (c *fastCompiler) selectNode(a *ast.AST, e ast.Expr) fastFn {
	s := e.AsSelect()
	if s.IsTestOnly() {
		return nil
	}
	v, ok := c.constOf(s.Operand())
	if !ok {
		return nil
	}
	m, ok := v.(traits.Mapper)
	if !ok {
		return nil
	}
	x, found := m.Find(types.String(s.FieldName()))
	if !found || types.IsUnknownOrError(x) {
		return nil
	}
	return func(*activation) ref.Val { return x }
}

// constOf returns the constant an expression of params and form selections is.
func (c *fastCompiler) constOf(e ast.Expr) (ref.Val, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		v, ok := c.consts[e.AsIdent()]
		return v, ok
	case ast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return nil, false
		}
		v, ok := c.constOf(s.Operand())
		if !ok {
			return nil, false
		}
		m, ok := v.(traits.Mapper)
		if !ok {
			return nil, false
		}
		x, found := m.Find(types.String(s.FieldName()))
		return x, found && !types.IsUnknownOrError(x)
	}
	return nil, false
}

func (c *fastCompiler) call(a *ast.AST, e ast.Expr) fastFn {
	call := e.AsCall()
	var argExprs []ast.Expr
	if call.IsMemberFunction() {
		argExprs = append(argExprs, call.Target())
	}
	argExprs = append(argExprs, call.Args()...)
	args := make([]fastFn, len(argExprs))
	for i, x := range argExprs {
		if args[i] = c.node(a, x); args[i] == nil {
			return nil
		}
	}
	fn := call.FunctionName()
	switch fn {
	case operators.LogicalAnd, operators.LogicalOr:
		// CEL's commutative logic: a false (true) term decides, errors
		// otherwise win.
		l, r := args[0], args[1]
		decisive := types.False
		if fn == operators.LogicalOr {
			decisive = types.True
		}
		return func(act *activation) ref.Val {
			lv := l(act)
			if lv == decisive {
				return decisive
			}
			rv := r(act)
			if rv == decisive {
				return decisive
			}
			if _, ok := lv.(types.Bool); ok {
				if _, ok := rv.(types.Bool); ok {
					return lv
				}
			}
			return nil
		}
	case operators.Conditional:
		cond, t, f := args[0], args[1], args[2]
		return func(act *activation) ref.Val {
			switch cond(act) {
			case types.True:
				return t(act)
			case types.False:
				return f(act)
			}
			return nil
		}
	case operators.Equals, operators.NotEquals:
		l, r := args[0], args[1]
		ne := fn == operators.NotEquals
		return func(act *activation) ref.Val {
			lv := l(act)
			if lv == nil || types.IsUnknownOrError(lv) {
				return nil
			}
			rv := r(act)
			if rv == nil || types.IsUnknownOrError(rv) {
				return nil
			}
			eq := types.Equal(lv, rv)
			if ne {
				return types.Bool(eq != types.True)
			}
			return eq
		}
	case operators.Index:
		l, r := args[0], args[1]
		return func(act *activation) ref.Val {
			lv, rv := l(act), r(act)
			switch x := lv.(type) {
			case traits.Mapper:
				if _, ok := rv.(types.String); !ok {
					return nil
				}
				v, found := x.Find(rv)
				if !found {
					return nil
				}
				return v
			case traits.Lister:
				i, ok := rv.(types.Int)
				if !ok || i < 0 {
					return nil
				}
				if n, _ := x.Size().(types.Int); i >= n {
					return nil
				}
				return x.Get(i)
			}
			return nil
		}
	case operators.OptIndex, operators.OptSelect:
		return nil
	}
	// As CEL's planner: the overload the checker chose, else the function's
	// dynamic dispatch.
	var def *functions.Overload
	if ref, ok := a.ReferenceMap()[e.ID()]; ok && len(ref.OverloadIDs) == 1 {
		def = c.bindings[ref.OverloadIDs[0]]
	}
	if def == nil {
		def = c.bindings[fn]
	}
	if def == nil || def.NonStrict || def.Async != nil || def.LateBound {
		return nil
	}
	if native := nativeOp(fn); native != nil && len(args) == 2 && def.Binary != nil {
		return withNative(def, native, args[0], args[1])
	}
	if len(args) == 1 && def.Unary != nil {
		switch fn {
		case operators.LogicalNot:
			x := args[0]
			return func(act *activation) ref.Val {
				switch x(act) {
				case types.True:
					return types.False
				case types.False:
					return types.True
				}
				return nil
			}
		case "size":
			f, trait, x := def.Unary, def.OperandTrait, args[0]
			return func(act *activation) ref.Val {
				v := x(act)
				if l, ok := v.(*strList); ok {
					return types.Int(len(l.items))
				}
				if v == nil || types.IsUnknownOrError(v) || (trait != 0 && !v.Type().HasTrait(trait)) {
					return nil
				}
				return f(v)
			}
		}
	}
	return callBinding(def, args)
}

// callBinding calls a function's binding.
func callBinding(def *functions.Overload, args []fastFn) fastFn {
	trait := def.OperandTrait
	switch {
	case len(args) == 1 && def.Unary != nil:
		f, x := def.Unary, args[0]
		return func(act *activation) ref.Val {
			v := x(act)
			if v == nil || types.IsUnknownOrError(v) || (trait != 0 && !v.Type().HasTrait(trait)) {
				return nil
			}
			return f(v)
		}
	case len(args) == 2 && def.Binary != nil:
		f, l, r := def.Binary, args[0], args[1]
		return func(act *activation) ref.Val {
			lv := l(act)
			if lv == nil || types.IsUnknownOrError(lv) || (trait != 0 && !lv.Type().HasTrait(trait)) {
				return nil
			}
			rv := r(act)
			if rv == nil || types.IsUnknownOrError(rv) {
				return nil
			}
			return f(lv, rv)
		}
	case def.Function != nil && len(args) > 0:
		f := def.Function
		return func(act *activation) ref.Val {
			// The arguments go on the activation's stack: the bindings do not
			// keep them, and nested calls are done before this one's.
			base := len(act.stack)
			for _, x := range args {
				v := x(act)
				if v == nil || types.IsUnknownOrError(v) {
					act.stack = act.stack[:base]
					return nil
				}
				act.stack = append(act.stack, v)
			}
			vals := act.stack[base:len(act.stack):len(act.stack)]
			var v ref.Val
			if trait == 0 || vals[0].Type().HasTrait(trait) {
				v = f(vals...)
			}
			act.stack = act.stack[:base]
			return v
		}
	}
	return nil
}

// fastCompiler returns the fast compiler of a rule's scope (of the rules
// file's lets when r is nil): the names resolve as activation.ResolveName
// does, and to nothing when the activation is not in that scope.
func (e *Engine) fastCompiler(r *rule) *fastCompiler {
	return &fastCompiler{
		bindings: e.bindings,
		consts:   map[string]ref.Val{"params": e.params, "form": e.form},
		name: func(name string) fastFn {
			switch name {
			case "doc":
				return func(a *activation) ref.Val { return a.doc }
			case "each":
				if r == nil || r.def.ForEach == "" {
					return nil
				}
				return func(a *activation) ref.Val {
					if a.rule != r || a.each == nil {
						return nil
					}
					return a.each
				}
			}
			if r != nil {
				for i, l := range r.def.Let {
					if l.Name == name {
						return func(a *activation) ref.Val {
							if a.rule != r {
								return nil
							}
							return a.let(i)
						}
					}
				}
				if name == "problems" && len(r.def.Checks) > 0 {
					return func(a *activation) ref.Val {
						if a.rule != r {
							return nil
						}
						return a.problemsValue()
					}
				}
			}
			for i, n := range e.globalNames {
				if n == name {
					return func(a *activation) ref.Val {
						if a.engine != e || i >= len(a.globals) {
							return nil
						}
						return a.globalValue(i)
					}
				}
			}
			return nil
		},
	}
}
