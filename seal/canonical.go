package seal

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
)

// Canonical returns the canonical JSON encoding of v: the exact bytes that are hashed
// and signed. Third parties verify signatures by re-encoding with these rules, which
// follow RFC 8785 (JSON Canonicalization Scheme) and agree with it byte for byte for
// every value whose integers are below 2^53 in magnitude:
//
//   - The value is first taken as JSON: Go values are encoded as encoding/json would
//     encode them (struct tags, omitempty, json.Marshaler), then read back; a
//     json.RawMessage is read as the JSON text it holds.
//   - No insignificant white space: no spaces, tabs or newlines between tokens, and no
//     trailing newline.
//   - Objects: members sorted by key, comparing keys as sequences of UTF-16 code units
//     (for keys without characters beyond U+FFFF this is Unicode code point order, and
//     byte order of their UTF-8). Duplicate keys are an error.
//   - Arrays keep their order.
//   - Strings are written as given, in UTF-8, without Unicode normalisation. Only these
//     are escaped: quotation mark as \", reverse solidus as \\, and the control
//     characters U+0000–U+001F, as \b \t \n \f \r for those five and as \u00xx (lower-
//     case hex) for the others. Everything else, including <, >, &, U+007F, U+2028 and
//     U+2029, is written literally. Invalid UTF-8 in a Go string is an error.
//   - Numbers are compared by value, not by spelling: 2600, 2600.0, 2.6e3 and 2600.00
//     all encode as 2600. A number whose value is an integer of magnitude below 10^21
//     is written in plain decimal digits, exactly (no conversion to a double, so 64-bit
//     integers keep every digit), with a leading minus sign if negative; zero, including
//     -0, is 0. Any other number is rounded to the nearest IEEE 754 double and written
//     as ECMAScript's Number.prototype.toString writes it: the shortest digits that
//     round-trip, plain (0.5, 123.456) when 10^-6 ≤ |x| < 10^21, otherwise in
//     exponent form with a signed exponent without leading zeros (1e-7, 1.5e+21).
//     NaN and infinities are errors.
//   - true, false and null as themselves.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeCanonical(&buf, v, 0); err != nil {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Message: "无法生成规范编码：" + err.Error()}
	}
	return buf.Bytes(), nil
}

// Hash returns the SM3 digest of data in lower-case hex (64 characters).
func Hash(data []byte) string {
	sum := sm3.Sum(data)
	return hex.EncodeToString(sum[:])
}

// CanonicalHash returns Hash(Canonical(v)).
func CanonicalHash(v any) (string, error) {
	b, err := Canonical(v)
	if err != nil {
		return "", err
	}
	return Hash(b), nil
}

const maxDepth = 200

func writeCanonical(buf *bytes.Buffer, v any, depth int) error {
	if depth > maxDepth {
		return errors.New("嵌套层次过深")
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if x {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case string:
		return writeString(buf, x)
	case json.Number:
		return writeNumber(buf, string(x))
	case json.RawMessage:
		if len(x) == 0 {
			buf.WriteString("null")
			return nil
		}
		return writeRaw(buf, x, depth)
	case float64:
		return writeFloat(buf, x)
	case float32:
		return writeFloat(buf, float64(x))
	case int:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int8:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case uint:
		buf.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint8:
		buf.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint16:
		buf.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint32:
		buf.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint64:
		buf.WriteString(strconv.FormatUint(x, 10))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		return writeObject(buf, keys, func(k string) any { return x[k] }, depth)
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		return writeObject(buf, keys, func(k string) any { return x[k] }, depth)
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeCanonical(buf, e, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []string:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeString(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			buf.WriteString("null")
			return nil
		}
		var raw bytes.Buffer
		enc := json.NewEncoder(&raw)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return writeRaw(buf, raw.Bytes(), depth)
	}
	return nil
}

// writeObject writes the members named by keys, sorted.
func writeObject(buf *bytes.Buffer, keys []string, get func(string) any, depth int) error {
	sortKeys(keys)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeString(buf, k); err != nil {
			return err
		}
		buf.WriteByte(':')
		if err := writeCanonical(buf, get(k), depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// sortKeys sorts keys by UTF-16 code units, as RFC 8785 does.
func sortKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
}

func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

const hexDigits = "0123456789abcdef"

func writeString(buf *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("字符串不是有效的 UTF-8：%q", s)
	}
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			buf.WriteString(`\"`)
		case c == '\\':
			buf.WriteString(`\\`)
		case c == '\b':
			buf.WriteString(`\b`)
		case c == '\t':
			buf.WriteString(`\t`)
		case c == '\n':
			buf.WriteString(`\n`)
		case c == '\f':
			buf.WriteString(`\f`)
		case c == '\r':
			buf.WriteString(`\r`)
		case c < 0x20:
			buf.WriteString(`\u00`)
			buf.WriteByte(hexDigits[c>>4])
			buf.WriteByte(hexDigits[c&0xf])
		default:
			buf.WriteByte(c)
		}
	}
	buf.WriteByte('"')
	return nil
}

func writeFloat(buf *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return errors.New("数值不能是 NaN 或无穷大")
	}
	return writeNumber(buf, strconv.FormatFloat(f, 'g', -1, 64))
}

// writeNumber writes the JSON number literal lit in canonical form.
func writeNumber(buf *bytes.Buffer, lit string) error {
	neg, digits, exp, ok := parseDecimal(lit)
	if !ok {
		return fmt.Errorf("无效的数值 %q", lit)
	}
	if digits == "" {
		buf.WriteByte('0')
		return nil
	}
	// An integer below 10^21: exact decimal digits.
	if exp >= 0 && int64(len(digits))+exp <= 21 {
		if neg {
			buf.WriteByte('-')
		}
		buf.WriteString(digits)
		for i := int64(0); i < exp; i++ {
			buf.WriteByte('0')
		}
		return nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return fmt.Errorf("数值 %q 超出范围", lit)
	}
	buf.WriteString(formatES(f))
	return nil
}

// parseDecimal splits a JSON number literal into its sign, significant digits (no
// leading or trailing zeros; "" for zero) and decimal exponent: value = digits × 10^exp.
func parseDecimal(lit string) (neg bool, digits string, exp int64, ok bool) {
	s := lit
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || (i > 1 && s[0] == '0') {
		return false, "", 0, false
	}
	intPart, frac := s[:i], ""
	s = s[i:]
	if strings.HasPrefix(s, ".") {
		s = s[1:]
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 0 {
			return false, "", 0, false
		}
		frac, s = s[:j], s[j:]
	}
	if s != "" {
		if s[0] != 'e' && s[0] != 'E' {
			return false, "", 0, false
		}
		s = s[1:]
		eneg := false
		if s != "" && (s[0] == '+' || s[0] == '-') {
			eneg, s = s[0] == '-', s[1:]
		}
		if s == "" {
			return false, "", 0, false
		}
		for k := 0; k < len(s); k++ {
			if s[k] < '0' || s[k] > '9' {
				return false, "", 0, false
			}
			if exp < 1<<40 { // beyond this the value is 0 or infinite anyway
				exp = exp*10 + int64(s[k]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	all := strings.TrimLeft(intPart+frac, "0")
	exp -= int64(len(frac))
	trimmed := strings.TrimRight(all, "0")
	exp += int64(len(all) - len(trimmed))
	return neg, trimmed, exp, true
}

// formatES formats f as ECMAScript's Number.prototype.toString does.
func formatES(f float64) string {
	if f == 0 {
		return "0"
	}
	a := math.Abs(f)
	if a >= 1e21 || a < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, e, _ := strings.Cut(s, "e")
		esign, edigits := e[:1], strings.TrimLeft(e[1:], "0")
		if edigits == "" {
			edigits = "0"
		}
		return mant + "e" + esign + edigits
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// writeRaw writes the JSON text data in canonical form.
func writeRaw(buf *bytes.Buffer, data []byte, depth int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readValue(dec, depth)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("JSON 文本末尾有多余内容")
	}
	return writeCanonical(buf, v, depth)
}

// readValue reads one JSON value, rejecting duplicate object keys (encoding/json
// would silently keep the last).
func readValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("嵌套层次过深")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("无效的 JSON：%w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("无效的 JSON：%w", err)
				}
				k := kt.(string)
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("JSON 对象中键 %q 重复", k)
				}
				if m[k], err = readValue(dec, depth+1); err != nil {
					return nil, err
				}
			}
			_, err := dec.Token()
			return m, err
		case '[':
			a := []any{}
			for dec.More() {
				e, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, e)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, errors.New("无效的 JSON")
	default:
		return t, nil
	}
}
