package annual

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"biopilot"
	"biopilot/program"
)

// Validate checks a report document against the program's annual form, as
// program.Form does for an application: unknown keys, wrong types and out-of-range
// values are an EINVALID *biopilot.Error listing every problem by key path, with
// Chinese messages naming the field. An incomplete report is fine (see Complete).
// The attached targets (TargetsKey) are checked for shape and kept. It returns the
// normalised document (integers int64, numbers float64).
func Validate(p *program.Program, doc map[string]any) (program.Document, error) {
	f := p.AnnualForm()
	if f == nil {
		return nil, biopilot.Errorf(biopilot.EINVALID, "本项目未定义年度报告")
	}
	rest := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != TargetsKey {
			rest[k] = v
		}
	}
	out, err := f.Normalize(rest)
	var fields []biopilot.FieldError
	if err != nil {
		e := biopilot.AsError(err)
		if e == nil || len(e.Fields) == 0 {
			return nil, err
		}
		fields = e.Fields
	}
	if v, ok := doc[TargetsKey]; ok && v != nil {
		if errs := checkTargets(p, v); len(errs) > 0 {
			fields = append(fields, errs...)
		} else if out != nil {
			out[TargetsKey] = clone(v)
		}
	}
	if len(fields) > 0 {
		return nil, fieldsError(fields)
	}
	return out, nil
}

// checkTargets checks the shape of attached targets: a list of objects whose key is
// one of the program's application targets and whose target is a number.
func checkTargets(p *program.Program, v any) []biopilot.FieldError {
	bad := func(path, format string, args ...any) []biopilot.FieldError {
		return []biopilot.FieldError{{Field: path, Message: fmt.Sprintf(format, args...)}}
	}
	list, ok := v.([]any)
	if !ok {
		return bad(TargetsKey, "「量化目标」(%s) 应为列表", TargetsKey)
	}
	known := make(map[string]bool)
	for _, it := range p.Annual.ApplicationTargets.Items {
		known[it.Key] = true
	}
	for i, e := range list {
		path := fmt.Sprintf("%s[%d]", TargetsKey, i)
		m, ok := e.(map[string]any)
		if !ok {
			return bad(path, "「量化目标」第 %d 项应为对象", i+1)
		}
		if k, _ := m["key"].(string); !known[k] {
			return bad(path+".key", "「量化目标」第 %d 项的 key %v 不是本项目的量化目标", i+1, m["key"])
		}
		if _, ok := Number(m["target"]); !ok {
			return bad(path+".target", "「量化目标」第 %d 项的目标值应为数字", i+1)
		}
	}
	return nil
}

// Complete checks that a report is ready to submit: every required field of the
// annual form is filled in, and every row of a table has its first text column and
// every enum column (an incident needs its kind and description). The error is an
// EINVALID *biopilot.Error listing every missing field in Chinese.
func Complete(p *program.Program, doc program.Document) error {
	f := p.AnnualForm()
	if f == nil {
		return biopilot.Errorf(biopilot.EINVALID, "本项目未定义年度报告")
	}
	var fields []biopilot.FieldError
	for _, fl := range f.Fields {
		v, ok := program.Lookup(doc, fl.Key)
		if fl.Required && (!ok || v == "") {
			fields = append(fields, biopilot.FieldError{Field: fl.Key, Message: fmt.Sprintf("「%s」(%s) 未填写", fl.Label, fl.Key)})
			continue
		}
		if fl.Type != program.TypeTable {
			continue
		}
		rows, _ := v.([]any)
		for i, r := range rows {
			row, _ := r.(map[string]any)
			for _, c := range rowRequired(fl) {
				if val, ok := row[c.Key]; !ok || val == nil || val == "" {
					path := fmt.Sprintf("%s[%d].%s", fl.Key, i, c.Key)
					fields = append(fields, biopilot.FieldError{Field: path,
						Message: fmt.Sprintf("「%s」第 %d 行的「%s」未填写", fl.Label, i+1, c.Label)})
				}
			}
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return fieldsError(fields)
}

// rowRequired are the columns a table row must have: its first text column (the
// name or description of the row) and every enum column.
func rowRequired(tbl *program.Field) []*program.Field {
	var out []*program.Field
	text := false
	for _, c := range tbl.Columns {
		switch {
		case c.Type == program.TypeEnum:
			out = append(out, c)
		case c.Type == program.TypeText && !text:
			out = append(out, c)
			text = true
		}
	}
	return out
}

// fieldsError is an EINVALID error listing fields in key order; its message is the
// first one's, with the count of the others.
func fieldsError(fields []biopilot.FieldError) *biopilot.Error {
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	e := &biopilot.Error{Code: biopilot.EINVALID, Fields: fields, Field: fields[0].Field, Message: fields[0].Message}
	if len(fields) > 1 {
		e.Message = fmt.Sprintf("%s（另有 %d 处错误）", e.Message, len(fields)-1)
	}
	return e
}

// Star ratings.
const (
	MinStars = 1
	MaxStars = 5
	// MaxReasonChars limits a rating's reason and a removal's detail (字).
	MaxReasonChars = 1000
)

// ValidateRating checks a service star rating set by the ministry: 1 to 5 stars,
// a year, and a reason. Fields: "stars", "year", "reason".
func ValidateRating(stars, year int, reason string) error {
	switch {
	case stars < MinStars || stars > MaxStars:
		return biopilot.FieldErrorf("stars", "「服务星级」应为 %d 至 %d 星，实际为 %d", MinStars, MaxStars, stars)
	case year < 2000 || year > 2100:
		return biopilot.FieldErrorf("year", "「评价年度」应为 2000 至 2100 之间的年份，实际为 %d", year)
	}
	return checkReason("reason", "评定理由", reason)
}

// Removal grounds (除名); the same values as store.Removal*.
const (
	GroundsBelowRequirements = "below_requirements"
	GroundsViolation         = "violation"
)

// Grounds are the removal grounds with their Chinese labels, in order.
var Grounds = []program.Option{
	{Key: GroundsBelowRequirements, Label: "年度评价不达标"},
	{Key: GroundsViolation, Label: "存在知识产权、安全、环保、质量等严重违法违规行为"},
}

// GroundsLabel is the Chinese label of removal grounds, or the key when unknown.
func GroundsLabel(key string) string {
	for _, g := range Grounds {
		if g.Key == key {
			return g.Label
		}
	}
	return key
}

// ValidateRemoval checks a removal (除名): known grounds and a detail saying why
// (which evaluation fell short, which violation). Fields: "grounds", "detail".
func ValidateRemoval(grounds, detail string) error {
	known := false
	for _, g := range Grounds {
		known = known || g.Key == grounds
	}
	if !known {
		labels := make([]string, len(Grounds))
		for i, g := range Grounds {
			labels[i] = g.Label
		}
		return biopilot.FieldErrorf("grounds", "「除名事由」应为以下之一：%s", strings.Join(labels, "；"))
	}
	return checkReason("detail", "除名情况说明", detail)
}

// checkReason checks a required free text of at most MaxReasonChars 字.
func checkReason(field, label, s string) error {
	switch n := program.CountChars(s); {
	case n == 0:
		return biopilot.FieldErrorf(field, "请填写「%s」", label)
	case n > MaxReasonChars:
		return biopilot.FieldErrorf(field, "「%s」不能超过 %d 字，实际为 %d 字", label, MaxReasonChars, n)
	case !utf8.ValidString(s):
		return biopilot.FieldErrorf(field, "「%s」含有无效字符", label)
	}
	return nil
}

// EvidenceCategory is the attachments category of a report's evidence of one kind:
// "annual-<year>:<key>" on the platform's application. The key must be one of the
// options of the annual form's evidence field (Field "category" otherwise).
func EvidenceCategory(p *program.Program, year int, key string) (string, error) {
	if f := p.AnnualForm(); f != nil {
		for _, fl := range f.Fields {
			if fl.Type == program.TypeAttachments && hasKey(fl.Options, key) {
				return fmt.Sprintf("annual-%d:%s", year, key), nil
			}
		}
	}
	return "", biopilot.FieldErrorf("category", "佐证材料类别 %q 不是年度报告的佐证材料类别", key)
}

func hasKey(opts []program.Option, key string) bool {
	for _, o := range opts {
		if o.Key == key {
			return true
		}
	}
	return false
}
