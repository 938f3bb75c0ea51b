package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"biopilot"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of 4", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 1..100", ms(hundred...), 95, 95 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"p0 is the minimum", ms(5, 6), 0, 5 * time.Millisecond},
	} {
		if got := percentile(c.in, c.p); got != c.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	var s []sample
	for i := 1; i <= 100; i++ {
		var err error
		if i%50 == 0 {
			err = errors.New("boom")
		}
		s = append(s, sample{time.Duration(i) * time.Millisecond, err})
	}
	r := summarize(s, 2*time.Second)
	if r.Requests != 100 || r.RPS != 50 || r.P50MS != 50 || r.P95MS != 95 || r.P99MS != 99 ||
		r.Errors != 2 || r.FirstError != "boom" {
		t.Errorf("summarize = %+v", r)
	}
}

func TestStateShare(t *testing.T) {
	total := 0
	for _, s := range stateShare {
		total += s.pct
		if _, ok := paths[s.state]; !ok {
			t.Errorf("no history path to %s", s.state)
		}
	}
	if total != 100 {
		t.Errorf("shares add up to %d%%", total)
	}
	counts := map[biopilot.State]int{}
	for i := 0; i < 1000; i++ {
		counts[stateOf(i)]++
	}
	for _, s := range stateShare {
		if counts[s.state] != s.pct*10 {
			t.Errorf("%s: %d of 1000, want %d", s.state, counts[s.state], s.pct*10)
		}
	}
	// Each path is a chain from draft ending in its state.
	for st, p := range paths {
		if len(p) > 0 && p[len(p)-1].to != st {
			t.Errorf("path to %s ends in %s", st, p[len(p)-1].to)
		}
	}
}

// TestRunSmall runs the whole capacity test, small and short: every operation is
// measured over real HTTP without an error, and the JSON has the names.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the capacity test")
	}
	var logs bytes.Buffer
	res, err := Run(context.Background(), Options{Apps: 400, Concurrency: 4,
		Duration: 300 * time.Millisecond, Warmup: 250 * time.Millisecond, // the first renders of the PDF are slow
		Logf: func(f string, a ...any) { logs.WriteString(f + "\n") }})
	if err != nil {
		t.Fatal(err)
	}
	if res.BaselineRPS <= 0 || res.CommitBaselinePerS <= 0 {
		t.Errorf("baselines %v, %v", res.BaselineRPS, res.CommitBaselinePerS)
	}
	for _, op := range Operations {
		o, ok := res.Ops[op.Name]
		if !ok {
			if op.Name == OpFormPDF {
				continue // measured once the server has the endpoint (noted)
			}
			t.Errorf("%s not measured", op.Name)
			continue
		}
		if o.Requests == 0 || o.RPS <= 0 || o.Errors != 0 || o.P50MS <= 0 || o.P50MS > o.P95MS || o.P95MS > o.P99MS {
			t.Errorf("%s: %+v", op.Name, o)
		}
	}
	if res.Mixed.Requests == 0 || res.Mixed.Errors != 0 {
		t.Errorf("mixed: %+v", res.Mixed)
	}
	if res.RSSPeakMB <= 0 {
		t.Errorf("rss %v", res.RSSPeakMB)
	}
	if len(res.Targets) != 6 {
		t.Errorf("%d targets", len(res.Targets))
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	for _, k := range []string{"baseline_rps", "commit_baseline_per_s", "ops", "mixed", "rss_peak_mb"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON has no %s", k)
		}
	}
	mixed := m["mixed"].(map[string]any)
	for _, k := range []string{"rps", "p99_ms", "errors"} {
		if _, ok := mixed[k]; !ok {
			t.Errorf("mixed has no %s", k)
		}
	}
	as := m["ops"].(map[string]any)[OpAutosave].(map[string]any)
	for _, k := range []string{"rps", "p50_ms", "p95_ms", "p99_ms", "errors"} {
		if _, ok := as[k]; !ok {
			t.Errorf("ops.autosave has no %s", k)
		}
	}
	var table bytes.Buffer
	if err := res.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"autosave", "reviewer_list", "mixed", "baseline_rps", "目标"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(logs.String(), "写入") {
		t.Errorf("no progress reported: %s", logs.String())
	}
}
