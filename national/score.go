package national

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"biopilot"
	"biopilot/program"
)

// ScoreSheet is the program's list of criteria (program.Evaluation.ScoreSheet).
type ScoreSheet []program.Criterion

// Score is one expert's scores of one application, with a comment per criterion.
// Once submitted it is sealed: the store refuses any change.
type Score struct {
	ExpertID string
	AppID    string
	Points   map[string]float64 // criterion key → points
	Comments map[string]string  // criterion key → comment
}

// Validate checks a score against the sheet: every criterion scored between 0 and
// its maximum with a comment, and no unknown criterion. The error is an EINVALID
// *biopilot.Error listing every problem by criterion (Field "points.<key>" or
// "comments.<key>").
func (s ScoreSheet) Validate(sc Score) error {
	var fields []biopilot.FieldError
	for _, c := range s {
		p, ok := sc.Points[c.Key]
		switch {
		case !ok:
			fields = append(fields, biopilot.FieldError{Field: "points." + c.Key, Message: fmt.Sprintf("「%s」未评分", c.Label)})
		case math.IsNaN(p) || p < 0 || p > c.MaxPoints:
			fields = append(fields, biopilot.FieldError{Field: "points." + c.Key, Message: fmt.Sprintf("「%s」的得分应在 0 至 %s 分之间", c.Label, num(c.MaxPoints))})
		}
		if strings.TrimSpace(sc.Comments[c.Key]) == "" {
			fields = append(fields, biopilot.FieldError{Field: "comments." + c.Key, Message: fmt.Sprintf("「%s」需要填写评语", c.Label)})
		}
	}
	for _, kind := range []struct {
		prefix string
		keys   []string
	}{{"points.", keysOf(sc.Points)}, {"comments.", keysOf(sc.Comments)}} {
		for _, k := range kind.keys {
			if s.criterion(k) == nil {
				fields = append(fields, biopilot.FieldError{Field: kind.prefix + k, Message: fmt.Sprintf("评分表中没有「%s」这一项", k)})
			}
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &biopilot.Error{Code: biopilot.EINVALID, Message: fields[0].Message, Field: fields[0].Field, Fields: fields}
}

func (s ScoreSheet) criterion(key string) *program.Criterion {
	for i := range s {
		if s[i].Key == key {
			return &s[i]
		}
	}
	return nil
}

// Max is the highest possible total.
func (s ScoreSheet) Max() float64 {
	var t float64
	for _, c := range s {
		t += c.MaxPoints * c.EffectiveWeight()
	}
	return t
}

// Total is the weighted total of a score: Σ points × weight (weight 1 when not given).
func Total(s ScoreSheet, sc Score) float64 {
	var t float64
	for _, c := range s {
		t += sc.Points[c.Key] * c.EffectiveWeight()
	}
	return round2(t)
}

// ExpertTotal is one expert's total for an application.
type ExpertTotal struct {
	ExpertID string
	Total    float64
}

// Outlier is an expert total far from the others'.
type Outlier struct {
	ExpertID   string
	Total      float64
	OthersMean float64
	Deviation  float64 // Total − OthersMean
}

// Result is the aggregate of an application's scores. All values are rounded to two
// decimals; Score is what ranks.
type Result struct {
	AppID  string
	Method string
	// Count is the number of scores.
	Count int
	// Score is the value per the method: Trimmed when trimming applied, else Mean.
	Score float64
	// Mean is the plain mean of every total.
	Mean float64
	// Trimmed is the mean after dropping one highest and one lowest total (equal to
	// Mean when TrimApplied is false).
	Trimmed     float64
	TrimApplied bool
	Used        []string // experts whose totals count in Score
	Dropped     []string // [highest, lowest] when trimmed
	Totals      []ExpertTotal
	Min, Max    float64
	Spread      float64 // Max − Min
	StdDev      float64 // population standard deviation of the totals
	Outliers    []Outlier
	Note        string // why trimming did not apply, when it did not
}

// OutlierShare is the outlier rule: with at least three scores, an expert's total is
// an outlier when it differs from the mean of the other experts' totals by more than
// this share of the sheet's maximum (15 points on a 100-point sheet), so that the
// committee discusses it. With two scores the Spread says the same.
const OutlierShare = 0.15

// Aggregate combines the scores of one application per the method ("mean" or
// "trimmed_mean"). Trimming drops one highest and one lowest total (ties: the expert
// with the smaller ID is dropped) and needs at least three scores; with fewer the
// plain mean is used and Note says so. Scores of other applications are an error.
func Aggregate(sheet ScoreSheet, method string, scores []Score) (Result, error) {
	if method != program.AggregateMean && method != program.AggregateTrimmedMean {
		return Result{}, biopilot.FieldErrorf("aggregation", "汇总方式 %q 未知（应为 mean 或 trimmed_mean）", method)
	}
	if len(scores) == 0 {
		return Result{}, biopilot.Errorf(biopilot.EINVALID, "尚无专家评分，无法汇总")
	}
	r := Result{AppID: scores[0].AppID, Method: method, Count: len(scores)}
	seen := make(map[string]bool)
	for _, sc := range scores {
		if sc.AppID != r.AppID {
			return Result{}, biopilot.Errorf(biopilot.EINVALID, "汇总的评分属于不同的申报书（%s 与 %s）", r.AppID, sc.AppID)
		}
		if seen[sc.ExpertID] {
			return Result{}, biopilot.Errorf(biopilot.EINVALID, "专家 %s 对申报书 %s 有重复评分", sc.ExpertID, r.AppID)
		}
		seen[sc.ExpertID] = true
		r.Totals = append(r.Totals, ExpertTotal{sc.ExpertID, Total(sheet, sc)})
	}
	// Sorted by total, then expert ID: the first is the lowest, the last the highest.
	sorted := append([]ExpertTotal(nil), r.Totals...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Total != sorted[j].Total {
			return sorted[i].Total < sorted[j].Total
		}
		return sorted[i].ExpertID < sorted[j].ExpertID
	})
	all := totals(sorted)
	r.Mean = round2(mean(all))
	r.Min, r.Max = sorted[0].Total, sorted[len(sorted)-1].Total
	r.Spread = round2(r.Max - r.Min)
	r.StdDev = round2(stddev(all))
	used := sorted
	r.Trimmed = r.Mean
	if method == program.AggregateTrimmedMean {
		if len(sorted) >= 3 {
			high := len(sorted) - 1
			// Among equal highest totals, drop the one with the smallest expert ID.
			for high > 1 && sorted[high-1].Total == sorted[high].Total {
				high--
			}
			r.Dropped = []string{sorted[high].ExpertID, sorted[0].ExpertID}
			used = nil
			for i, t := range sorted {
				if i != 0 && i != high {
					used = append(used, t)
				}
			}
			r.Trimmed = round2(mean(totals(used)))
			r.TrimApplied = true
		} else {
			r.Note = fmt.Sprintf("仅有 %d 份评分，不足 3 份，未去掉最高分和最低分", len(sorted))
		}
	}
	for _, t := range used {
		r.Used = append(r.Used, t.ExpertID)
	}
	sort.Strings(r.Used)
	r.Score = r.Trimmed
	if len(sorted) >= 3 {
		limit := OutlierShare * sheet.Max()
		for i, t := range r.Totals {
			var others []float64
			for j, o := range r.Totals {
				if j != i {
					others = append(others, o.Total)
				}
			}
			m := mean(others)
			if d := t.Total - m; math.Abs(d) > limit {
				r.Outliers = append(r.Outliers, Outlier{t.ExpertID, t.Total, round2(m), round2(d)})
			}
		}
	}
	return r, nil
}

// Anonymous returns the result as an applicant may see it: the figures without any
// expert's identity (applicants never learn who reviewed them).
func (r Result) Anonymous() Result {
	out := r
	out.Used, out.Dropped = nil, nil
	out.Totals = make([]ExpertTotal, len(r.Totals))
	for i, t := range r.Totals {
		out.Totals[i] = ExpertTotal{Total: t.Total}
	}
	sort.Slice(out.Totals, func(i, j int) bool { return out.Totals[i].Total > out.Totals[j].Total })
	out.Outliers = make([]Outlier, len(r.Outliers))
	for i, o := range r.Outliers {
		o.ExpertID = ""
		out.Outliers[i] = o
	}
	if len(r.Outliers) == 0 {
		out.Outliers = nil
	}
	return out
}

// Entry is an application's score in one domain, to be ranked.
type Entry struct {
	AppID  string
	Domain string
	Score  float64
}

// Ranked is an entry's place in its domain.
type Ranked struct {
	AppID  string
	Domain string
	Score  float64
	Rank   int  // standard competition ranking: 1, 2, 2, 4
	Tied   bool // another application of the domain has the same score
}

// Rank ranks entries per domain, highest score first, with standard competition
// ranking (equal scores share a rank and the next rank skips: 1, 2, 2, 4) and ties
// marked. Scores are compared at two decimals. Domains come out in the order they
// first appear; within a rank, applications are ordered by ID. An application
// declaring several domains may be entered once per domain.
func Rank(entries []Entry) []Ranked {
	var order []string
	groups := make(map[string][]Entry)
	for _, e := range entries {
		if _, ok := groups[e.Domain]; !ok {
			order = append(order, e.Domain)
		}
		e.Score = round2(e.Score)
		groups[e.Domain] = append(groups[e.Domain], e)
	}
	var out []Ranked
	for _, d := range order {
		g := groups[d]
		sort.Slice(g, func(i, j int) bool {
			if g[i].Score != g[j].Score {
				return g[i].Score > g[j].Score
			}
			return g[i].AppID < g[j].AppID
		})
		start := len(out)
		for i, e := range g {
			rank := i + 1
			if i > 0 && e.Score == g[i-1].Score {
				rank = out[len(out)-1].Rank
			}
			out = append(out, Ranked{AppID: e.AppID, Domain: d, Score: e.Score, Rank: rank})
		}
		for i := start; i < len(out); i++ {
			if (i > start && out[i-1].Rank == out[i].Rank) || (i+1 < len(out) && out[i+1].Rank == out[i].Rank) {
				out[i].Tied = true
			}
		}
	}
	return out
}

// Committee decisions.
const (
	DecisionRecommend    = "recommend"     // 拟入选
	DecisionNotRecommend = "not_recommend" // 不予入选
)

// Decision is the evaluation committee's decision on one application.
type Decision struct {
	AppID   string
	Outcome string
	Reason  string
}

// Validate checks a decision: a known outcome and a reason.
func (d Decision) Validate() error {
	if d.Outcome != DecisionRecommend && d.Outcome != DecisionNotRecommend {
		return biopilot.FieldErrorf("outcome", "评审结论应为“拟入选”或“不予入选”")
	}
	if strings.TrimSpace(d.Reason) == "" {
		return biopilot.FieldErrorf("reason", "请填写评审委员会的决定理由")
	}
	return nil
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func totals(ts []ExpertTotal) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = t.Total
	}
	return out
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func stddev(xs []float64) float64 {
	m := mean(xs)
	var s float64
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func num(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}
