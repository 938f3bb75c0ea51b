package national

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"biopilot"
	"biopilot/program"
)

func sheet(t *testing.T) ScoreSheet {
	t.Helper()
	s := ScoreSheet(program.MustDefault().Eval().ScoreSheet)
	if len(s) != 5 || s.Max() != 100 {
		t.Fatalf("Guangdong score sheet: %d criteria, %v points", len(s), s.Max())
	}
	return s
}

// full returns a valid score whose total is the given share of each maximum.
func full(s ScoreSheet, expert string, share float64) Score {
	sc := Score{ExpertID: expert, AppID: "A1", Points: map[string]float64{}, Comments: map[string]string{}}
	for _, c := range s {
		sc.Points[c.Key] = c.MaxPoints * share
		sc.Comments[c.Key] = "评语"
	}
	return sc
}

func TestScoreValidate(t *testing.T) {
	s := sheet(t)
	first := s[0]
	tests := []struct {
		name  string
		edit  func(sc *Score)
		field string // "" when valid
		msg   string
	}{
		{"valid", func(sc *Score) {}, "", ""},
		{"max is allowed", func(sc *Score) { sc.Points[first.Key] = first.MaxPoints }, "", ""},
		{"missing", func(sc *Score) { delete(sc.Points, first.Key) }, "points." + first.Key, "「技术设备条件」未评分"},
		{"over max", func(sc *Score) { sc.Points[first.Key] = first.MaxPoints + 0.5 }, "points." + first.Key, "0 至 30 分"},
		{"negative", func(sc *Score) { sc.Points[first.Key] = -1 }, "points." + first.Key, "0 至 30 分"},
		{"no comment", func(sc *Score) { sc.Comments[first.Key] = "  " }, "comments." + first.Key, "需要填写评语"},
		{"unknown criterion", func(sc *Score) { sc.Points["bonus"] = 5 }, "points.bonus", "没有「bonus」"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := full(s, "x", 0.5)
			tt.edit(&sc)
			err := s.Validate(sc)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			e, ok := err.(*biopilot.Error)
			if !ok || e.Code != biopilot.EINVALID || e.Field != tt.field || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("err = %#v, want EINVALID on %s containing %q", err, tt.field, tt.msg)
			}
		})
	}
}

func TestTotalWeights(t *testing.T) {
	s := ScoreSheet{{Key: "a", Label: "甲", MaxPoints: 10, Weight: 2}, {Key: "b", Label: "乙", MaxPoints: 10}}
	sc := Score{Points: map[string]float64{"a": 7.5, "b": 3}}
	if got := Total(s, sc); got != 18 {
		t.Errorf("Total = %v, want 7.5×2 + 3×1 = 18", got)
	}
	if s.Max() != 30 {
		t.Errorf("Max = %v, want 30", s.Max())
	}
}

func scoresOf(s ScoreSheet, totals map[string]float64) []Score {
	var out []Score
	for _, id := range slices.Sorted(maps.Keys(totals)) {
		out = append(out, full(s, id, totals[id]/100))
	}
	return out
}

func TestAggregate(t *testing.T) {
	s := sheet(t)
	tests := []struct {
		name     string
		method   string
		totals   map[string]float64
		score    float64
		trimmed  bool
		dropped  []string
		spread   float64
		outliers []string
	}{
		{"mean of 2", program.AggregateMean, map[string]float64{"e1": 80, "e2": 70}, 75, false, nil, 10, nil},
		{"trimmed with 2 falls back", program.AggregateTrimmedMean, map[string]float64{"e1": 80, "e2": 70}, 75, false, nil, 10, nil},
		{"trimmed of 3", program.AggregateTrimmedMean, map[string]float64{"e1": 90, "e2": 70, "e3": 80}, 80, true, []string{"e1", "e2"}, 20, nil},
		{"trimmed of 5 with an outlier", program.AggregateTrimmedMean, map[string]float64{"e1": 82, "e2": 80, "e3": 84, "e4": 50, "e5": 86}, 82, true, []string{"e5", "e4"}, 36, []string{"e4"}},
		{"mean of 5", program.AggregateMean, map[string]float64{"e1": 82, "e2": 80, "e3": 84, "e4": 50, "e5": 86}, 76.4, false, nil, 36, []string{"e4"}},
		{"tied extremes drop the smaller ID", program.AggregateTrimmedMean, map[string]float64{"e1": 80, "e2": 80, "e3": 70, "e4": 70, "e5": 75}, 75, true, []string{"e1", "e3"}, 10, nil},
		{"all equal", program.AggregateTrimmedMean, map[string]float64{"e1": 80, "e2": 80, "e3": 80}, 80, true, []string{"e2", "e1"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Aggregate(s, tt.method, scoresOf(s, tt.totals))
			if err != nil {
				t.Fatal(err)
			}
			if r.Score != tt.score || r.TrimApplied != tt.trimmed || !slices.Equal(r.Dropped, tt.dropped) || r.Spread != tt.spread {
				t.Errorf("got score %v trimmed %v dropped %v spread %v; want %v %v %v %v", r.Score, r.TrimApplied, r.Dropped, r.Spread, tt.score, tt.trimmed, tt.dropped, tt.spread)
			}
			var outl []string
			for _, o := range r.Outliers {
				outl = append(outl, o.ExpertID)
			}
			if !slices.Equal(outl, tt.outliers) {
				t.Errorf("outliers = %v, want %v", outl, tt.outliers)
			}
			if len(r.Used)+len(r.Dropped) != len(tt.totals) {
				t.Errorf("used %v + dropped %v ≠ %d scores", r.Used, r.Dropped, len(tt.totals))
			}
			if tt.method == program.AggregateTrimmedMean && !tt.trimmed && !strings.Contains(r.Note, "不足 3 份") {
				t.Errorf("note = %q, want it to say why trimming did not apply", r.Note)
			}
		})
	}
}

func TestAggregateStdDevAndErrors(t *testing.T) {
	s := sheet(t)
	r, err := Aggregate(s, program.AggregateMean, scoresOf(s, map[string]float64{"e1": 60, "e2": 80}))
	if err != nil || r.StdDev != 10 || r.Min != 60 || r.Max != 80 {
		t.Errorf("r = %+v, err %v; want SD 10, min 60, max 80", r, err)
	}
	other := full(s, "e9", 0.5)
	other.AppID = "A2"
	dup := full(s, "e1", 0.5)
	for name, sc := range map[string][]Score{
		"none":      nil,
		"other app": {full(s, "e1", 0.5), other},
		"duplicate": {full(s, "e1", 0.5), dup},
	} {
		if _, err := Aggregate(s, program.AggregateMean, sc); biopilot.ErrorCode(err) != biopilot.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	if _, err := Aggregate(s, "median", scoresOf(s, map[string]float64{"e1": 1})); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("unknown method: err = %v", err)
	}
}

func TestRank(t *testing.T) {
	got := Rank([]Entry{
		{"A1", "enzymes", 88}, {"A2", "enzymes", 91.004}, {"A3", "enzymes", 88},
		{"A4", "enzymes", 70}, {"A5", "energy", 60}, {"A2", "energy", 91}, {"A6", "enzymes", 90.996},
	})
	want := []Ranked{
		{"A2", "enzymes", 91, 1, true}, {"A6", "enzymes", 91, 1, true},
		{"A1", "enzymes", 88, 3, true}, {"A3", "enzymes", 88, 3, true},
		{"A4", "enzymes", 70, 5, false},
		{"A2", "energy", 91, 1, false}, {"A5", "energy", 60, 2, false},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Rank =\n%v\nwant\n%v", got, want)
	}
}

func TestDecisionValidate(t *testing.T) {
	tests := []struct {
		d     Decision
		field string
	}{
		{Decision{"A1", DecisionRecommend, "综合得分位列领域前列"}, ""},
		{Decision{"A1", "maybe", "x"}, "outcome"},
		{Decision{"A1", DecisionNotRecommend, " "}, "reason"},
	}
	for _, tt := range tests {
		err := tt.d.Validate()
		var field string
		if e, ok := err.(*biopilot.Error); ok {
			field = e.Field
		}
		if (err == nil) != (tt.field == "") || field != tt.field {
			t.Errorf("%+v: err = %v, want field %q", tt.d, err, tt.field)
		}
	}
}

func TestResultAnonymous(t *testing.T) {
	s := sheet(t)
	r, err := Aggregate(s, program.AggregateTrimmedMean, scoresOf(s, map[string]float64{"e1": 82, "e2": 80, "e3": 84, "e4": 50, "e5": 86}))
	if err != nil {
		t.Fatal(err)
	}
	an := r.Anonymous()
	data := fmt.Sprintf("%+v", an)
	for _, id := range []string{"e1", "e2", "e3", "e4", "e5"} {
		if strings.Contains(data, id) {
			t.Errorf("anonymous result names expert %s: %s", id, data)
		}
	}
	if an.Score != r.Score || len(an.Totals) != 5 || an.Totals[0].Total != 86 || len(an.Outliers) != 1 {
		t.Errorf("anonymous result lost figures: %+v", an)
	}
	if r.Totals[0].ExpertID == "" {
		t.Error("Anonymous changed the original")
	}
}
