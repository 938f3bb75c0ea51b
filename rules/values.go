package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// Values: reading the document, and writing values for people.

// nativeMap returns the Go map behind a CEL map value of the document.
func nativeMap(v ref.Val) (map[string]any, bool) {
	m, ok := v.Value().(map[string]any)
	return m, ok
}

// stringList returns the strings of a CEL list (other items are skipped).
func stringList(v ref.Val) []string {
	if l, ok := v.(*strList); ok {
		return l.items
	}
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
	if s, ok := l.(*strList); ok {
		if s.items == nil {
			return []string{}
		}
		return s.items
	}
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

// walker looks up many dotted keys in one object, keeping the object of the
// last key's prefix: keys of the same section (applicant.name,
// applicant.uscc, …) then cost one map access each instead of one per level.
// It finds what lookup finds.
type walker struct {
	m      map[string]any
	prefix string
	parent map[string]any // the object at prefix; nil: none there
	valid  bool           // prefix and parent are set
}

func (w *walker) lookup(key string) (any, bool) {
	if n := len(w.prefix); w.valid && len(key) > n && key[n] == '.' && key[:n] == w.prefix &&
		strings.IndexByte(key[n+1:], '.') < 0 {
		if w.parent == nil {
			return nil, false
		}
		v, ok := w.parent[key[n+1:]]
		return v, ok && v != nil
	}
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		v, ok := w.m[key]
		return v, ok && v != nil
	}
	if !w.valid || key[:i] != w.prefix {
		w.prefix, w.valid = key[:i], true
		w.parent = nil
		if v, ok := lookup(w.m, w.prefix); ok {
			w.parent, _ = v.(map[string]any)
		}
	}
	if w.parent == nil {
		return nil, false
	}
	v, ok := w.parent[key[i+1:]]
	return v, ok && v != nil
}

// present: there, and text not blank.
func present(v any) bool {
	if s, ok := v.(string); ok {
		for i := 0; i < len(s); {
			c := s[i]
			if c < utf8.RuneSelf {
				if !asciiSpace[c] {
					return true
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isSpace(r) {
				return true
			}
			i += size
		}
		return false
	}
	return v != nil
}

// countChars is program.CountChars (the form's 字: code points that are not
// white space), without a table search per character.
func countChars(s string) int {
	n := 0
	for i := 0; i < len(s); {
		// Most Chinese characters: a lead byte E4–EF but ED (whose sequences
		// are neither spaces, overlong nor surrogates) and two continuation
		// bytes (80–BF, which XOR 80 maps below 40).
		for len(s)-i >= 3 {
			t := s[i : i+3]
			if c := t[0]; c-0xE4 >= 0x0C || c == 0xED || (t[1]^0x80)|(t[2]^0x80) >= 0x40 {
				break
			}
			n++
			i += 3
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if !asciiSpace[c] {
				n++
			}
			i++
			continue
		}
		// Other three-byte sequences, a space only after E1–E3.
		if c >= 0xE0 && c < 0xF0 && i+2 < len(s) {
			c1, c2 := s[i+1], s[i+2]
			lo, hi := byte(0x80), byte(0xBF)
			switch c {
			case 0xE0:
				lo = 0xA0
			case 0xED:
				hi = 0x9F
			}
			if c1 >= lo && c1 <= hi && c2&0xC0 == 0x80 {
				if c > 0xE3 || c == 0xE0 || !isSpace(rune(c&0x0F)<<12|rune(c1&0x3F)<<6|rune(c2&0x3F)) {
					n++
				}
				i += 3
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			n++
		}
		i += size
	}
	return n
}

// asciiSpace are the ASCII characters unicode.IsSpace holds to be white space.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// isSpace is unicode.IsSpace for a character beyond ASCII: the Unicode
// White_Space property, which is stable (values_test.go checks every code point).
func isSpace(r rune) bool {
	switch {
	case r < 0x85:
		return false
	case r <= 0xA0:
		return r == 0x85 || r == 0xA0
	case r < 0x1680:
		return false
	case r < 0x2000:
		return r == 0x1680
	case r <= 0x200A:
		return true
	case r < 0x3000:
		return r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F
	}
	return r == 0x3000
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
		return countChars(x)
	case []any:
		n := 0
		for _, row := range x {
			r, _ := row.(map[string]any)
			for _, c := range cols {
				if s, ok := r[c].(string); ok {
					n += countChars(s)
				}
			}
		}
		return n
	}
	return 0
}

func texts(m map[string]any, tables, cols []string) []string {
	// Sized first: the list is built once, without growing.
	n := 0
	for _, t := range tables {
		v, _ := lookup(m, t)
		rows, _ := v.([]any)
		n += len(rows) * len(cols)
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
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
	if len(out) == 0 {
		return nil
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
	var buf [512]byte
	return string(appendText(buf[:0], v))
}

// appendText appends a value for people: numbers without a trailing ".0",
// lists joined with "、", true → "是", null → "未填写".
func appendText(b []byte, v ref.Val) []byte {
	switch x := v.(type) {
	case types.String:
		return append(b, x...)
	case types.Int:
		return strconv.AppendInt(b, int64(x), 10)
	case types.Uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case types.Double:
		return appendNumber(b, float64(x))
	case types.Bool:
		if x {
			return append(b, "是"...)
		}
		return append(b, "否"...)
	case types.Null:
		return append(b, "未填写"...)
	case *strList:
		for i, s := range x.items {
			if i > 0 {
				b = append(b, "、"...)
			}
			b = append(b, s...)
		}
		return b
	case traits.Lister:
		if ss, ok := x.Value().([]string); ok {
			for i, s := range ss {
				if i > 0 {
					b = append(b, "、"...)
				}
				b = append(b, s...)
			}
			return b
		}
		n, _ := x.Size().(types.Int)
		for i := types.Int(0); i < n; i++ {
			if i > 0 {
				b = append(b, "、"...)
			}
			b = appendText(b, x.Get(i))
		}
		return b
	}
	if n, ok := toFloat(v.Value()); ok {
		return appendNumber(b, n)
	}
	return fmt.Append(b, v.Value())
}

// appendNumber appends a number with at most two decimals and no trailing zeros.
func appendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	r := math.Round(f*100) / 100
	if r == math.Trunc(r) && math.Abs(r) < 1e15 {
		return strconv.AppendInt(b, int64(r), 10)
	}
	return strconv.AppendFloat(b, r, 'f', -1, 64)
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
			return constStrings(ss)
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
	// Checked before the slice is made: tables (lists of rows) are common.
	for _, e := range x {
		if _, ok := e.(string); !ok {
			return nil, false
		}
	}
	out := make([]string, len(x))
	for i, e := range x {
		out[i] = e.(string)
	}
	return out, true
}
