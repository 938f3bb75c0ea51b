package web

// ANNUAL: the ministry's side of the annual evaluation — opening the evaluation of
// a year, the year's reports (submitted or not), assigning experts to the
// submitted ones in the round store.AnnualRound(year) with national.Assign (the
// same conflict-of-interest rules as the national stage), and the aggregates of
// the sealed scores (national.Aggregate with the annual method: spread, outliers).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"biopilot"
	"biopilot/authz"
	"biopilot/national"
	"biopilot/store"
)

// AssignAnnual assigns N experts (the annual section's experts per report) to every
// submitted report of year that has fewer live assignments, balanced and without
// conflicts of interest (candidates from the application's snapshot). Reports that
// cannot get N experts are reported in the result's shortfalls and keep waiting.
// The ministry only; one transaction; audited.
func (s *Server) AssignAnnual(ctx context.Context, u *biopilot.User, year int) (*assignResult, error) {
	if err := authz.CheckMinistry(u); err != nil {
		return nil, err
	}
	if _, err := s.evaluation(ctx, year); err != nil {
		return nil, err
	}
	round := store.AnnualRound(year)
	n := s.prog.AnnualEval().ExpertsPerApplication
	reports, err := s.db.AnnualReports(ctx, s.prog.ID, year)
	if err != nil {
		return nil, err
	}
	rs, err := s.loadRound(ctx, round)
	if err != nil {
		return nil, err
	}
	var pending []*biopilot.Application
	for _, rep := range reports {
		if rep.State != store.ReportSubmitted || len(rs.Live[rep.ApplicationID]) >= n {
			continue
		}
		app, err := s.db.Application(ctx, rep.ApplicationID)
		if err != nil {
			return nil, err
		}
		if app.State != biopilot.StateListed {
			continue
		}
		pending = append(pending, app)
	}
	if len(pending) == 0 {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "没有待分配专家的已提交年度报告")
	}
	plan, err := s.planAssignment(u, round, rs, pending, n, uint64(year))
	if err != nil {
		return nil, err
	}
	req, res := plan.Request, plan.Result
	if len(req.Add) == 0 && len(req.Drop) == 0 {
		return res, nil
	}
	err = s.db.Assign(ctx, req)
	detail := map[string]any{"round": round, "reports": res.Applications,
		"assignments": assignmentsDetail(req.Add), "shortfalls": res.Shortfalls}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditCtx(ctx, u, "program:"+s.prog.ID, "annual:assign", resultOf(err), detail)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// annualRow is one platform of a year's evaluation as the ministry sees it.
type annualRow struct {
	Entry    *store.DirectoryEntry
	Report   *store.AnnualReport
	Number   string
	Province string
	Experts  []assignedExpert
	Assigned int
	Scored   int
	Result   *national.Result
	Totals   []expertTotalView
	Stars    string
	// Chosen are the experts of the live assignments (the manual form's ticks).
	Chosen map[int64]bool
}

// annualYear is the ministry's view of one year's evaluation.
type annualYear struct {
	Eval      *store.AnnualEvaluation
	Rows      []*annualRow
	Submitted int
	Method    string
	Max       float64
	N         int
	// Pool is the active experts, for choosing a report's experts by hand.
	Pool []*store.ExpertRecord
}

// annualResults builds the year's rows: every platform that reports on the year
// (listed before it ended, removed ones included), its report, experts and
// aggregate.
func (s *Server) annualResults(ctx context.Context, ev *store.AnnualEvaluation) (*annualYear, error) {
	eval := s.prog.AnnualEval()
	sheet := national.ScoreSheet(eval.ScoreSheet)
	d := &annualYear{Eval: ev, Method: methodLabel(eval.Aggregation), Max: sheet.Max(), N: eval.ExpertsPerApplication}
	entries, _, err := s.db.Directory(ctx, store.DirectoryFilter{ProgramID: s.prog.ID, IncludeRemoved: true, Limit: 500})
	if err != nil {
		return nil, err
	}
	reports, err := s.db.AnnualReports(ctx, s.prog.ID, ev.Year)
	if err != nil {
		return nil, err
	}
	byApp := map[int64]*store.AnnualReport{}
	for _, r := range reports {
		byApp[r.ApplicationID] = r
	}
	rs, err := s.loadRound(ctx, store.AnnualRound(ev.Year))
	if err != nil {
		return nil, err
	}
	for _, e := range rs.Experts {
		if e.Active {
			d.Pool = append(d.Pool, e)
		}
	}
	for _, e := range entries {
		if !reportsOn(e, ev.Year) {
			continue
		}
		row := &annualRow{Entry: e, Report: byApp[e.ApplicationID], Province: s.provinceName(e.CityCode),
			Stars: starText(e.Stars), Assigned: len(rs.Live[e.ApplicationID]), Chosen: map[int64]bool{}}
		if row.Report != nil && row.Report.State == store.ReportSubmitted {
			d.Submitted++
		}
		var scores []national.Score
		for _, a := range rs.Live[e.ApplicationID] {
			row.Chosen[a.ExpertID] = true
			row.Experts = append(row.Experts, assignedExpert{Name: rs.expertName(a.ExpertID), State: a.State,
				StateLabel: store.AssignStateLabel(a.State), Manual: a.Manual})
			if a.State == store.AssignScored {
				scores = append(scores, a.Sealed().Score)
			}
		}
		row.Scored = len(scores)
		if len(scores) > 0 {
			res, err := national.Aggregate(sheet, eval.Aggregation, scores)
			if err != nil {
				return nil, err
			}
			row.Result = &res
			row.Totals = rs.totalViews(res)
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

// pageMinistryAnnual shows the annual evaluations: the form to open one, and the
// chosen year's reports, experts and aggregates.
func (s *Server) pageMinistryAnnual(w http.ResponseWriter, r *http.Request) error {
	return s.renderMinistryAnnual(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderMinistryAnnual(w http.ResponseWriter, r *http.Request, status int, msg string, form url.Values) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	ctx := r.Context()
	evals, err := s.db.AnnualEvaluations(ctx, s.prog.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var cur *store.AnnualEvaluation
	if y, err := strconv.Atoi(q.Get("year")); err == nil {
		for _, e := range evals {
			if e.Year == y {
				cur = e
			}
		}
	} else if len(evals) > 0 {
		cur = evals[0]
	}
	var year *annualYear
	if cur != nil {
		if year, err = s.annualResults(ctx, cur); err != nil {
			return err
		}
	}
	if form == nil {
		next := s.now().In(biopilot.Beijing).Year() - 1 // the year just ended
		if len(evals) > 0 && evals[0].Year >= next {
			next = evals[0].Year + 1
		}
		form = url.Values{"year": {strconv.Itoa(next)}}
	}
	platforms, _, err := s.db.Directory(ctx, store.DirectoryFilter{ProgramID: s.prog.ID, IncludeRemoved: true, Limit: 500})
	if err != nil {
		return err
	}
	p := s.newPage(r, "年度评价", map[string]any{"Evals": evals, "Year": year, "Form": form, "Platforms": platforms,
		"Done": q.Get("done"), "Shortfalls": q["shortfall"]})
	p.Error = msg
	return s.render(w, r, status, "annual_ministry", p)
}

// pageMinistryAnnualOpen opens the evaluation of a year from the page's form.
func (s *Server) pageMinistryAnnualOpen(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	if _, err := ministry(r); err != nil {
		return err
	}
	again := func(st int, m string) error { return s.renderMinistryAnnual(w, r, st, m, r.PostForm) }
	year, err := strconv.Atoi(r.PostForm.Get("year"))
	if err != nil {
		return s.pageFail(w, r, invalid("year", "「评价年度」应为四位数字年份"), again)
	}
	due, err := parseDueAt(r.PostForm.Get("due_at"))
	if err != nil {
		return s.pageFail(w, r, err, again)
	}
	ev, err := s.OpenAnnualEvaluation(s.reqCtx(r), currentUser(r),
		AnnualEvaluationInput{Year: year, Title: r.PostForm.Get("title"), DueAt: due})
	if err != nil {
		return s.pageFail(w, r, err, again)
	}
	http.Redirect(w, r, fmt.Sprintf("/ministry/annual?year=%d&done=%s", ev.Year,
		url.QueryEscape(fmt.Sprintf("已开启 %d 年度评价", ev.Year))), http.StatusSeeOther)
	return nil
}

// pageMinistryAnnualAssign assigns experts to the year's submitted reports.
func (s *Server) pageMinistryAnnualAssign(w http.ResponseWriter, r *http.Request) error {
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	res, err := s.AssignAnnual(s.reqCtx(r), currentUser(r), year)
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderMinistryAnnual(w, r, st, m, nil) })
	}
	v := url.Values{"year": {strconv.Itoa(year)},
		"done": {fmt.Sprintf("已为 %d 份年度报告分配评审专家（新增 %d 项评审任务）", res.Applications, res.Assignments)}}
	for _, m := range res.Shortfalls {
		v.Add("shortfall", m)
	}
	http.Redirect(w, r, "/ministry/annual?"+v.Encode(), http.StatusSeeOther)
	return nil
}

// AssignAnnualByHand sets a submitted report's experts for the year's round as the
// ministry chose them (the override of the automatic assignment), with the same
// conflict-of-interest exclusions as the national stage.
func (s *Server) AssignAnnualByHand(r *http.Request, year int, appID int64, expertIDs []int64) (*assignResult, error) {
	u := currentUser(r)
	if err := authz.CheckMinistry(u); err != nil {
		return nil, err
	}
	ctx := r.Context()
	if _, err := s.evaluation(ctx, year); err != nil {
		return nil, err
	}
	app, err := s.db.Application(ctx, appID)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND || (err == nil && app.ProgramID != s.prog.ID) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该平台")
	} else if err != nil {
		return nil, err
	}
	rep, err := s.db.AnnualReportFor(ctx, appID, year)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND || (err == nil && rep.State != store.ReportSubmitted) {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "该平台的 %d 年度报告尚未提交，不能分配评审专家", year)
	} else if err != nil {
		return nil, err
	}
	if app.State != biopilot.StateListed {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "平台当前为「%s」，不能分配评审专家", app.State.Label())
	}
	return s.assignByHand(r, u, store.AnnualRound(year), app, expertIDs, s.prog.AnnualEval().ExpertsPerApplication)
}

// pageMinistryAnnualManual takes the manual choice of a report's experts.
func (s *Server) pageMinistryAnnualManual(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	var ids []int64
	for _, v := range r.PostForm["expert"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, n)
		}
	}
	res, err := s.AssignAnnualByHand(r, year, id, ids)
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderMinistryAnnual(w, r, st, m, nil) })
	}
	v := url.Values{"year": {strconv.Itoa(year)}, "done": {"已按指定调整该年度报告的评审专家"}}
	for _, m := range res.Shortfalls {
		v.Add("shortfall", m)
	}
	http.Redirect(w, r, "/ministry/annual?"+v.Encode(), http.StatusSeeOther)
	return nil
}

// apiAnnualManual is the API of the manual choice: {"experts": [id, …]}.
func (s *Server) apiAnnualManual(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Experts []int64 `json:"experts"`
	}
	if err := authz.CheckMinistry(currentUser(r)); err != nil {
		return err
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	res, err := s.AssignAnnualByHand(r, year, id, in.Experts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
