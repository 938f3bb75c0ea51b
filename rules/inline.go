package rules

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// inlineConsts replaces references to constant scalars (params.S1.min_area_m2)
// in an expression's source by CEL literals, so that evaluating
// the rule does not select into the constants each time. String literals of the
// source are left alone; a path is followed as far as the data has it.
func inlineConsts(src string, consts map[string]any) string {
	var b strings.Builder
	prevSignificant := byte(0)
	for i := 0; i < len(src); {
		c := src[i]
		// String literals, with optional r/b prefixes.
		if j := stringLiteralEnd(src, i); j > i {
			b.WriteString(src[i:j])
			prevSignificant = '"'
			i = j
			continue
		}
		if isIdentStart(c) {
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			name := src[i:j]
			val, ok := consts[name]
			if !ok || prevSignificant == '.' {
				b.WriteString(name)
				prevSignificant = 'a'
				i = j
				continue
			}
			// Follow .key segments while the value is a map holding them.
			for j < len(src) && src[j] == '.' {
				m, isMap := val.(map[string]any)
				k := j + 1
				for k < len(src) && isIdentPart(src[k]) {
					k++
				}
				if !isMap || k == j+1 {
					break
				}
				next, found := m[src[j+1:k]]
				if !found {
					break
				}
				val, j = next, k
			}
			switch val.(type) {
			case map[string]any, []any:
				// Lists and maps stay selections of the constant variable, whose
				// value is built once; a literal would be converted at each use.
				b.WriteString(src[i:j])
				prevSignificant = 'a'
			default:
				b.WriteString("(" + celLiteral(val) + ")")
				prevSignificant = ')'
			}
			i = j
			continue
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			prevSignificant = c
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// stringLiteralEnd returns the end of a string literal starting at i, or i.
func stringLiteralEnd(s string, i int) int {
	j, raw := i, false
	for j < len(s) && j < i+2 && strings.ContainsRune("rRbB", rune(s[j])) {
		if s[j] == 'r' || s[j] == 'R' {
			raw = true
		}
		j++
	}
	if j >= len(s) || (s[j] != '\'' && s[j] != '"') {
		return i
	}
	if j > i && i > 0 && isIdentPart(s[i-1]) {
		return i // the prefix letters were part of an identifier
	}
	q := s[j]
	quote := string(q)
	if strings.HasPrefix(s[j:], strings.Repeat(quote, 3)) {
		quote = strings.Repeat(quote, 3)
	}
	k := j + len(quote)
	for k < len(s) {
		if !raw && s[k] == '\\' {
			k += 2
			continue
		}
		if strings.HasPrefix(s[k:], quote) {
			return k + len(quote)
		}
		k++
	}
	return len(s)
}

// celLiteral writes constant data as a CEL literal.
func celLiteral(v any) string {
	switch x := v.(type) {
	case string:
		return celString(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "double('" + strconv.FormatFloat(x, 'g', -1, 64) + "')"
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = celLiteral(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = celString(k) + ": " + celLiteral(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case nil:
		return "null"
	}
	return "null"
}

// identifiers returns the free-standing identifiers of an expression's source:
// outside string literals and not after a dot (so not field names).
func identifiers(src string) map[string]bool {
	out := make(map[string]bool)
	prev := byte(0)
	for i := 0; i < len(src); {
		if j := stringLiteralEnd(src, i); j > i {
			prev = '"'
			i = j
			continue
		}
		c := src[i]
		if isIdentStart(c) {
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			if prev != '.' {
				out[src[i:j]] = true
			}
			prev = 'a'
			i = j
			continue
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			prev = c
		}
		i++
	}
	return out
}
