package xlsx

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"biopilot/program"
)

// cellInput is one non-empty cell: its raw value, and lazily whether it holds a
// number and whether its number format shows a date (both cost a look-up).
type cellInput struct {
	raw     string
	numeric func() bool
	date    func() bool
}

// convert converts a cell to a column's type. It returns the value, or a Chinese
// message saying what was expected and what was found.
func convert(col *program.Field, c cellInput) (any, string) {
	s := strings.TrimFunc(c.raw, isSpace)
	switch col.Type {
	case program.TypeText:
		return s, ""
	case program.TypeInteger, program.TypeNumber:
		return convertNumber(col, s)
	case program.TypeDate, program.TypeMonth:
		return convertDate(col, s, c)
	case program.TypeEnum:
		if key, ok := option(col.Options, s); ok {
			return key, ""
		}
		return nil, fmt.Sprintf("应为以下之一：%s；实际为「%s」", optionLabels(col.Options, "、"), clip(s))
	case program.TypeSet:
		var keys []any
		seen := make(map[string]bool)
		for _, part := range splitList(s, "、,，;；/\n") {
			key, ok := option(col.Options, part)
			if !ok {
				return nil, fmt.Sprintf("「%s」不是可选项；可选：%s", clip(part), optionLabels(col.Options, "、"))
			}
			if !seen[key] {
				seen[key] = true
				keys = append(keys, key)
			}
		}
		return keys, ""
	case program.TypeBool:
		switch strings.ToLower(s) {
		case strings.ToLower(trueLabel(col)), "是", "true", "1", "y", "yes":
			return true, ""
		case strings.ToLower(falseLabel(col)), "否", "false", "0", "n", "no":
			return false, ""
		}
		return nil, fmt.Sprintf("应为「%s」或「%s」，实际为「%s」", trueLabel(col), falseLabel(col), clip(s))
	case program.TypeList:
		var items []any
		for _, part := range splitList(s, "\n;；") {
			items = append(items, part)
		}
		return items, ""
	}
	return nil, fmt.Sprintf("该列的类型 %s 不能从 Excel 导入", col.Type)
}

// numberChars are the characters of a plain decimal number.
var numberChars = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

func convertNumber(col *program.Field, s string) (any, string) {
	what := "数字"
	if col.Type == program.TypeInteger {
		what = "整数"
	}
	t := foldWidth(s)
	t = strings.NewReplacer(",", "", " ", "").Replace(t)
	if col.Unit != "" {
		t = strings.TrimSuffix(strings.TrimSpace(t), col.Unit)
	}
	if !numberChars.MatchString(t) {
		return nil, fmt.Sprintf("应为%s，实际为「%s」", what, clip(s))
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return nil, fmt.Sprintf("应为%s，实际为「%s」", what, clip(s))
	}
	if col.Min != nil && n < *col.Min {
		return nil, fmt.Sprintf("不能小于 %s，实际为 %s", fmtNum(*col.Min), fmtNum(n))
	}
	if col.Max != nil && n > *col.Max {
		return nil, fmt.Sprintf("不能大于 %s，实际为 %s", fmtNum(*col.Max), fmtNum(n))
	}
	if col.Type == program.TypeInteger {
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return nil, fmt.Sprintf("应为整数，实际为「%s」", clip(s))
		}
		return int64(n), ""
	}
	return n, ""
}

// Date forms accepted as text, after white space is removed and widths folded.
var (
	reDate      = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	reDateCN    = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日?$`)
	reDateFlat  = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	reMonth     = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})$`)
	reMonthCN   = regexp.MustCompile(`^(\d{4})年(\d{1,2})月?$`)
	reMonthFlat = regexp.MustCompile(`^(\d{4})(\d{2})$`)
	reISOTime   = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})T[0-9:.]+(Z|[+-]\d{2}:\d{2})?$`)
)

func convertDate(col *program.Field, s string, c cellInput) (any, string) {
	month := col.Type == program.TypeMonth
	want, layout := "日期（YYYY-MM-DD，如 2024-03-15）", "YYYY-MM-DD"
	if month {
		want, layout = "年月（YYYY-MM，如 2021-03）", "YYYY-MM"
	}
	t := strings.Map(func(r rune) rune {
		if isSpace(r) {
			return -1
		}
		return r
	}, foldWidth(s))
	if m := reISOTime.FindStringSubmatch(t); m != nil {
		t = m[1] // a cell of type "d" holds an ISO 8601 time
	}
	if numberChars.MatchString(t) && c.numeric() {
		if c.date() {
			serial, err := strconv.ParseFloat(t, 64)
			if err != nil || serial < 1 {
				return nil, fmt.Sprintf("应为%s，实际为无效的 Excel 日期「%s」", want, clip(s))
			}
			d, err := excelize.ExcelDateToTime(serial, false)
			if err != nil || d.Year() < 1900 || d.Year() > 2100 {
				return nil, fmt.Sprintf("应为%s，实际为无效的 Excel 日期「%s」", want, clip(s))
			}
			if month {
				return d.Format("2006-01"), ""
			}
			return d.Format("2006-01-02"), ""
		}
		if !reDateFlat.MatchString(t) && !(month && reMonthFlat.MatchString(t)) {
			return nil, fmt.Sprintf("应为%s，实际为数字「%s」；请将单元格设为文本格式后按 %s 填写", want, clip(s), layout)
		}
	}
	var y, m, d string
	for _, re := range []*regexp.Regexp{reDate, reDateCN, reDateFlat} {
		if g := re.FindStringSubmatch(t); g != nil {
			y, m, d = g[1], g[2], g[3]
			break
		}
	}
	if y == "" {
		for _, re := range []*regexp.Regexp{reMonth, reMonthCN, reMonthFlat} {
			if g := re.FindStringSubmatch(t); g != nil {
				y, m = g[1], g[2]
				break
			}
		}
		if y != "" && !month {
			return nil, fmt.Sprintf("应为完整的%s，实际为「%s」，只到月份", want, clip(s))
		}
	}
	if y == "" {
		return nil, fmt.Sprintf("应为%s，实际为「%s」", want, clip(s))
	}
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di := 1
	if d != "" {
		di, _ = strconv.Atoi(d)
	}
	date := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if yi < 1900 || yi > 2100 || mi < 1 || mi > 12 || date.Day() != di {
		return nil, fmt.Sprintf("应为%s，实际为不存在的日期「%s」", want, clip(s))
	}
	if month {
		return date.Format("2006-01"), ""
	}
	return date.Format("2006-01-02"), ""
}

// option finds an option by its label (ignoring white space) or its key (ignoring
// case).
func option(opts []program.Option, s string) (string, bool) {
	t := strings.Map(func(r rune) rune {
		if isSpace(r) {
			return -1
		}
		return r
	}, s)
	for _, o := range opts {
		if t == o.Label {
			return o.Key, true
		}
	}
	for _, o := range opts {
		if strings.EqualFold(t, o.Key) {
			return o.Key, true
		}
	}
	return "", false
}

// splitList splits s at any of the separators, dropping empty parts.
func splitList(s, seps string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimFunc(p, isSpace); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// foldWidth turns full-width digits, signs and points into ASCII.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '．':
			return '.'
		case r == '－' || r == '—' || r == '−':
			return '-'
		case r == '＋':
			return '+'
		case r == '，':
			return ','
		case r == '／':
			return '/'
		}
		return r
	}, s)
}

func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

// isDateFormat reports whether a number format shows a date: a built-in date
// format, or a custom one with year or day in it.
func isDateFormat(id int, custom string) bool {
	switch {
	case id >= 14 && id <= 17, id == 22, id >= 27 && id <= 31, id >= 34 && id <= 36, id >= 50 && id <= 58:
		return true
	}
	if custom == "" {
		return false
	}
	var b strings.Builder
	quoted := false
	bracket := false
	esc := false
	for _, r := range custom {
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '[':
			bracket = true
		case r == ']':
			bracket = false
		case bracket:
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	f := b.String()
	if strings.Contains(f, "general") {
		return false
	}
	return strings.ContainsAny(f, "yd年月日")
}
