package program

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"

	"biopilot"
)

// Document is an application document: the JSON of form.md, decoded and normalised.
// Objects are map[string]any; integer fields hold int64, number fields float64,
// text string, bool bool, lists []any. An absent or null field is not in its map.
type Document = map[string]any

// DecodeDocument decodes and validates a document against the form: malformed JSON,
// unknown keys, wrong types and out-of-range values are an *biopilot.Error (EINVALID)
// listing every problem by key path, in Chinese. An incomplete document is fine.
func (f *Form) DecodeDocument(data []byte) (Document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Message: "文档在 JSON 对象之后还有多余内容"}
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Message: "申请文档应为一个 JSON 对象"}
	}
	return f.Normalize(obj)
}

// Normalize validates an already decoded object (numbers as json.Number, float64 or
// int) and returns the normalised document. See DecodeDocument.
func (f *Form) Normalize(obj map[string]any) (Document, error) {
	v := &validator{form: f}
	doc := v.object(obj, "")
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Field < v.errs[j].Field })
		e := &biopilot.Error{Code: biopilot.EINVALID, Fields: v.errs, Field: v.errs[0].Field}
		e.Message = v.errs[0].Message
		if len(v.errs) > 1 {
			e.Message = fmt.Sprintf("%s（另有 %d 处错误）", e.Message, len(v.errs)-1)
		}
		return nil, e
	}
	return doc, nil
}

func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := lineCol(data, syn.Offset)
		return biopilot.Errorf(biopilot.EINVALID, "JSON 格式错误（第 %d 行第 %d 列）：%v", line, col, syn)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return biopilot.Errorf(biopilot.EINVALID, "JSON 不完整")
	}
	return biopilot.Errorf(biopilot.EINVALID, "JSON 格式错误：%v", err)
}

func lineCol(data []byte, off int64) (int, int) {
	line, col := 1, 1
	for i := 0; i < len(data) && int64(i) < off; i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

type validator struct {
	form *Form
	errs []biopilot.FieldError
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, biopilot.FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}

// object validates an object at a key prefix ("" for the root, "applicant" …).
func (v *validator) object(obj map[string]any, prefix string) map[string]any {
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if val == nil {
			continue
		}
		if fl := v.form.byKey[key]; fl != nil {
			if nv, ok := v.value(fl, val, key); ok {
				out[k] = nv
			}
			continue
		}
		if v.isPrefix(key) {
			sub, ok := val.(map[string]any)
			if !ok {
				v.fail(key, "「%s」应为对象（JSON object），实际为%s", key, kind(val))
				continue
			}
			if n := v.object(sub, key); len(n) > 0 {
				out[k] = n
			}
			continue
		}
		v.fail(key, "未知的字段 %s：申请表中没有这一项", key)
	}
	return out
}

func (v *validator) isPrefix(key string) bool {
	for _, fl := range v.form.Fields {
		if strings.HasPrefix(fl.Key, key+".") {
			return true
		}
	}
	return false
}

// value validates one value of a field; path is where it stands in the document.
func (v *validator) value(fl *Field, val any, path string) (any, bool) {
	name := fmt.Sprintf("「%s」(%s)", fl.Label, path)
	switch fl.Type {
	case TypeText:
		s, ok := val.(string)
		if !ok {
			v.fail(path, "%s应为文本，实际为%s", name, kind(val))
			return nil, false
		}
		return s, true
	case TypeBool:
		b, ok := val.(bool)
		if !ok {
			v.fail(path, "%s应为 true 或 false，实际为%s", name, kind(val))
			return nil, false
		}
		return b, true
	case TypeInteger, TypeNumber:
		n, ok := number(val)
		if !ok {
			v.fail(path, "%s应为数字，实际为%s", name, kind(val))
			return nil, false
		}
		if fl.Min != nil && n < *fl.Min {
			v.fail(path, "%s不能小于 %s，实际为 %s", name, fmtNum(*fl.Min), fmtNum(n))
			return nil, false
		}
		if fl.Max != nil && n > *fl.Max {
			v.fail(path, "%s不能大于 %s，实际为 %s", name, fmtNum(*fl.Max), fmtNum(n))
			return nil, false
		}
		if fl.Type == TypeInteger {
			if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
				v.fail(path, "%s应为整数，实际为 %s", name, fmtNum(n))
				return nil, false
			}
			return int64(n), true
		}
		return n, true
	case TypeDate, TypeMonth:
		s, ok := val.(string)
		layout, want := "2006-01-02", "YYYY-MM-DD"
		if fl.Type == TypeMonth {
			layout, want = "2006-01", "YYYY-MM"
		}
		if !ok {
			v.fail(path, "%s应为 %s 格式的日期，实际为%s", name, want, kind(val))
			return nil, false
		}
		if s == "" {
			return nil, false
		}
		if _, err := time.Parse(layout, s); err != nil {
			v.fail(path, "%s应为 %s 格式的日期，实际为 %q", name, want, s)
			return nil, false
		}
		return s, true
	case TypeEnum:
		s, ok := val.(string)
		if !ok || !hasOption(fl.Options, s) {
			v.fail(path, "%s应为以下之一：%s；实际为 %v", name, optionList(fl.Options), show(val))
			return nil, false
		}
		return s, true
	case TypeSet:
		list, ok := val.([]any)
		if !ok {
			v.fail(path, "%s应为列表，实际为%s", name, kind(val))
			return nil, false
		}
		out := make([]any, 0, len(list))
		seen := make(map[string]bool)
		for i, it := range list {
			s, ok := it.(string)
			if !ok || !hasOption(fl.Options, s) {
				v.fail(fmt.Sprintf("%s[%d]", path, i), "%s第 %d 项应为以下之一：%s；实际为 %v", name, i+1, optionList(fl.Options), show(it))
				continue
			}
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return out, true
	case TypeList:
		list, ok := val.([]any)
		if !ok {
			v.fail(path, "%s应为文本列表，实际为%s", name, kind(val))
			return nil, false
		}
		for i, it := range list {
			if _, ok := it.(string); !ok {
				v.fail(fmt.Sprintf("%s[%d]", path, i), "%s第 %d 项应为文本，实际为%s", name, i+1, kind(it))
			}
		}
		return list, true
	case TypeTable:
		list, ok := val.([]any)
		if !ok {
			v.fail(path, "%s应为表格行的列表，实际为%s", name, kind(val))
			return nil, false
		}
		rows := make([]any, 0, len(list))
		for i, it := range list {
			rp := fmt.Sprintf("%s[%d]", path, i)
			row, ok := it.(map[string]any)
			if !ok {
				v.fail(rp, "%s第 %d 行应为对象，实际为%s", name, i+1, kind(it))
				continue
			}
			nr := make(map[string]any, len(row))
			for ck, cv := range row {
				col := fl.Column(ck)
				if col == nil {
					v.fail(rp+"."+ck, "%s第 %d 行有未知的列 %s", name, i+1, ck)
					continue
				}
				if cv == nil {
					continue
				}
				if nv, ok := v.value(col, cv, rp+"."+ck); ok {
					nr[ck] = nv
				}
			}
			rows = append(rows, nr)
		}
		return rows, true
	case TypeAttachments:
		obj, ok := val.(map[string]any)
		if !ok {
			v.fail(path, "%s应为对象（类别 → 附件编号列表），实际为%s", name, kind(val))
			return nil, false
		}
		out := make(map[string]any, len(obj))
		for cat, ids := range obj {
			cp := path + "." + cat
			if !hasOption(fl.Options, cat) {
				v.fail(cp, "未知的佐证材料类别 %s，应为以下之一：%s", cat, optionList(fl.Options))
				continue
			}
			if ids == nil {
				continue
			}
			list, ok := ids.([]any)
			if !ok {
				v.fail(cp, "佐证材料「%s」应为附件编号列表，实际为%s", fl.OptionLabel(cat), kind(ids))
				continue
			}
			for i, id := range list {
				if s, ok := id.(string); !ok || s == "" {
					v.fail(fmt.Sprintf("%s[%d]", cp, i), "佐证材料「%s」第 %d 项应为附件编号（文本）", fl.OptionLabel(cat), i+1)
				}
			}
			out[cat] = list
		}
		return out, true
	}
	v.fail(path, "%s的类型 %s 未知", name, fl.Type)
	return nil, false
}

func number(val any) (float64, bool) {
	switch n := val.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case float64:
		return n, !math.IsInf(n, 0) && !math.IsNaN(n)
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

func kind(val any) string {
	switch val.(type) {
	case string:
		return "文本"
	case bool:
		return "布尔值"
	case json.Number, float64, int64, int:
		return "数字"
	case []any:
		return "列表"
	case map[string]any:
		return "对象"
	}
	return fmt.Sprintf("%T", val)
}

func show(val any) string {
	if s, ok := val.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return kind(val)
}

func hasOption(opts []Option, key string) bool {
	for _, o := range opts {
		if o.Key == key {
			return true
		}
	}
	return false
}

func optionList(opts []Option) string {
	parts := make([]string, len(opts))
	for i, o := range opts {
		parts[i] = fmt.Sprintf("%s（%s）", o.Key, o.Label)
	}
	return strings.Join(parts, "、")
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

// CountChars counts the code points of s that are not white space: the form's "字".
func CountChars(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// Lookup returns the value at a dotted key in a document, and whether it is present.
func Lookup(doc Document, key string) (any, bool) {
	var cur any = map[string]any(doc)
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[part]
		if !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// Set sets the value at a dotted key, creating objects on the way; a nil value
// removes the key.
func Set(doc Document, key string, val any) {
	parts := strings.Split(key, ".")
	m := map[string]any(doc)
	for _, part := range parts[:len(parts)-1] {
		next, ok := m[part].(map[string]any)
		if !ok {
			next = make(map[string]any)
			m[part] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if val == nil {
		delete(m, last)
		return
	}
	m[last] = val
}
