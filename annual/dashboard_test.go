package annual

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"biopilot"
	"biopilot/program"
)

// fixture: four platforms in two provinces; B has two domains and is removed in
// 2027; a report of 2028 lies after the dashboard's last year.
func fixture() ([]Platform, []Report) {
	platforms := []Platform{
		{AppID: 1, Province: "440000", Domains: []string{"enzymes"}, ListedYear: 2025},
		{AppID: 2, Province: "440000", Domains: []string{"enzymes", "biopharma"}, ListedYear: 2025, RemovedYear: 2027},
		{AppID: 3, Province: "320000", Domains: []string{"biopharma"}, ListedYear: 2026},
		{AppID: 4, Province: "320000", Domains: []string{"food_additives"}, ListedYear: 2026},
	}
	f := func(ent, prod float64) map[string]float64 {
		return map[string]float64{"services.enterprises": ent, "services.products_incubated": prod}
	}
	reports := []Report{
		{AppID: 1, Year: 2026, Figures: f(20, 30)},
		{AppID: 2, Year: 2026, Figures: f(10, 5)},
		{AppID: 3, Year: 2026, Figures: f(7, 0)},
		{AppID: 1, Year: 2027, Figures: f(25, 40)},
		{AppID: 3, Year: 2027, Figures: f(12, 9)},
		{AppID: 4, Year: 2027, Figures: f(3, 1)},
		{AppID: 4, Year: 2028, Figures: f(100, 100)},
	}
	return platforms, reports
}

func TestDashboard(t *testing.T) {
	p := program.MustNamed("cn-2025")
	platforms, reports := fixture()
	d, err := Build(p, platforms, reports, 2027)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Years, []int{2025, 2026, 2027}) || d.TargetYear != 2027 {
		t.Fatalf("years = %v, target year %d", d.Years, d.TargetYear)
	}
	if len(d.Measures) != 3 || d.Measures[0].Key != "listed_platforms" || d.Measures[2].Target != 400 {
		t.Fatalf("measures = %+v", d.Measures)
	}
	// Total, by year: listed 2, 4, 3 (B removed in 2027); enterprises 0, 37, 40;
	// products 0, 35, 50. Totals: 3 listed, 77 enterprises, 85 products.
	want := Row{Key: "total", Label: TotalLabel,
		Years: [][]float64{{2, 0, 0}, {4, 37, 35}, {3, 40, 50}}, Total: []float64{3, 77, 85}}
	if !reflect.DeepEqual(d.Total, want) {
		t.Errorf("total = %+v\nwant %+v", d.Total, want)
	}
	// Provinces: the country's provinces in order.
	if len(d.Provinces) != 2 || d.Provinces[0].Label != "广东省" || d.Provinces[1].Label != "江苏省" {
		t.Fatalf("provinces = %+v", d.Provinces)
	}
	gd := d.Provinces[0]
	if !reflect.DeepEqual(gd.Years, [][]float64{{2, 0, 0}, {2, 30, 35}, {1, 25, 40}}) || !reflect.DeepEqual(gd.Total, []float64{1, 55, 75}) {
		t.Errorf("广东省 = %+v", gd)
	}
	// Domains: B counts in 酶制剂 and in 生物制药.
	if len(d.Domains) != len(p.Domains) {
		t.Fatalf("domains = %d rows", len(d.Domains))
	}
	byKey := map[string]Row{}
	for _, r := range d.Domains {
		byKey[r.Key] = r
	}
	for key, wantTotal := range map[string][]float64{
		"enzymes":        {1, 55, 75}, // A and B (B removed by 2027)
		"biopharma":      {1, 29, 14}, // B and C
		"food_additives": {1, 3, 1},
		"energy":         {0, 0, 0},
	} {
		if got := byKey[key].Total; !reflect.DeepEqual(got, wantTotal) {
			t.Errorf("domain %s total = %v, want %v", key, got, wantTotal)
		}
	}
	if byKey["biopharma"].Label != "生物制药领域" {
		t.Errorf("label = %q", byKey["biopharma"].Label)
	}
	// 2026: listed 4 platforms, but 5 by domain (B twice).
	if got := d.DomainTotal.Years[1][0]; got != 5 {
		t.Errorf("domain total of listed in 2026 = %v, want 5", got)
	}
	if got := d.Value(d.Total, "services_nothing", 0); got != 0 {
		t.Errorf("unknown measure = %v", got)
	}
	if got := d.Value(d.Total, "enterprises_served", 2026); got != 37 {
		t.Errorf("Value(enterprises 2026) = %v", got)
	}
	// Progress against the 2027 targets.
	wantProgress := []struct {
		actual, ratio float64
		met           bool
	}{{3, 0.15, false}, {77, 0.385, false}, {85, 0.2125, false}}
	for i, w := range wantProgress {
		pr := d.Progress[i]
		if pr.Actual != w.actual || pr.Ratio != w.ratio || pr.Met != w.met {
			t.Errorf("progress %s = %+v, want %+v", pr.Key, pr, w)
		}
	}
	checkSums(t, d, platforms, reports)
}

// checkSums checks that the dashboard adds up: the provinces to the total, the
// domains to the total with each platform counted once per domain, and the
// figures' totals to the reports within the years.
func checkSums(t *testing.T, d *Dashboard, platforms []Platform, reports []Report) {
	t.Helper()
	byID := map[int64]Platform{}
	for _, pl := range platforms {
		byID[pl.AppID] = pl
	}
	last := d.Years[len(d.Years)-1]
	for mi, m := range d.Measures {
		for yi, y := range d.Years {
			var prov, dom float64
			for _, r := range d.Provinces {
				prov += r.Years[yi][mi]
			}
			for _, r := range d.Domains {
				dom += r.Years[yi][mi]
			}
			// Independently: what the reports and platforms say.
			var total, perDomain float64
			if m.Count == program.CountListed {
				for _, pl := range platforms {
					if pl.ListedYear <= y && (pl.RemovedYear == 0 || pl.RemovedYear > y) {
						total++
						perDomain += float64(max(1, len(pl.Domains)))
					}
				}
			} else {
				for _, r := range reports {
					if r.Year == y {
						total += r.Figures[m.Figure]
						perDomain += r.Figures[m.Figure] * float64(max(1, len(byID[r.AppID].Domains)))
					}
				}
			}
			if got := d.Total.Years[yi][mi]; got != total {
				t.Errorf("%s %d: total %v, reports say %v", m.Key, y, got, total)
			}
			if prov != total {
				t.Errorf("%s %d: provinces add up to %v, total %v", m.Key, y, prov, total)
			}
			if dom != perDomain || d.DomainTotal.Years[yi][mi] != dom {
				t.Errorf("%s %d: domains add up to %v (row %v), want %v", m.Key, y, dom, d.DomainTotal.Years[yi][mi], perDomain)
			}
		}
		if m.Figure != "" {
			var sum float64
			for _, r := range reports {
				if r.Year <= last {
					sum += r.Figures[m.Figure]
				}
			}
			if d.Total.Total[mi] != sum {
				t.Errorf("%s: total %v, reports through %d say %v", m.Key, d.Total.Total[mi], last, sum)
			}
		}
	}
}

// TestDashboardSumsRandom checks the sums on many random programs' worth of data.
func TestDashboardSumsRandom(t *testing.T) {
	p := program.MustNamed("cn-2025")
	provinces := []string{"440000", "320000"}
	for seed := uint64(1); seed <= 50; seed++ {
		r := rand.New(rand.NewPCG(seed, 9))
		var platforms []Platform
		var reports []Report
		n := 1 + r.IntN(30)
		for i := range n {
			pl := Platform{AppID: int64(i + 1), Province: provinces[r.IntN(2)], ListedYear: 2025 + r.IntN(3)}
			for range 1 + r.IntN(3) {
				pl.Domains = append(pl.Domains, p.Domains[r.IntN(len(p.Domains))].Key)
			}
			pl.Domains = domainKeys(&pl) // distinct, as the store gives them
			if r.IntN(4) == 0 {
				pl.RemovedYear = pl.ListedYear + 1 + r.IntN(2)
			}
			platforms = append(platforms, pl)
			for y := pl.ListedYear + 1; y <= 2028; y++ {
				if r.IntN(5) > 0 {
					reports = append(reports, Report{AppID: pl.AppID, Year: y, Figures: map[string]float64{
						"services.enterprises": float64(r.IntN(40)), "services.products_incubated": float64(r.IntN(60))}})
				}
			}
		}
		d, err := Build(p, platforms, reports, 2027)
		if err != nil {
			t.Fatal(err)
		}
		checkSums(t, d, platforms, reports)
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
}

func TestDashboardEdges(t *testing.T) {
	p := program.MustDefault()
	// Nothing yet: one year, zeros, nothing met.
	d, err := Build(p, nil, nil, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Years, []int{2026}) || d.Total.Total[0] != 0 || d.Progress[0].Met || len(d.Provinces) != 0 {
		t.Errorf("empty dashboard = %+v", d)
	}
	// A provincial program: one province row; a platform without domains.
	d, err = Build(p, []Platform{{AppID: 1, Province: "440000", ListedYear: 2026}}, nil, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Provinces) != 1 || d.Provinces[0].Label != "广东省" {
		t.Errorf("provinces = %+v", d.Provinces)
	}
	if last := d.Domains[len(d.Domains)-1]; last.Label != NoDomainLabel || last.Total[0] != 1 {
		t.Errorf("last domain row = %+v, want 未选领域 with the platform", last)
	}
	// Errors: a report of an unknown platform, a platform twice.
	_, err = Build(p, []Platform{{AppID: 1, ListedYear: 2025}}, []Report{{AppID: 9, Year: 2026}}, 2026)
	if biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("unknown platform: %v", err)
	}
	_, err = Build(p, []Platform{{AppID: 1, ListedYear: 2025}, {AppID: 1, ListedYear: 2026}}, nil, 2026)
	if biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("platform twice: %v", err)
	}
	// Met when reached.
	var many []Platform
	for i := range 20 {
		many = append(many, Platform{AppID: int64(i), Province: "440000", Domains: []string{"energy"}, ListedYear: 2026})
	}
	d, _ = Build(p, many, nil, 2027)
	if !d.Progress[0].Met || d.Progress[0].Ratio != 1 || d.Progress[1].Met {
		t.Errorf("20 platforms: %+v", d.Progress)
	}
}
