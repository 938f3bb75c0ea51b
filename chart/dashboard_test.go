package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"biopilot/annual"
	"biopilot/program"
)

func TestForDashboard(t *testing.T) {
	p := program.MustNamed("cn-2025")
	d, err := annual.Build(p, []annual.Platform{
		{AppID: 1, Province: "440000", Domains: []string{"enzymes"}, ListedYear: 2025},
		{AppID: 2, Province: "320000", Domains: []string{"enzymes", "biopharma"}, ListedYear: 2026},
	}, []annual.Report{
		{AppID: 1, Year: 2026, Figures: map[string]float64{"services.enterprises": 20, "services.products_incubated": 30}},
		{AppID: 2, Year: 2026, Figures: map[string]float64{"services.enterprises": 9, "services.products_incubated": 4}},
	}, 2026)
	if err != nil {
		t.Fatal(err)
	}
	cs := ForDashboard(d)
	if len(cs) != 3 || cs[0].Key != "listed_platforms" || cs[1].Key != "enterprises_served" {
		t.Fatalf("charts = %d", len(cs))
	}
	listed, served := cs[0], cs[1]
	if listed.ByYear.Target != 20 || served.ByYear.Target != 0 {
		t.Errorf("target lines: listed %v, served %v; want 20 and none", listed.ByYear.Target, served.ByYear.Target)
	}
	if served.Progress.Value != 29 || served.Progress.Target != 200 {
		t.Errorf("served progress = %+v", served.Progress)
	}
	// Stacks by province add up to the year's total.
	for yi := range d.Years {
		var sum float64
		for _, se := range served.ByYear.Series {
			sum += se.Values[yi]
		}
		if sum != d.Total.Years[yi][1] {
			t.Errorf("year %d: stacks %v, total %v", d.Years[yi], sum, d.Total.Years[yi][1])
		}
	}
	if got := served.ByDomain.Bars[5]; got.Label != "酶制剂领域" || got.Value != 29 {
		t.Errorf("酶制剂 bar = %+v", got)
	}
	if !strings.Contains(served.ByDomain.Desc, "各计一次") {
		t.Errorf("domain description = %q", served.ByDomain.Desc)
	}
	for _, c := range cs {
		for _, svg := range []string{c.Progress.SVG(), c.ByYear.SVG(), c.ByDomain.SVG()} {
			checkAccessible(t, svg)
		}
	}
	path := filepath.Join("testdata", "dashboard_served_years.svg")
	got := served.ByYear.SVG()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(path); err != nil || string(want) != got {
		t.Errorf("%s differs (go test ./chart -update): %v\n%s", path, err, got)
	}
}
