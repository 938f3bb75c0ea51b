package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"biopilot/program"
)

// Values: reading the document, and writing values for people.

// nativeMap returns the Go map behind a CEL map value of the document.
func nativeMap(v ref.Val) (map[string]any, bool) {
	m, ok := v.Value().(map[string]any)
	return m, ok
}

// stringList returns the strings of a CEL list (other items are skipped).
func stringList(v ref.Val) []string {
	switch x := v.Value().(type) {
	case []string:
		return x
	case []ref.Val:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(types.String); ok {
				out = append(out, string(s))
			}
		}
		return out
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil
	}
	n, _ := l.Size().(types.Int)
	out := make([]string, 0, int(n))
	for i := types.Int(0); i < n; i++ {
		if s, ok := l.Get(i).(types.String); ok {
			out = append(out, string(s))
		}
	}
	return out
}

// allStrings returns the items of a list when all are strings, else nil.
func allStrings(l traits.Lister) []string {
	switch x := l.Value().(type) {
	case []string:
		if x == nil {
			return []string{}
		}
		return x
	case []any:
		out, _ := strings_(x)
		return out
	case []ref.Val:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(types.String)
			if !ok {
				return nil
			}
			out[i] = string(s)
		}
		return out
	}
	n, _ := l.Size().(types.Int)
	out := make([]string, n)
	for i := types.Int(0); i < n; i++ {
		s, ok := l.Get(i).(types.String)
		if !ok {
			return nil
		}
		out[i] = string(s)
	}
	return out
}

// containsText is strings.Contains, faster for Chinese: it scans for the last
// byte of the needle's first character, a UTF-8 continuation byte, which is far
// rarer in Chinese text than the lead bytes strings.Index scans for.
func containsText(hay, needle string) bool {
	const p = 2
	if len(needle) < 3 || needle[0] < 0xE0 || needle[0] >= 0xF0 {
		return strings.Contains(hay, needle)
	}
	c := needle[p]
	for i := p; i < len(hay); i++ {
		o := strings.IndexByte(hay[i:], c)
		if o < 0 {
			return false
		}
		i += o
		if start := i - p; start+len(needle) <= len(hay) && hay[start:start+len(needle)] == needle {
			return true
		}
	}
	return false
}

// lookup walks a dotted key without allocating.
func lookup(m map[string]any, key string) (any, bool) {
	for {
		i := strings.IndexByte(key, '.')
		if i < 0 {
			v, ok := m[key]
			return v, ok && v != nil
		}
		next, ok := m[key[:i]].(map[string]any)
		if !ok {
			return nil, false
		}
		m, key = next, key[i+1:]
	}
}

// present: there, and text not blank.
func present(v any) bool {
	if s, ok := v.(string); ok {
		for _, r := range s {
			if !unicode.IsSpace(r) {
				return true
			}
		}
		return false
	}
	return v != nil
}

// filled: present, and lists and objects not empty.
func filled(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return present(v)
}

func chars(m map[string]any, key string, cols []string) int {
	v, ok := lookup(m, key)
	if !ok {
		return 0
	}
	switch x := v.(type) {
	case string:
		return program.CountChars(x)
	case []any:
		n := 0
		for _, row := range x {
			r, _ := row.(map[string]any)
			for _, c := range cols {
				if s, ok := r[c].(string); ok {
					n += program.CountChars(s)
				}
			}
		}
		return n
	}
	return 0
}

func texts(m map[string]any, tables, cols []string) []string {
	var out []string
	for _, t := range tables {
		v, _ := lookup(m, t)
		rows, _ := v.([]any)
		for _, row := range rows {
			r, _ := row.(map[string]any)
			for _, c := range cols {
				if s, ok := r[c].(string); ok && s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	case uint64:
		return float64(n), true
	case types.Int:
		return float64(n), true
	case types.Double:
		return float64(n), true
	}
	return 0, false
}

// format renders a value for people.
func format(v ref.Val) string {
	if s, ok := v.(types.String); ok {
		return string(s)
	}
	var b strings.Builder
	writeText(&b, v)
	return b.String()
}

func writeText(b *strings.Builder, v ref.Val) {
	switch x := v.(type) {
	case types.String:
		b.WriteString(string(x))
	case types.Int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case types.Uint:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case types.Double:
		b.WriteString(formatNumber(float64(x)))
	case types.Bool:
		if x {
			b.WriteString("是")
		} else {
			b.WriteString("否")
		}
	case types.Null:
		b.WriteString("未填写")
	case traits.Lister:
		if ss, ok := x.Value().([]string); ok {
			for i, s := range ss {
				if i > 0 {
					b.WriteString("、")
				}
				b.WriteString(s)
			}
			return
		}
		n, _ := x.Size().(types.Int)
		for i := types.Int(0); i < n; i++ {
			if i > 0 {
				b.WriteString("、")
			}
			writeText(b, x.Get(i))
		}
	default:
		if n, ok := toFloat(v.Value()); ok {
			b.WriteString(formatNumber(n))
		} else {
			fmt.Fprint(b, v.Value())
		}
	}
}

// formatNumber prints a number with at most two decimals and no trailing zeros.
func formatNumber(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	r := math.Round(f*100) / 100
	if r == math.Trunc(r) && math.Abs(r) < 1e15 {
		return strconv.FormatInt(int64(r), 10)
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// percent prints a ratio as a percentage with one decimal, without ".0".
func percent(r float64) string {
	p := math.Round(r*1000) / 10
	s := strconv.FormatFloat(p, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + "%"
}

// constValue converts constant data (params, form facts) into CEL values once,
// so that selecting into it at run time converts nothing.
func constValue(v any) ref.Val {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[ref.Val]ref.Val, len(x))
		for k, e := range x {
			m[types.String(k)] = constValue(e)
		}
		return types.NewRefValMap(types.DefaultTypeAdapter, m)
	case []any:
		if ss, ok := strings_(x); ok {
			return types.NewStringList(types.DefaultTypeAdapter, ss)
		}
		l := make([]ref.Val, len(x))
		for i, e := range x {
			l[i] = constValue(e)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, l)
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}

// strings_ returns the items of a list when all are strings.
func strings_(x []any) ([]string, bool) {
	out := make([]string, len(x))
	for i, e := range x {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}
