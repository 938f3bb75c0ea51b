package annual

import (
	"sort"

	"biopilot"
	"biopilot/program"
)

// Platform is a listed platform as the dashboard counts it.
type Platform struct {
	AppID    int64
	Province string   // the code of its province (GB/T 2260)
	Domains  []string // its domain keys
	// ListedYear is the year it was listed; RemovedYear the year it was removed
	// (除名), 0 while it is listed.
	ListedYear  int
	RemovedYear int
}

// Report is a submitted annual report as the dashboard counts it.
type Report struct {
	AppID   int64
	Year    int
	Figures map[string]float64 // report key → value; see Figures
}

// Measure is one column of the dashboard: one of the program's targets.
type Measure struct {
	Key   string
	Label string
	Unit  string
	// Count is program.CountListed for the number of listed platforms; otherwise
	// Figure is the report key summed.
	Count  string
	Figure string
	// Target is the program's target (at least so many by TargetYear).
	Target float64
}

// Row is one line of the dashboard: for each year (aligned with Dashboard.Years)
// and in total, a value per measure (aligned with Dashboard.Measures).
type Row struct {
	Key   string
	Label string
	Years [][]float64
	Total []float64
}

// Progress is one of the program's targets against the dashboard's total.
type Progress struct {
	Measure
	Actual float64
	Ratio  float64 // Actual / Target
	Met    bool
}

// Dashboard is the program's progress: listed platforms, and the report figures
// the targets count, by year, domain and province, against the program's targets.
//
// How it counts:
//   - A listed-platforms measure in a year is the number of platforms listed by the
//     end of that year and not removed by then; its Total is that number in the
//     last year.
//   - A figure measure in a year is the sum of that year's reports; its Total is the
//     sum over the years.
//   - A platform with several domains counts in each of its domains (its reports'
//     figures too), so the domain rows may add up to more than Total; Total, and
//     every other row, counts it once. DomainTotal is the sum of the domain rows
//     (合计（按领域计次）).
//   - Each platform has one province: the province rows add up to Total.
type Dashboard struct {
	Years       []int
	Measures    []Measure
	TargetYear  int
	Total       Row
	Domains     []Row
	DomainTotal Row
	Provinces   []Row
	Progress    []Progress
}

// Labels of the dashboard's extra rows.
const (
	TotalLabel       = "合计"
	DomainTotalLabel = "合计（按领域计次）"
	NoDomainLabel    = "未选领域"
	NoProvinceLabel  = "（未定省份）"
	MultiDomainNote  = "注：一个平台属于多个领域时，在每个领域中各计一次（其年度报告的数字也计入每个领域），因此各领域之和可能大于合计；合计与各省份每个平台只计一次。"
)

// Build sums the platforms and reports into the dashboard, for the years from the
// first year a platform was listed or reported (at the latest through) up to
// through. Reports after through are left out. A report whose platform is not in
// platforms, or a platform given twice, is an EINVALID error: the sums would not
// add up.
func Build(p *program.Program, platforms []Platform, reports []Report, through int) (*Dashboard, error) {
	d := &Dashboard{}
	if p.Annual != nil {
		d.TargetYear = p.Annual.Targets.Year
		for _, t := range p.Annual.Targets.Items {
			d.Measures = append(d.Measures, Measure{Key: t.Key, Label: t.Label, Unit: t.Unit, Count: t.Count, Figure: t.Figure, Target: t.Min})
		}
	}
	from := through
	byID := make(map[int64]*Platform, len(platforms))
	for i := range platforms {
		pl := &platforms[i]
		if byID[pl.AppID] != nil {
			return nil, biopilot.Errorf(biopilot.EINVALID, "入选平台名单中申请 %d 出现了两次", pl.AppID)
		}
		byID[pl.AppID] = pl
		if pl.ListedYear != 0 && pl.ListedYear < from {
			from = pl.ListedYear
		}
	}
	for _, r := range reports {
		if byID[r.AppID] == nil {
			return nil, biopilot.Errorf(biopilot.EINVALID, "%d 年度报告所属的平台（申请 %d）不在入选平台名单中", r.Year, r.AppID)
		}
		if r.Year < from && r.Year != 0 {
			from = r.Year
		}
	}
	for y := from; y <= through; y++ {
		d.Years = append(d.Years, y)
	}

	b := builder{d: d}
	d.Total = b.newRow("total", TotalLabel)
	domains := b.domainRows(p, platforms)
	provinces := b.provinceRows(p, platforms)
	for i := range platforms {
		pl := &platforms[i]
		targets := []*Row{&d.Total, provinces[pl.Province]}
		for _, dk := range domainKeys(pl) {
			targets = append(targets, domains[dk])
		}
		for yi, y := range d.Years {
			if !listedAt(pl, y) {
				continue
			}
			for mi, m := range d.Measures {
				if m.Count == program.CountListed {
					for _, r := range targets {
						r.Years[yi][mi]++
					}
				}
			}
		}
	}
	for _, rep := range reports {
		yi := rep.Year - from
		if yi < 0 || yi >= len(d.Years) {
			continue
		}
		pl := byID[rep.AppID]
		targets := []*Row{&d.Total, provinces[pl.Province]}
		for _, dk := range domainKeys(pl) {
			targets = append(targets, domains[dk])
		}
		for mi, m := range d.Measures {
			if m.Figure == "" {
				continue
			}
			for _, r := range targets {
				r.Years[yi][mi] += rep.Figures[m.Figure]
			}
		}
	}
	d.DomainTotal = b.newRow("domain_total", DomainTotalLabel)
	for _, r := range d.Domains {
		for yi := range d.Years {
			for mi := range d.Measures {
				d.DomainTotal.Years[yi][mi] += r.Years[yi][mi]
			}
		}
	}
	for _, r := range d.allRows() {
		b.totals(r)
	}
	for mi, m := range d.Measures {
		pr := Progress{Measure: m, Actual: d.Total.Total[mi]}
		if m.Target > 0 {
			pr.Ratio = pr.Actual / m.Target
		}
		pr.Met = pr.Actual >= m.Target
		d.Progress = append(d.Progress, pr)
	}
	return d, nil
}

// Value is the value of a measure in a row: in year y, or in total when y is 0.
// Unknown measures and years are 0.
func (d *Dashboard) Value(r Row, measure string, y int) float64 {
	mi := -1
	for i, m := range d.Measures {
		if m.Key == measure {
			mi = i
		}
	}
	if mi < 0 {
		return 0
	}
	if y == 0 {
		return r.Total[mi]
	}
	for yi, yy := range d.Years {
		if yy == y {
			return r.Years[yi][mi]
		}
	}
	return 0
}

// allRows are pointers to every row, the totals included.
func (d *Dashboard) allRows() []*Row {
	out := []*Row{&d.Total, &d.DomainTotal}
	for i := range d.Domains {
		out = append(out, &d.Domains[i])
	}
	for i := range d.Provinces {
		out = append(out, &d.Provinces[i])
	}
	return out
}

// listedAt reports whether a platform is listed at the end of year y.
func listedAt(pl *Platform, y int) bool {
	return pl.ListedYear != 0 && pl.ListedYear <= y && (pl.RemovedYear == 0 || pl.RemovedYear > y)
}

// domainKeys are a platform's distinct domains, or "" (未选领域) when it has none.
func domainKeys(pl *Platform) []string {
	if len(pl.Domains) == 0 {
		return []string{""}
	}
	seen := make(map[string]bool, len(pl.Domains))
	var out []string
	for _, k := range pl.Domains {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

type builder struct{ d *Dashboard }

func (b *builder) newRow(key, label string) Row {
	r := Row{Key: key, Label: label, Years: make([][]float64, len(b.d.Years)), Total: make([]float64, len(b.d.Measures))}
	for i := range r.Years {
		r.Years[i] = make([]float64, len(b.d.Measures))
	}
	return r
}

// domainRows makes a row per program domain, in order, then one per other domain
// found (by key), and 未选领域 when a platform has none. It returns them by key.
func (b *builder) domainRows(p *program.Program, platforms []Platform) map[string]*Row {
	keys := make([]string, 0, len(p.Domains))
	labels := make(map[string]string)
	for _, dm := range p.Domains {
		keys = append(keys, dm.Key)
		labels[dm.Key] = dm.Label
	}
	extra := make(map[string]bool)
	for i := range platforms {
		for _, k := range domainKeys(&platforms[i]) {
			if _, ok := labels[k]; !ok {
				extra[k] = true
			}
		}
	}
	for _, k := range sortedKeys(extra) {
		if k != "" {
			keys = append(keys, k)
			labels[k] = k
		}
	}
	if extra[""] {
		keys = append(keys, "")
		labels[""] = NoDomainLabel
	}
	b.d.Domains = make([]Row, len(keys))
	out := make(map[string]*Row, len(keys))
	for i, k := range keys {
		b.d.Domains[i] = b.newRow(k, labels[k])
		out[k] = &b.d.Domains[i]
	}
	return out
}

// provinceRows makes a row per province: those below a national root in the
// program's order, then any other found, by code.
func (b *builder) provinceRows(p *program.Program, platforms []Platform) map[string]*Row {
	var keys []string
	seen := make(map[string]bool)
	if root := p.RootJurisdiction(); root != nil && root.Level == program.LevelCountry {
		for _, j := range root.Children {
			keys = append(keys, j.Code)
			seen[j.Code] = true
		}
	}
	var extra []string
	for _, pl := range platforms {
		if !seen[pl.Province] {
			seen[pl.Province] = true
			extra = append(extra, pl.Province)
		}
	}
	sort.Strings(extra)
	keys = append(keys, extra...)
	b.d.Provinces = make([]Row, len(keys))
	out := make(map[string]*Row, len(keys))
	for i, k := range keys {
		label := NoProvinceLabel
		if k != "" {
			label = p.CityName(k)
		}
		b.d.Provinces[i] = b.newRow(k, label)
		out[k] = &b.d.Provinces[i]
	}
	return out
}

// totals fills a row's Total: the last year's count for a listed-platforms
// measure, the sum over the years for a figure.
func (b *builder) totals(r *Row) {
	n := len(b.d.Years)
	for mi, m := range b.d.Measures {
		if n == 0 {
			continue
		}
		if m.Count == program.CountListed {
			r.Total[mi] = r.Years[n-1][mi]
			continue
		}
		var s float64
		for yi := range b.d.Years {
			s += r.Years[yi][mi]
		}
		r.Total[mi] = s
	}
}
