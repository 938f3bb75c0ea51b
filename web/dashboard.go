package web

// ANNUAL: the progress dashboard (issue 9) — the program's listed platforms and
// the figures of their submitted annual reports against the program's targets,
// by year, domain and province, as a page with server-rendered SVG charts, as
// JSON and as a workbook. The ministry sees the whole country; a province sees
// only the platforms whose city lies in it (the targets stay the national ones).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"biopilot"
	"biopilot/annual"
	"biopilot/authz"
	"biopilot/chart"
	"biopilot/store"
	"biopilot/xlsx"
)

// dashboardPage is how many directory entries one query reads (the store's most).
const dashboardPage = 500

// dashboard is the dashboard of one caller's scope.
type dashboard struct {
	// Province is the code of the caller's province, "" for the whole country;
	// ScopeName is 全国 or the province's name.
	Province  string
	ScopeName string
	// Through is the last year counted (the current year, Beijing time).
	Through int
	// Listed and Removed count the platforms in scope: listed now, and removed
	// (除名) at some time; Reports counts the submitted reports summed.
	Listed, Removed, Reports int
	D                        *annual.Dashboard
}

// Empty reports whether no platform has been listed in scope yet.
func (d *dashboard) Empty() bool { return d.Listed+d.Removed == 0 }

// dashboardFor builds the dashboard of the platforms within province ("" = all):
// every platform of the directory, removed ones included (they count until their
// removal year), and every submitted annual report of them up to the current year.
func (s *Server) dashboardFor(ctx context.Context, province string) (*dashboard, error) {
	out := &dashboard{Province: province, ScopeName: "全国", Through: s.now().In(biopilot.Beijing).Year()}
	if province != "" {
		out.ScopeName = s.jurisdictionName(province)
	}
	platforms, err := s.dashboardPlatforms(ctx, province)
	if err != nil {
		return nil, err
	}
	first := out.Through
	in := make(map[int64]bool, len(platforms))
	for _, p := range platforms {
		in[p.AppID] = true
		if p.RemovedYear != 0 {
			out.Removed++
		} else {
			out.Listed++
		}
		if p.ListedYear < first {
			first = p.ListedYear
		}
	}
	var reports []annual.Report
	if len(platforms) > 0 {
		for y := first; y <= out.Through; y++ {
			list, err := s.db.AnnualReports(ctx, s.prog.ID, y)
			if err != nil {
				return nil, err
			}
			for _, rep := range list {
				if rep.State != store.ReportSubmitted || !in[rep.ApplicationID] {
					continue
				}
				var doc map[string]any
				if err := json.Unmarshal(rep.Document, &doc); err != nil {
					return nil, fmt.Errorf("annual report %d: stored document invalid: %w", rep.ID, err)
				}
				reports = append(reports, annual.Report{AppID: rep.ApplicationID, Year: rep.Year,
					Figures: annual.Figures(s.prog, doc)})
			}
		}
	}
	out.Reports = len(reports)
	d, err := annual.Build(s.prog, platforms, reports, out.Through)
	if err != nil {
		return nil, err
	}
	if province != "" { // a province's dashboard has its own row only
		var rows []annual.Row
		for _, r := range d.Provinces {
			if r.Key == province {
				rows = append(rows, r)
			}
		}
		d.Provinces = rows
	}
	out.D = d
	return out, nil
}

// dashboardPlatforms are the directory's platforms within province, removed ones
// included, with the years they were listed and removed (Beijing time).
func (s *Server) dashboardPlatforms(ctx context.Context, province string) ([]annual.Platform, error) {
	var out []annual.Platform
	for offset := 0; ; offset += dashboardPage {
		list, total, err := s.db.Directory(ctx, store.DirectoryFilter{ProgramID: s.prog.ID, IncludeRemoved: true,
			Limit: dashboardPage, Offset: offset})
		if err != nil {
			return nil, err
		}
		for _, e := range list {
			if !authz.InDashboard(province, e.CityCode) {
				continue
			}
			p := annual.Platform{AppID: e.ApplicationID, Province: s.provinceOf(e.CityCode), Domains: e.Domains,
				ListedYear: e.ListedAt.In(biopilot.Beijing).Year()}
			if !e.RemovedAt.IsZero() {
				p.RemovedYear = e.RemovedAt.In(biopilot.Beijing).Year()
			}
			out = append(out, p)
		}
		if len(list) < dashboardPage || offset+len(list) >= total {
			return out, nil
		}
	}
}

// callerDashboard authorizes the caller and builds its dashboard.
func (s *Server) callerDashboard(r *http.Request) (*dashboard, error) {
	province, err := authz.CheckDashboard(currentUser(r))
	if err != nil {
		return nil, err
	}
	return s.dashboardFor(r.Context(), province)
}

// dashboardView is the page's data.
type dashboardView struct {
	*dashboard
	Charts []chart.MeasureCharts
	// Rows of the tables: each row's cells per measure, each year then the total.
	YearRows     []dashYearRow
	ProvinceRows []dashRow
	DomainRows   []dashRow
	Note         string
	// Targets are the progress table's rows; Span is the number of columns per
	// measure in the province and domain tables (the years and the total).
	Targets []dashTarget
	Span    int
}

// dashTarget is one target against what was achieved, formatted.
type dashTarget struct {
	Key, Label, Target, Actual, Ratio string
	Met                               bool
}

// dashYearRow is one year of the total: a value per measure.
type dashYearRow struct {
	Year   string
	Values []string
}

// dashRow is a row of the province or domain table: per measure, each year's
// value then the total.
type dashRow struct {
	Label string
	Cells []string
	Class string
}

func (s *Server) pageDashboard(w http.ResponseWriter, r *http.Request) error {
	db, err := s.callerDashboard(r)
	if err != nil {
		return err
	}
	v := &dashboardView{dashboard: db, Note: annual.MultiDomainNote}
	d := db.D
	if !db.Empty() {
		v.Charts, v.Span = chart.ForDashboard(d), len(d.Years)+1
		for _, p := range d.Progress {
			v.Targets = append(v.Targets, dashTarget{Key: p.Key, Label: p.Label, Target: chart.Num(p.Target) + p.Unit,
				Actual: chart.Num(p.Actual) + p.Unit, Ratio: chart.Percent(p.Ratio), Met: p.Met})
		}
		for yi, y := range d.Years {
			row := dashYearRow{Year: strconv.Itoa(y) + "年"}
			for mi := range d.Measures {
				row.Values = append(row.Values, chart.Num(d.Total.Years[yi][mi]))
			}
			v.YearRows = append(v.YearRows, row)
		}
		for _, row := range d.Provinces {
			v.ProvinceRows = append(v.ProvinceRows, dashCells(d, row, ""))
		}
		if db.Province == "" {
			v.ProvinceRows = append(v.ProvinceRows, dashCells(d, d.Total, "total"))
		}
		for _, row := range d.Domains {
			v.DomainRows = append(v.DomainRows, dashCells(d, row, ""))
		}
		v.DomainRows = append(v.DomainRows, dashCells(d, d.DomainTotal, "total"))
		t := dashCells(d, d.Total, "total")
		t.Label = "合计（平台不重复）"
		v.DomainRows = append(v.DomainRows, t)
	}
	return s.render(w, r, http.StatusOK, "dashboard", s.newPage(r, "进展看板", v))
}

// dashCells are a row's cells: per measure, each year then the total.
func dashCells(d *annual.Dashboard, r annual.Row, class string) dashRow {
	out := dashRow{Label: r.Label, Class: class}
	for mi := range d.Measures {
		for yi := range d.Years {
			out.Cells = append(out.Cells, chart.Num(r.Years[yi][mi]))
		}
		out.Cells = append(out.Cells, chart.Num(r.Total[mi]))
	}
	return out
}

func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) error {
	db, err := s.callerDashboard(r)
	if err != nil {
		return err
	}
	d := db.D
	rowJSON := func(row annual.Row) map[string]any {
		years := make([]map[string]any, 0, len(d.Years))
		for yi, y := range d.Years {
			years = append(years, map[string]any{"year": y, "values": measureValues(d, row.Years[yi])})
		}
		return map[string]any{"key": row.Key, "label": row.Label, "by_year": years, "total": measureValues(d, row.Total)}
	}
	measures := jsonItems(d.Measures, func(m annual.Measure) map[string]any {
		out := map[string]any{"key": m.Key, "label": m.Label, "unit": m.Unit, "target": m.Target}
		if m.Count != "" {
			out["count"] = m.Count
		}
		if m.Figure != "" {
			out["figure"] = m.Figure
		}
		return out
	})
	progress := jsonItems(d.Progress, func(p annual.Progress) map[string]any {
		return map[string]any{"key": p.Key, "label": p.Label, "unit": p.Unit, "target": p.Target,
			"actual": p.Actual, "ratio": p.Ratio, "met": p.Met}
	})
	writeJSON(w, http.StatusOK, map[string]any{
		"scope":        map[string]any{"province": db.Province, "name": db.ScopeName},
		"through":      db.Through,
		"target_year":  d.TargetYear,
		"years":        d.Years,
		"platforms":    map[string]any{"listed": db.Listed, "removed": db.Removed},
		"reports":      db.Reports,
		"measures":     measures,
		"progress":     progress,
		"total":        rowJSON(d.Total),
		"provinces":    jsonItems(d.Provinces, rowJSON),
		"domains":      jsonItems(d.Domains, rowJSON),
		"domain_total": rowJSON(d.DomainTotal),
		"note":         annual.MultiDomainNote,
	})
	return nil
}

// measureValues maps values aligned with the dashboard's measures to their keys.
func measureValues(d *annual.Dashboard, vals []float64) map[string]float64 {
	out := make(map[string]float64, len(d.Measures))
	for mi, m := range d.Measures {
		out[m.Key] = vals[mi]
	}
	return out
}

func (s *Server) apiDashboardXLSX(w http.ResponseWriter, r *http.Request) error {
	db, err := s.callerDashboard(r)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("项目进展看板-%s-%s.xlsx", db.ScopeName, s.now().In(biopilot.Beijing).Format("20060102-1504"))
	return s.sendXLSX(w, r, name, db.Listed+db.Removed, func(b *bytes.Buffer) error {
		return xlsx.Dashboard(b, s.prog, db.D)
	})
}
