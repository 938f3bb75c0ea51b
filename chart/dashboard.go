package chart

import (
	"strconv"

	"biopilot/annual"
	"biopilot/program"
)

// MeasureCharts are the charts of one measure of the progress dashboard.
type MeasureCharts struct {
	Key string
	// Progress is the total against the program's target.
	Progress ProgressBar
	// ByYear stacks each year's figure by province; the listed-platforms chart has
	// the target line (a year-end count compares with it; the yearly figures add
	// up to their target over the years, which Progress shows).
	ByYear GroupedChart
	// ByDomain is the total per domain (a platform in several domains counts in
	// each).
	ByDomain BarChart
}

// ForDashboard makes the dashboard's charts, a set per measure in the program's
// order; ids are "dash-<measure>-progress", "-years" and "-domains".
func ForDashboard(d *annual.Dashboard) []MeasureCharts {
	cats := make([]string, len(d.Years))
	for i, y := range d.Years {
		cats[i] = strconv.Itoa(y) + "年"
	}
	out := make([]MeasureCharts, 0, len(d.Measures))
	for mi, m := range d.Measures {
		id := "dash-" + m.Key
		mc := MeasureCharts{Key: m.Key}
		mc.Progress = ProgressBar{ID: id + "-progress", Label: m.Label, Value: d.Total.Total[mi], Target: m.Target, Unit: m.Unit,
			Note: strconv.Itoa(d.TargetYear) + "年目标"}
		mc.ByYear = GroupedChart{ID: id + "-years", Title: m.Label + "（按年度、省份）", Unit: m.Unit, Categories: cats, Stacked: true}
		for _, r := range d.Provinces {
			se := Series{Label: r.Label, Values: make([]float64, len(d.Years))}
			for yi := range d.Years {
				se.Values[yi] = r.Years[yi][mi]
			}
			mc.ByYear.Series = append(mc.ByYear.Series, se)
		}
		if m.Count == program.CountListed {
			mc.ByYear.Target = m.Target
			mc.ByYear.TargetLabel = strconv.Itoa(d.TargetYear) + "年目标"
		}
		mc.ByDomain = BarChart{ID: id + "-domains", Title: m.Label + "（按领域）", Unit: m.Unit, Horizontal: true}
		for _, r := range d.Domains {
			mc.ByDomain.Bars = append(mc.ByDomain.Bars, Bar{Label: r.Label, Value: r.Total[mi]})
		}
		if len(d.Domains) > 0 {
			mc.ByDomain.Desc = mc.ByDomain.describe() + "一个平台属于多个领域时在每个领域中各计一次。"
		}
		out = append(out, mc)
	}
	return out
}
