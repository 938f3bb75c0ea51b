package rules

import (
	"strings"
	"testing"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{2600.0, "2600"}, {1499.5, "1499.5"}, {0.1 + 0.2, "0.3"}, {int64(22), "22"}, {true, "是"},
		{"文本", "文本"}, {[]string{"a", "b"}, "a、b"}, {nil, "未填写"}, {-3.0, "-3"},
	} {
		if got := format(types.DefaultTypeAdapter.NativeToValue(tc.in)); got != tc.want {
			t.Errorf("format(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   float64
		want string
	}{{16.0 / 22, "72.7%"}, {0.6, "60%"}, {1, "100%"}, {0, "0%"}, {8.0 / 15, "53.3%"}} {
		if got := percent(tc.in); got != tc.want {
			t.Errorf("percent(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestContainsText(t *testing.T) {
	hay := "发酵罐\n高压均质机\n生物安全柜\nLC-20 液相\n超微粉碎机"
	for _, n := range []string{"高压均质", "生物安全", "柜", "超微粉碎", "粉碎设备", "机\n生", "LC", "液相", "液相色谱", "发酵罐", "碎机", "", "安全柜\n"} {
		if got, want := containsText(hay, n), strings.Contains(hay, n); got != want {
			t.Errorf("containsText(%q) = %v, want %v", n, got, want)
		}
	}
}

func TestParseTemplate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // parts, expressions in <>
		err  bool
	}{
		{"用房面积 {area} 平方米", "用房面积 |<area>| 平方米", false},
		{"{a}{b}", "<a>|<b>", false},
		{"字面 {{x}}", "字面 {x}", false},
		{"{ {'a': 1}['a'] }", "<{'a': 1}['a']>", false},
		{"{'}' + x}", "<'}' + x>", false},
		{"{x", "", true},
		{"x}", "", true},
		{"{ }", "", true},
	} {
		parts, err := parseTemplate(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		var got []string
		for _, p := range parts {
			if p.expr {
				got = append(got, "<"+p.text+">")
			} else {
				got = append(got, p.text)
			}
		}
		if !tc.err && strings.Join(got, "|") != tc.want {
			t.Errorf("%q: parts %q, want %q", tc.in, strings.Join(got, "|"), tc.want)
		}
	}
}

func TestInlineConsts(t *testing.T) {
	consts := map[string]any{"params": map[string]any{"S1": map[string]any{"min": int64(1500), "ratio": 0.6, "list": []any{"a", "b"}}}}
	for _, tc := range []struct{ in, want string }{
		{"x >= params.S1.min", "x >= (1500)"},
		{"params.S1.ratio", "(0.6)"},
		{"params.S1.list[0]", `params.S1.list[0]`},
		{"params.S1.nope", `params.S1.nope`},
		{"'params.S1.min' + doc.params", "'params.S1.min' + doc.params"},
		{`"a\"params" + params.S1.min`, `"a\"params" + (1500)`},
		{"myparams.S1", "myparams.S1"},
	} {
		if got := inlineConsts(tc.in, consts); got != tc.want {
			t.Errorf("inlineConsts(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	ids := identifiers("a.b + c('d e') + f.g(h)")
	for _, want := range []string{"a", "c", "f", "h"} {
		if !ids[want] {
			t.Errorf("identifiers lacks %s: %v", want, ids)
		}
	}
	if ids["b"] || ids["d"] || ids["g"] {
		t.Errorf("identifiers has fields or string contents: %v", ids)
	}
}

// TestColumn checks doc.column on text columns (a list of strings, read
// without boxing), mixed columns and absent ones, through CEL.
func TestColumn(t *testing.T) {
	env, err := cel.NewEnv(testEngine.lib.envOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{
		"t": []any{
			map[string]any{"c": "甲", "n": int64(3), "m": "x"},
			map[string]any{"c": "", "n": int64(4), "m": 2.5},
			map[string]any{"c": "乙"},
		},
	}
	for _, tc := range []struct{ src, want string }{
		{`doc.column('t', 'c')`, "甲、乙"},
		{`doc.column('t', 'c') == ['甲', '乙']`, "是"},
		{`'乙' in doc.column('t', 'c') && size(doc.column('t', 'c')) == 2`, "是"},
		{`doc.column('t', 'c').map(x, x + '!')`, "甲!、乙!"},
		{`doc.column('t', 'm')`, "x、2.5"},
		{`doc.column('t', 'n')`, "3、4"},
		{`size(doc.column('t', 'zz')) == 0 && doc.column('t', 'zz') == []`, "是"},
		{`size(doc.column('none', 'c'))`, "0"},
	} {
		ast, iss := env.Compile(tc.src)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", tc.src, iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := prg.Eval(map[string]any{"doc": types.NewStringInterfaceMap(types.DefaultTypeAdapter, doc)})
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := format(v); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.src, got, tc.want)
		}
	}
}
