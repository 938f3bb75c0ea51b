package web

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
)

// annFixture is the annual evaluation's fixture: the public fixture's two
// platforms published and listed (appA of orgA in 广州, appB of orgB in 佛山, both
// listed in 2025 with the spec example's targets: 2026 — 20 家, 1200 万元), the
// clock in January 2027, and the ministry's evaluation of 2026 open until the end
// of March.
type annFixture struct {
	*pubFixture
	ministryU *biopilot.User
}

// annualDue is the 2026 evaluation's due time.
var annualDue = time.Date(2027, 3, 31, 17, 0, 0, 0, biopilot.Beijing)

func newAnnualFixture(t *testing.T) *annFixture {
	t.Helper()
	pf := newPublicFixture(t)
	f := &annFixture{pubFixture: pf, ministryU: pf.users["ministry"]}
	ctx := context.Background()
	pf.clock.Set(pf.notice.EndsAt)
	var ts []store.TransitionRequest
	for _, app := range []*biopilot.Application{f.reload(pf.appA.ID), f.reload(pf.appB.ID)} {
		ts = append(ts, store.TransitionRequest{ApplicationID: app.ID, From: app.State, To: biopilot.StateListed,
			Transition: &biopilot.Transition{ActorID: f.ministryU.ID, ActorRole: biopilot.RoleMinistry, ActorName: "ministry"}})
	}
	if err := pf.db.Publish(ctx, store.PublishRequest{NoticeID: pf.notice.ID, By: f.ministryU.ID, At: pf.notice.EndsAt,
		Entries: []*store.DirectoryEntry{pf.entryOf(pf.appA), pf.entryOf(pf.appB)}, Transitions: ts}); err != nil {
		t.Fatal(err)
	}
	f.appA, f.appB = f.reload(pf.appA.ID), f.reload(pf.appB.ID)
	f.clock.Set(time.Date(2027, 1, 10, 9, 0, 0, 0, biopilot.Beijing))
	f.openYear(2026, annualDue)
	return f
}

func (f *annFixture) reload(id int64) *biopilot.Application {
	f.t.Helper()
	app, err := f.db.Application(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return app
}

// openYear opens the evaluation of year through the server's method.
func (f *annFixture) openYear(year int, due time.Time) {
	f.t.Helper()
	if _, err := f.srv.OpenAnnualEvaluation(context.Background(), f.ministryU, AnnualEvaluationInput{Year: year,
		Title: fmt.Sprintf("%d年度生物制造中试平台年度评价", year), DueAt: due}); err != nil {
		f.t.Fatal(err)
	}
}

// reportPath is the report page of app on year.
func reportPath(app *biopilot.Application, year int) string {
	return fmt.Sprintf("/platform/%d/annual/%d", app.ID, year)
}

// fullReport is a complete report form (the page's inputs).
func fullReport(version int64, enterprises string) url.Values {
	return url.Values{
		"base_version":                      {fmt.Sprint(version)},
		"services.enterprises":              {enterprises},
		"services.contracts":                {"30"},
		"services.contract_amount_10k_yuan": {"1,350.5"},
		"services.products_incubated":       {"12"},
		"services.projects_industrialized":  {"3"},
		"services.summary":                  {"全年为酶制剂企业提供发酵放大与纯化工艺开发服务。"},
		"__rows.facilities.equipment":       {"1"},
		"facilities.equipment[0].kind":      {"equipment"},
		"facilities.equipment[0].name":      {"500L 发酵罐"},
		"facilities.equipment[0].quantity":  {"2"},
		"facilities.equipment[0].year":      {"2026"},
		"staff.technical":                   {"30"},
		"staff.qualified":                   {"18"},
		"__present":                         {"incidents.list", "services.contract_list"},
		"__rows.incidents.list":             {"0"},
		"__rows.services.contract_list":     {"0"},
	}
}

// report is the stored report of app on year.
func (f *annFixture) report(app *biopilot.Application, year int) *store.AnnualReport {
	f.t.Helper()
	r, err := f.db.AnnualReportFor(context.Background(), app.ID, year)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// fileReport opens, fills in and submits app's report on year through the pages
// as applicant.
func (f *annFixture) fileReport(who string, app *biopilot.Application, year int, enterprises string) *store.AnnualReport {
	f.t.Helper()
	c := f.as(who)
	wantStatus(f.t, c.do("GET", reportPath(app, year), nil), 200)
	rep := f.report(app, year)
	wantStatus(f.t, c.do("POST", reportPath(app, year), fullReport(rep.Version, enterprises)), 303)
	rep = f.report(app, year)
	wantStatus(f.t, c.do("POST", reportPath(app, year)+"/submit", url.Values{"base_version": {fmt.Sprint(rep.Version)}}), 303)
	rep = f.report(app, year)
	if rep.State != store.ReportSubmitted {
		f.t.Fatalf("report not submitted: %+v", rep)
	}
	return rep
}
