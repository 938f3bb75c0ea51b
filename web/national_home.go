package web

// NATIONAL: the ministry's overview of the recommended applications by province,
// domain and state, with links to the national stage's pages.

import (
	"context"
	"net/http"
	"sort"

	"biopilot"
	"biopilot/authz"
)

// countLine is one line of the overview: a name and its count per state.
type countLine struct {
	Key, Name string
	ByState   map[biopilot.State]int
	Total     int
}

// overview is the ministry's overview.
type overview struct {
	States    []biopilot.State
	Provinces []*countLine
	Domains   []*countLine
	Totals    map[biopilot.State]int
	Total     int
}

func (s *Server) nationalOverview(ctx context.Context) (*overview, error) {
	apps, err := s.ministryApps(ctx, authz.MinistryStates...)
	if err != nil {
		return nil, err
	}
	o := &overview{States: authz.MinistryStates, Totals: map[biopilot.State]int{}}
	prov, dom := map[string]*countLine{}, map[string]*countLine{}
	line := func(m map[string]*countLine, key, name string) *countLine {
		if m[key] == nil {
			m[key] = &countLine{Key: key, Name: name, ByState: map[biopilot.State]int{}}
		}
		return m[key]
	}
	for _, app := range apps {
		p := line(prov, authz.ProvinceOf(app.CityCode), s.provinceName(app.CityCode))
		p.ByState[app.State]++
		p.Total++
		for _, d := range app.Domains {
			l := line(dom, d, s.prog.DomainLabel(d))
			l.ByState[app.State]++
			l.Total++
		}
		o.Totals[app.State]++
		o.Total++
	}
	for _, l := range prov {
		o.Provinces = append(o.Provinces, l)
	}
	sort.Slice(o.Provinces, func(i, j int) bool { return o.Provinces[i].Key < o.Provinces[j].Key })
	for _, d := range s.prog.Domains {
		if l := dom[d.Key]; l != nil {
			o.Domains = append(o.Domains, l)
		}
	}
	return o, nil
}

func (s *Server) pageMinistry(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	o, err := s.nationalOverview(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "national_home", s.newPage(r, "国家评审", o))
}

func (s *Server) apiNationalOverview(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	o, err := s.nationalOverview(r.Context())
	if err != nil {
		return err
	}
	lineJSON := func(l *countLine) map[string]any {
		return map[string]any{"code": l.Key, "name": l.Name, "by_state": l.ByState, "total": l.Total}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": o.Total, "by_state": o.Totals,
		"provinces": jsonItems(o.Provinces, lineJSON), "domains": jsonItems(o.Domains, lineJSON)})
	return nil
}
