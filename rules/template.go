package rules

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// A template is message text with "{expr}" placeholders. Compiled, each part is
// literal text (constants such as {params.S1.min_area_m2} are rendered at
// compile time), a name (a let, `each`), or an expression evaluated when the
// message is rendered.
type template struct {
	parts []tplPart
}

type tplPart struct {
	text string // literal text, or the name for a name part
	name bool   // the part is a let or `each`, read from the activation
	// get reads a name part as the fast path does; nil or its nil: resolve
	// the name.
	get fastFn
	prg *expr // the part is an expression
}

// compileTemplate compiles a template in env, where names are the let names.
func compileTemplate(env *cel.Env, consts map[string]any, names map[string]bool, tpl, where string, scope *fastCompiler) (*template, error) {
	parts, err := parseTemplate(tpl)
	if err != nil {
		return nil, fmt.Errorf("%s：%v", where, err)
	}
	t := &template{}
	add := func(p tplPart) {
		if !p.name && p.prg == nil && len(t.parts) > 0 {
			last := &t.parts[len(t.parts)-1]
			if !last.name && last.prg == nil {
				last.text += p.text
				return
			}
		}
		t.parts = append(t.parts, p)
	}
	for _, p := range parts {
		if !p.expr {
			add(tplPart{text: p.text})
			continue
		}
		at := fmt.Sprintf("%s 中的 {%s}", where, p.text)
		if _, err := check(env, p.text, at); err != nil {
			return nil, err
		}
		if v, ok := constPath(p.text, consts); ok {
			add(tplPart{text: format(constValue(v))})
			continue
		}
		if names[p.text] {
			part := tplPart{text: p.text, name: true}
			if scope != nil {
				part.get = scope.name(p.text)
			}
			add(part)
			continue
		}
		prg, err := program1(env, inlineConsts(p.text, consts), at, scope)
		if err != nil {
			return nil, err
		}
		if constant(p.text, names) {
			// It reads neither the document nor the rule's names: render it now.
			v, err := (&activation{params: constValue(consts["params"]), form: constValue(consts["form"])}).eval(prg)
			if err == nil && !types.IsError(v) {
				add(tplPart{text: format(v)})
				continue
			}
		}
		add(tplPart{prg: prg})
	}
	return t, nil
}

// render renders the template; an expression that fails is an error.
func (t *template) render(act *activation) (string, error) {
	if t.literal() {
		return t.parts[0].text, nil
	}
	base := len(act.buf)
	if err := t.appendTo(act); err != nil {
		return "", err
	}
	msg := string(act.buf[base:])
	act.buf = act.buf[:base]
	return msg, nil
}

// literal reports whether the template is one piece of text.
func (t *template) literal() bool {
	return len(t.parts) == 1 && !t.parts[0].name && t.parts[0].prg == nil
}

// appendTo renders the template at the end of the activation's buffer and
// leaves it there; on an error the buffer is as it was.
func (t *template) appendTo(act *activation) error {
	// The text is built in the activation's buffer, used as a stack: a
	// template rendered while this one's parts are evaluated (problems)
	// appends after this one's text and takes it back off.
	base := len(act.buf)
	for i := range t.parts {
		p := &t.parts[i]
		var v ref.Val
		switch {
		case p.name:
			if p.get != nil {
				v = p.get(act)
			}
			if v == nil {
				x, _ := act.ResolveName(p.text)
				v, _ = x.(ref.Val)
			}
		case p.prg != nil:
			var err error
			if v, err = act.eval(p.prg); err != nil {
				act.buf = act.buf[:base]
				return err
			}
		default:
			act.buf = append(act.buf, p.text...)
			continue
		}
		if v == nil {
			act.buf = act.buf[:base]
			return fmt.Errorf("{%s} 没有值", p.text)
		}
		if types.IsError(v) {
			act.buf = act.buf[:base]
			return v.(*types.Err)
		}
		act.buf = appendText(act.buf, v)
	}
	return nil
}

// constant reports whether an expression reads nothing that varies: not the
// document nor the rule's names.
func constant(src string, names map[string]bool) bool {
	for id := range identifiers(src) {
		if id == "doc" || names[id] {
			return false
		}
	}
	return true
}

// constPath returns the constant a placeholder names when it is only a path into
// the constants (params.S1.min_area_m2).
func constPath(src string, consts map[string]any) (any, bool) {
	parts := strings.Split(strings.TrimSpace(src), ".")
	v, ok := consts[parts[0]]
	if !ok {
		return nil, false
	}
	for _, p := range parts[1:] {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

type templatePart struct {
	text string
	expr bool
}

// parseTemplate splits "a {x} b" into text and expression parts. "{{" and "}}"
// are literal braces; braces and quotes nest inside an expression.
func parseTemplate(tpl string) ([]templatePart, error) {
	var parts []templatePart
	var lit strings.Builder
	for i := 0; i < len(tpl); {
		c := tpl[i]
		switch {
		case c == '{' && strings.HasPrefix(tpl[i:], "{{"):
			lit.WriteByte('{')
			i += 2
		case c == '}' && strings.HasPrefix(tpl[i:], "}}"):
			lit.WriteByte('}')
			i += 2
		case c == '}':
			return nil, fmt.Errorf("第 %d 个字节的 } 没有对应的 {（字面的花括号写作 }}）", i+1)
		case c == '{':
			end, err := closeBrace(tpl, i)
			if err != nil {
				return nil, err
			}
			expr := strings.TrimSpace(tpl[i+1 : end])
			if expr == "" {
				return nil, fmt.Errorf("第 %d 个字节处的 {} 为空", i+1)
			}
			if lit.Len() > 0 {
				parts = append(parts, templatePart{text: lit.String()})
				lit.Reset()
			}
			parts = append(parts, templatePart{text: expr, expr: true})
			i = end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, templatePart{text: lit.String()})
	}
	return parts, nil
}

// closeBrace finds the } closing the { at start, skipping nested braces and
// quoted strings.
func closeBrace(s string, start int) (int, error) {
	depth := 0
	var quote byte
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("第 %d 个字节处的 { 没有闭合", start+1)
}

// celString quotes text as a CEL string literal.
func celString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
