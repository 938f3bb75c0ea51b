package program

import (
	"fmt"
	"strings"
	"time"
)

// Jurisdiction levels, from the top of the tree down.
const (
	LevelCountry  = "country"
	LevelProvince = "province"
	LevelCity     = "city"
)

// levelRank orders the levels: a child's rank is strictly greater than its parent's.
var levelRank = map[string]int{LevelCountry: 0, LevelProvince: 1, LevelCity: 2}

// Jurisdiction is one node of the tree of jurisdictions: the country (the ministry's
// deployment), a province, or a prefecture-level city (GB/T 2260 codes). A national
// deployment's tree is rooted at the country and receives recommendations from its
// provinces; a provincial one is rooted at the province and receives from its cities.
type Jurisdiction struct {
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	Level    string          `json:"level"`
	Children []*Jurisdiction `json:"children,omitempty"`
	// MIIT and DRC name a province's two authorities (广东省工业和信息化厅,
	// 广东省发展和改革委员会); see ProvinceAuthorities. Abbr is the province's
	// abbreviation in application numbers (GD, JS); see NumberPrefix.
	MIIT string `json:"miit,omitempty"`
	DRC  string `json:"drc,omitempty"`
	Abbr string `json:"abbr,omitempty"`
}

// jurIndex indexes the tree by code; built once at load time, then read only.
type jurIndex struct {
	root   *Jurisdiction
	byCode map[string]*Jurisdiction
	parent map[string]*Jurisdiction
}

// Evaluation is the national stage of a program: expert review, the score sheet,
// the public notice (公示) and what the public directory shows.
type Evaluation struct {
	// ExpertsPerApplication is how many experts score each application (default 5).
	ExpertsPerApplication int `json:"experts_per_application"`
	// Aggregation is "mean" or "trimmed_mean" (drop one highest and one lowest total;
	// needs at least 3 scores). Default "mean".
	Aggregation string `json:"aggregation"`
	// ScoreSheet is the criteria each expert scores.
	ScoreSheet []Criterion `json:"score_sheet"`
	// NoticeWorkingDays is the length of the public notice in working days (default 5).
	NoticeWorkingDays int `json:"notice_working_days"`
	// Holidays are public holidays falling on weekdays or weekends (YYYY-MM-DD): no work.
	Holidays []string `json:"holidays"`
	// ExtraWorkdays are weekend days worked in exchange for a holiday (调休上班).
	ExtraWorkdays []string `json:"extra_workdays"`
	// CalendarNote says where the holiday calendar comes from (to be checked each year).
	CalendarNote string `json:"calendar_note,omitempty"`
	// PublicFields are the document keys shown in the public directory. A pattern is a
	// dotted key whose segments may be "*" (any key at that level) and may end in "[]"
	// (a table or list: each row). Anything not listed is never shown.
	PublicFields []string `json:"public_fields"`
}

// Criterion is one line of the score sheet.
type Criterion struct {
	Key       string  `json:"key"`
	Label     string  `json:"label"`
	MaxPoints float64 `json:"max_points"`
	// Weight multiplies the points in the total (default 1).
	Weight   float64 `json:"weight"`
	Guidance string  `json:"guidance,omitempty"`
}

// Aggregation methods.
const (
	AggregateMean        = "mean"
	AggregateTrimmedMean = "trimmed_mean"
)

// Evaluation defaults.
const (
	DefaultExpertsPerApplication = 5
	DefaultNoticeWorkingDays     = 5
)

// Eval returns the evaluation section with its defaults; a program without one gets
// the defaults and an empty score sheet.
func (p *Program) Eval() Evaluation {
	var e Evaluation
	if p.Evaluation != nil {
		e = *p.Evaluation
	}
	if e.ExpertsPerApplication == 0 {
		e.ExpertsPerApplication = DefaultExpertsPerApplication
	}
	if e.Aggregation == "" {
		e.Aggregation = AggregateMean
	}
	if e.NoticeWorkingDays == 0 {
		e.NoticeWorkingDays = DefaultNoticeWorkingDays
	}
	return e
}

// MaxTotal is the highest weighted total of the score sheet.
func (e Evaluation) MaxTotal() float64 {
	var t float64
	for _, c := range e.ScoreSheet {
		t += c.MaxPoints * c.EffectiveWeight()
	}
	return t
}

// EffectiveWeight is the weight, 1 when not given.
func (c Criterion) EffectiveWeight() float64 {
	if c.Weight == 0 {
		return 1
	}
	return c.Weight
}

// initNational checks the optional national sections and indexes the jurisdictions.
// It runs before the cities check: a definition with a tree but no cities list gets
// its cities (and its province, when the root is one) from the tree.
func (p *Program) initNational() error {
	if p.JurisdictionTree == nil {
		p.jur = p.defaultIndex()
	} else {
		idx, err := indexTree(p.JurisdictionTree)
		if err != nil {
			return err
		}
		p.jur = idx
		if err := p.reconcileTree(); err != nil {
			return err
		}
	}
	if p.Evaluation != nil {
		if err := p.Evaluation.check(); err != nil {
			return err
		}
	}
	return nil
}

// defaultIndex builds the tree of a provincial program from Province and Cities.
func (p *Program) defaultIndex() *jurIndex {
	root := &Jurisdiction{Code: p.Province.Code, Name: p.Province.Name, Level: LevelProvince}
	for _, c := range p.Cities {
		root.Children = append(root.Children, &Jurisdiction{Code: c.Code, Name: c.Name, Level: LevelCity})
	}
	idx, err := indexTree(root)
	if err != nil { // duplicate city codes: index what can be indexed
		idx = &jurIndex{root: root, byCode: map[string]*Jurisdiction{root.Code: root}, parent: map[string]*Jurisdiction{}}
		for _, c := range root.Children {
			if idx.byCode[c.Code] == nil {
				idx.byCode[c.Code] = c
				idx.parent[c.Code] = root
			}
		}
	}
	return idx
}

// reconcileTree fills Province and Cities from the tree when they are absent, and
// checks that those given are in the tree.
func (p *Program) reconcileTree() error {
	root := p.jur.root
	if p.Province.Code == "" && root.Level == LevelProvince {
		p.Province.Code, p.Province.Name = root.Code, root.Name
	}
	if p.Province.Code != "" && p.jur.byCode[p.Province.Code] == nil {
		return fmt.Errorf("province.code %s 不在 jurisdictions 中", p.Province.Code)
	}
	if len(p.Cities) == 0 {
		p.walk(root, func(j *Jurisdiction) {
			if j.Level == LevelCity {
				p.Cities = append(p.Cities, City{Code: j.Code, Name: j.Name})
			}
		})
		return nil
	}
	for _, c := range p.Cities {
		if j := p.jur.byCode[c.Code]; j == nil || j.Level != LevelCity {
			return fmt.Errorf("cities 中的 %s（%s）不是 jurisdictions 中的地市", c.Code, c.Name)
		}
	}
	return nil
}

func (p *Program) walk(j *Jurisdiction, f func(*Jurisdiction)) {
	f(j)
	for _, c := range j.Children {
		p.walk(c, f)
	}
}

// indexTree checks a tree (codes unique, names present, levels descending) and
// indexes it.
func indexTree(root *Jurisdiction) (*jurIndex, error) {
	idx := &jurIndex{root: root, byCode: make(map[string]*Jurisdiction), parent: make(map[string]*Jurisdiction)}
	var visit func(j *Jurisdiction, where string, parent *Jurisdiction) error
	visit = func(j *Jurisdiction, where string, parent *Jurisdiction) error {
		if j == nil {
			return fmt.Errorf("%s 不能为 null", where)
		}
		if j.Code == "" || j.Name == "" {
			return fmt.Errorf("%s 缺少 code 或 name", where)
		}
		r, ok := levelRank[j.Level]
		if !ok {
			return fmt.Errorf("%s（%s）的 level %q 应为 country、province 或 city", where, j.Code, j.Level)
		}
		if parent != nil && r <= levelRank[parent.Level] {
			return fmt.Errorf("%s（%s）的级别 %s 应低于上级 %s 的级别 %s", where, j.Code, j.Level, parent.Code, parent.Level)
		}
		if idx.byCode[j.Code] != nil {
			return fmt.Errorf("%s 的 code %s 重复", where, j.Code)
		}
		idx.byCode[j.Code] = j
		if parent != nil {
			idx.parent[j.Code] = parent
		}
		for i, c := range j.Children {
			if err := visit(c, fmt.Sprintf("%s.children[%d]", where, i), j); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(root, "jurisdictions", nil); err != nil {
		return nil, err
	}
	return idx, nil
}

// index returns the jurisdiction index; a Program not made by the loader gets one
// built on the fly (never cached, so a Program stays safe to share).
func (p *Program) index() *jurIndex {
	if p.jur != nil {
		return p.jur
	}
	if p.JurisdictionTree != nil {
		if idx, err := indexTree(p.JurisdictionTree); err == nil {
			return idx
		}
	}
	return p.defaultIndex()
}

// RootJurisdiction is the top of the tree: the deployment's own jurisdiction.
func (p *Program) RootJurisdiction() *Jurisdiction { return p.index().root }

// Jurisdiction returns the jurisdiction with the given code, or nil.
func (p *Program) Jurisdiction(code string) *Jurisdiction { return p.index().byCode[code] }

// Parent returns the jurisdiction directly above code, or nil for the root or an
// unknown code.
func (p *Program) Parent(code string) *Jurisdiction { return p.index().parent[code] }

// Ancestors returns the jurisdictions above code, nearest first (a city's province,
// then its country); none for the root or an unknown code.
func (p *Program) Ancestors(code string) []*Jurisdiction {
	idx := p.index()
	var out []*Jurisdiction
	for j := idx.parent[code]; j != nil; j = idx.parent[j.Code] {
		out = append(out, j)
	}
	return out
}

// Contains reports whether code lies within ancestor: it is ancestor itself or below
// it in the tree. Unknown codes are contained in nothing.
func (p *Program) Contains(ancestor, code string) bool {
	idx := p.index()
	if idx.byCode[code] == nil || idx.byCode[ancestor] == nil {
		return false
	}
	for c := code; c != ""; {
		if c == ancestor {
			return true
		}
		par := idx.parent[c]
		if par == nil {
			return false
		}
		c = par.Code
	}
	return false
}

// Children returns the jurisdictions directly below code: for the root, those that
// send it recommendations (the provinces of a national deployment, the cities of a
// provincial one).
func (p *Program) Children(code string) []*Jurisdiction {
	if j := p.index().byCode[code]; j != nil {
		return j.Children
	}
	return nil
}

// Level returns the level of a code (country, province, city), or "" when unknown.
func (p *Program) Level(code string) string {
	if j := p.index().byCode[code]; j != nil {
		return j.Level
	}
	return ""
}

// check validates the evaluation section (positions are key paths in program.json).
func (e *Evaluation) check() error {
	if e.ExpertsPerApplication < 0 || e.ExpertsPerApplication > 50 {
		return fmt.Errorf("evaluation.experts_per_application 应在 1 至 50 之间，实际为 %d", e.ExpertsPerApplication)
	}
	switch e.Aggregation {
	case "", AggregateMean, AggregateTrimmedMean:
	default:
		return fmt.Errorf("evaluation.aggregation %q 应为 mean 或 trimmed_mean", e.Aggregation)
	}
	if e.Aggregation == AggregateTrimmedMean && e.ExpertsPerApplication != 0 && e.ExpertsPerApplication < 3 {
		return fmt.Errorf("evaluation.aggregation 为 trimmed_mean 时 experts_per_application 至少为 3")
	}
	if e.NoticeWorkingDays < 0 || e.NoticeWorkingDays > 60 {
		return fmt.Errorf("evaluation.notice_working_days 应在 1 至 60 之间，实际为 %d", e.NoticeWorkingDays)
	}
	keys := make(map[string]bool)
	for i, c := range e.ScoreSheet {
		where := fmt.Sprintf("evaluation.score_sheet[%d]", i)
		switch {
		case c.Key == "" || c.Label == "":
			return fmt.Errorf("%s 缺少 key 或 label", where)
		case keys[c.Key]:
			return fmt.Errorf("%s 的 key %s 重复", where, c.Key)
		case c.MaxPoints <= 0:
			return fmt.Errorf("%s（%s）的 max_points 应大于 0", where, c.Label)
		case c.Weight < 0:
			return fmt.Errorf("%s（%s）的 weight 不能为负数", where, c.Label)
		}
		keys[c.Key] = true
	}
	seen := make(map[string]string)
	for name, days := range map[string][]string{"holidays": e.Holidays, "extra_workdays": e.ExtraWorkdays} {
		for i, d := range days {
			t, err := time.Parse("2006-01-02", d)
			if err != nil {
				return fmt.Errorf("evaluation.%s[%d] %q 应为 YYYY-MM-DD 日期", name, i, d)
			}
			if other, dup := seen[d]; dup {
				return fmt.Errorf("evaluation.%s[%d] %s 已在 %s 中", name, i, d, other)
			}
			seen[d] = name
			if wd := t.Weekday(); name == "extra_workdays" && wd != time.Saturday && wd != time.Sunday {
				return fmt.Errorf("evaluation.extra_workdays[%d] %s 不是周末（调休上班日应为周六或周日）", i, d)
			}
		}
	}
	for i, f := range e.PublicFields {
		if err := checkPattern(f); err != nil {
			return fmt.Errorf("evaluation.public_fields[%d] %q：%v", i, f, err)
		}
	}
	return nil
}

// checkPattern checks the syntax of a public-field pattern.
func checkPattern(pat string) error {
	if pat == "" {
		return fmt.Errorf("不能为空")
	}
	for _, seg := range strings.Split(pat, ".") {
		name := strings.TrimSuffix(seg, "[]")
		if name == "" || strings.ContainsAny(name, "[]") || (strings.Contains(name, "*") && name != "*") {
			return fmt.Errorf("段 %q 应为键名、* 或其后加 []", seg)
		}
	}
	return nil
}

// checkPublicFields checks, once the form is loaded, that every public-field pattern
// names at least one field of the form (a typo would silently hide data).
func (p *Program) checkPublicFields() error {
	if p.Evaluation == nil || p.Form == nil {
		return nil
	}
	var keys []string
	for _, fl := range p.Form.Fields {
		keys = append(keys, fl.Key)
		for _, c := range fl.Columns {
			keys = append(keys, fl.Key+"[]."+c.Key)
		}
		if fl.Type == TypeList || fl.Type == TypeSet {
			keys = append(keys, fl.Key+"[]")
		}
	}
	for i, pat := range p.Evaluation.PublicFields {
		found := false
		for _, k := range keys {
			if patternMatchesKey(pat, k) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("evaluation.public_fields[%d] %q 不对应申请表中的任何字段", i, pat)
		}
	}
	return nil
}

// patternMatchesKey reports whether a pattern names a form key (tables written
// "key[].column"). A pattern naming a whole table or object matches its parts too.
func patternMatchesKey(pat, key string) bool {
	ps, ks := splitPattern(pat), splitPattern(key)
	if len(ps) > len(ks) {
		return false
	}
	for i, p := range ps {
		if p != "*" && p != ks[i] {
			return false
		}
	}
	return true
}

// splitPattern splits "equipment.*[].name" into equipment, *, [], name.
func splitPattern(s string) []string {
	var out []string
	for _, seg := range strings.Split(s, ".") {
		if name, ok := strings.CutSuffix(seg, "[]"); ok {
			out = append(out, name, "[]")
		} else {
			out = append(out, seg)
		}
	}
	return out
}

// PublicFieldPatterns returns the program's public-field patterns, split into
// segments ("[]" is a segment of its own): for the national package's PublicView.
func (p *Program) PublicFieldPatterns() [][]string {
	if p.Evaluation == nil {
		return nil
	}
	out := make([][]string, 0, len(p.Evaluation.PublicFields))
	for _, f := range p.Evaluation.PublicFields {
		out = append(out, splitPattern(f))
	}
	return out
}
