package web

// NATIONAL: assigning experts to the recommended applications — automatic
// (national.Assign over the pending applications) and by hand per application —
// recorded with store.Assign together with the transitions
// recommended_to_ministry → expert_review.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/authz"
	"biopilot/national"
	"biopilot/store"
	"biopilot/workflow"
)

// assignResult is what an assignment run did.
type assignResult struct {
	Applications int      `json:"applications"` // applications given their experts
	Assignments  int      `json:"assignments"`  // assignments recorded
	Shortfalls   []string `json:"shortfalls"`   // Chinese messages
}

// byNumber rewrites national's "申报书 <id>" into the application's number.
func (s *Server) byNumber(msg string, apps map[string]*biopilot.Application) string {
	for k, app := range apps {
		msg = strings.ReplaceAll(msg, "申报书 "+k+" ", "申报书 "+s.number(app)+" ")
		msg = strings.ReplaceAll(msg, "申报书 "+k+"（", "申报书 "+s.number(app)+"（")
	}
	return msg
}

// autoAssign assigns N experts (the program's experts_per_application) to every
// application waiting at the ministry, balanced and without conflicts of interest.
// Applications that cannot get N experts keep waiting and are reported.
func (s *Server) autoAssign(r *http.Request) (*assignResult, error) {
	u, err := ministry(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	rs, err := s.loadRound(ctx, store.RoundSelection)
	if err != nil {
		return nil, err
	}
	pending, err := s.ministryApps(ctx, biopilot.StateRecommendedToMinistry)
	if err != nil {
		return nil, err
	}
	if len(pending) == 0 {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "没有待分配专家的申报书")
	}
	plan, err := s.planAssignment(u, store.RoundSelection, rs, pending, s.prog.Eval().ExpertsPerApplication, uint64(s.prog.Edition))
	if err != nil {
		return nil, err
	}
	req, res := plan.Request, plan.Result
	for _, app := range plan.Assigned {
		t, err := s.batchTransition(u, app, workflow.Assign, "", map[string]any{"experts": len(plan.Experts[appKey(app.ID)])})
		if err != nil {
			return nil, err
		}
		req.Transitions = append(req.Transitions, t)
	}
	if len(req.Transitions) == 0 {
		return res, nil
	}
	err = s.db.Assign(ctx, req)
	s.auditBatch(r, "assign", resultOf(err), map[string]any{"applications": res.Applications,
		"assignments": assignmentsDetail(req.Add), "shortfalls": res.Shortfalls}, req.Transitions, err)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ministryApp loads application id of this program for a ministry operation of
// u (authz.CheckMinistryApp): one that is not there, or not u's to see, is
// ENOTFOUND.
func (s *Server) ministryApp(ctx context.Context, u *biopilot.User, id int64) (*biopilot.Application, error) {
	app, err := s.db.Application(ctx, id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND || (err == nil && app.ProgramID != s.prog.ID) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
	} else if err != nil {
		return nil, err
	}
	if err := authz.CheckMinistryApp(u, app); err != nil {
		return nil, err
	}
	return app, nil
}

// assignmentPlan is an automatic assignment of one round, ready to record.
type assignmentPlan struct {
	Request  store.AssignRequest // drops and additions (no transitions)
	Result   *assignResult       // shortfalls; Applications and Assignments counted
	Assigned []*biopilot.Application
	Experts  map[string][]string // national.Assignment.Experts
}

// planAssignment runs national.Assign over pending in round (n experts each, the
// pool and the round's existing, declined and conflicted assignments from rs) and
// turns it into a store request for the applications that got all n experts:
// conflicted existing assignments dropped, new ones added. The others keep waiting
// and are named in the result's shortfalls.
func (s *Server) planAssignment(u *biopilot.User, round string, rs *roundState, pending []*biopilot.Application, n int, seed uint64) (*assignmentPlan, error) {
	byKey := map[string]*biopilot.Application{}
	var cands []national.Candidate
	for _, app := range pending {
		byKey[appKey(app.ID)] = app
		cands = append(cands, s.candidate(app))
	}
	opt := national.Options{Existing: rs.existing(), Declined: rs.Declined, Seed: seed, DomainLabel: s.prog.DomainLabel}
	a, aerr := national.Assign(cands, rs.pool(), n, opt)
	if aerr != nil && len(a.Shortfalls) == 0 {
		return nil, aerr
	}
	plan := &assignmentPlan{Result: &assignResult{Shortfalls: []string{}}, Experts: a.Experts}
	short := map[string]bool{}
	for _, sf := range a.Shortfalls {
		short[sf.AppID] = true
		plan.Result.Shortfalls = append(plan.Result.Shortfalls, s.byNumber(sf.Message, byKey))
	}
	for _, d := range a.Dropped {
		if short[d.AppID] || byKey[d.AppID] == nil {
			continue
		}
		for _, la := range rs.Live[parseKey(d.AppID)] {
			if expertKey(la.ExpertID) == d.ExpertID {
				plan.Request.Drop = append(plan.Request.Drop, store.AssignmentDrop{AssignmentID: la.ID, Reason: d.Reason})
			}
		}
	}
	for _, app := range pending {
		k := appKey(app.ID)
		if short[k] {
			continue
		}
		plan.Assigned = append(plan.Assigned, app)
		for _, id := range a.Experts[k] {
			if slices.ContainsFunc(rs.Live[app.ID], func(x *store.ReviewAssignment) bool { return expertKey(x.ExpertID) == id }) {
				continue
			}
			plan.Request.Add = append(plan.Request.Add, &store.ReviewAssignment{ProgramID: s.prog.ID, Round: round,
				ApplicationID: app.ID, ExpertID: parseKey(id), State: store.AssignAssigned, AssignedBy: u.ID, AssignedAt: s.now()})
		}
	}
	plan.Result.Applications, plan.Result.Assignments = len(plan.Assigned), len(plan.Request.Add)
	return plan, nil
}

func resultOf(err error) string {
	if err != nil {
		return auditFailed
	}
	return auditOK
}

func assignmentsDetail(add []*store.ReviewAssignment) [][2]int64 {
	out := make([][2]int64, 0, len(add))
	for _, a := range add {
		out = append(out, [2]int64{a.ApplicationID, a.ExpertID})
	}
	return out
}

// manualAssign sets the experts of one application by hand (override): the chosen
// experts are kept whatever their domain or load, a conflicted one is refused with
// the reason; experts no longer chosen are dropped (a scored one cannot be).
func (s *Server) manualAssign(r *http.Request, appID int64, expertIDs []int64) (*assignResult, error) {
	u, err := ministry(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	app, err := s.ministryApp(ctx, u, appID)
	if err != nil {
		return nil, err
	}
	if app.State != biopilot.StateRecommendedToMinistry && app.State != biopilot.StateExpertReview {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "申报书当前为「%s」，不能调整评审专家", app.State.Label())
	}
	return s.assignByHand(r, u, store.RoundSelection, app, expertIDs, s.prog.Eval().ExpertsPerApplication)
}

// assignByHand makes the ministry's choice of experts app's assignment in round:
// the chosen experts are kept or added (marked manual), the others' live
// assignments dropped, in one transaction. A chosen expert with a conflict of
// interest (national.Conflicts) or who declined the application is refused. An
// application still at recommended_to_ministry moves to expert_review with it.
// need is the round's number of experts: fewer is allowed, and said.
func (s *Server) assignByHand(r *http.Request, u *biopilot.User, round string, app *biopilot.Application, expertIDs []int64, need int) (*assignResult, error) {
	ctx := r.Context()
	if len(expertIDs) == 0 {
		return nil, invalid("experts", "请至少选择一名评审专家")
	}
	rs, err := s.loadRound(ctx, round)
	if err != nil {
		return nil, err
	}
	k := appKey(app.ID)
	var chosen []string
	for _, id := range expertIDs {
		if e := rs.ByID[id]; e == nil || !e.Active {
			return nil, invalid("experts", fmt.Sprintf("专家 %d 不在专家库中或已停用", id))
		}
		if !slices.Contains(chosen, expertKey(id)) {
			chosen = append(chosen, expertKey(id))
		}
	}
	opt := national.Options{Manual: map[string][]string{k: chosen}, Declined: rs.Declined, DomainLabel: s.prog.DomainLabel}
	if _, err := national.Assign([]national.Candidate{s.candidate(app)}, rs.pool(), len(chosen), opt); err != nil {
		e := biopilot.AsError(err)
		return nil, invalid("experts", s.byNumber(e.Message, map[string]*biopilot.Application{k: app}))
	}
	var req store.AssignRequest
	live := rs.Live[app.ID]
	for _, la := range live {
		if !slices.Contains(chosen, expertKey(la.ExpertID)) {
			req.Drop = append(req.Drop, store.AssignmentDrop{AssignmentID: la.ID, Reason: "工业和信息化部调整评审专家"})
		}
	}
	for _, id := range chosen {
		if slices.ContainsFunc(live, func(x *store.ReviewAssignment) bool { return expertKey(x.ExpertID) == id }) {
			continue
		}
		req.Add = append(req.Add, &store.ReviewAssignment{ProgramID: s.prog.ID, Round: round,
			ApplicationID: app.ID, ExpertID: parseKey(id), State: store.AssignAssigned, Manual: true,
			AssignedBy: u.ID, AssignedAt: s.now()})
	}
	if app.State == biopilot.StateRecommendedToMinistry {
		t, err := s.batchTransition(u, app, workflow.Assign, "", map[string]any{"experts": len(chosen), "manual": true})
		if err != nil {
			return nil, err
		}
		req.Transitions = append(req.Transitions, t)
	}
	res := &assignResult{Shortfalls: []string{}, Assignments: len(req.Add), Applications: 1}
	if len(req.Add) == 0 && len(req.Drop) == 0 && len(req.Transitions) == 0 {
		return res, nil
	}
	drops := make([]int64, 0, len(req.Drop))
	for _, d := range req.Drop {
		drops = append(drops, d.AssignmentID)
	}
	err = s.db.Assign(ctx, req)
	s.auditBatch(r, "assign_manual", resultOf(err), map[string]any{"application_id": app.ID, "round": round,
		"assignments": assignmentsDetail(req.Add), "dropped": drops}, req.Transitions, err)
	if err != nil {
		return nil, err
	}
	if len(chosen) < need {
		res.Shortfalls = append(res.Shortfalls, fmt.Sprintf("申报书 %s 指定了 %d 名专家，少于规定的 %d 名", s.number(app), len(chosen), need))
	}
	return res, nil
}

// assignRow is one application of the assignment page.
type assignRow struct {
	App      *biopilot.Application
	Number   string
	Province string
	City     string
	Domains  string
	Experts  []assignedExpert
	Chosen   map[int64]bool
	Declined []string
}

type assignedExpert struct {
	Name, State, StateLabel string
	Manual                  bool
}

func (s *Server) assignRows(r *http.Request) ([]assignRow, *roundState, error) {
	ctx := r.Context()
	rs, err := s.loadRound(ctx, store.RoundSelection)
	if err != nil {
		return nil, nil, err
	}
	apps, err := s.ministryApps(ctx, biopilot.StateRecommendedToMinistry, biopilot.StateExpertReview)
	if err != nil {
		return nil, nil, err
	}
	var rows []assignRow
	for _, app := range apps {
		row := assignRow{App: app, Number: s.number(app), Province: s.provinceName(app.CityCode),
			City: s.prog.CityName(app.CityCode), Domains: s.domainText(app.Domains), Chosen: map[int64]bool{}}
		for _, a := range rs.Live[app.ID] {
			row.Experts = append(row.Experts, assignedExpert{Name: rs.expertName(a.ExpertID), State: a.State,
				StateLabel: store.AssignStateLabel(a.State), Manual: a.Manual})
			row.Chosen[a.ExpertID] = true
		}
		for _, id := range rs.Declined[appKey(app.ID)] {
			row.Declined = append(row.Declined, rs.expertName(parseKey(id)))
		}
		rows = append(rows, row)
	}
	return rows, rs, nil
}

func (s *Server) pageMinistryAssignments(w http.ResponseWriter, r *http.Request) error {
	return s.renderAssignments(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderAssignments(w http.ResponseWriter, r *http.Request, status int, msg string, res *assignResult) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	rows, rs, err := s.assignRows(r)
	if err != nil {
		return err
	}
	var active []*store.ExpertRecord
	for _, e := range rs.Experts {
		if e.Active {
			active = append(active, e)
		}
	}
	q := r.URL.Query()
	if res == nil && q.Has("shortfall") {
		res = &assignResult{Shortfalls: q["shortfall"]}
	}
	p := s.newPage(r, "专家分配", map[string]any{"Rows": rows, "Experts": active, "Result": res,
		"N": s.prog.Eval().ExpertsPerApplication, "Done": q.Get("done")})
	p.Error = msg
	return s.render(w, r, status, "national_assignments", p)
}

func (s *Server) assignedRedirect(w http.ResponseWriter, r *http.Request, res *assignResult) {
	v := url.Values{"done": {fmt.Sprintf("已为 %d 件申报书分配评审专家（新增 %d 项评审任务）", res.Applications, res.Assignments)}}
	for _, m := range res.Shortfalls {
		v.Add("shortfall", m)
	}
	http.Redirect(w, r, "/ministry/assignments?"+v.Encode(), http.StatusSeeOther)
}

func (s *Server) pageMinistryAutoAssign(w http.ResponseWriter, r *http.Request) error {
	res, err := s.autoAssign(r)
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderAssignments(w, r, st, m, nil) })
	}
	s.assignedRedirect(w, r, res)
	return nil
}

func (s *Server) pageMinistryManualAssign(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	appID, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
	}
	var ids []int64
	for _, v := range r.PostForm["expert"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, n)
		}
	}
	res, err := s.manualAssign(r, appID, ids)
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderAssignments(w, r, st, m, nil) })
	}
	s.assignedRedirect(w, r, res)
	return nil
}

func (s *Server) apiNationalAssignments(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	rows, _, err := s.assignRows(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"experts_per_application": s.prog.Eval().ExpertsPerApplication,
		"items": jsonItems(rows, func(row assignRow) map[string]any {
			experts := jsonItems(row.Experts, func(e assignedExpert) map[string]any {
				return map[string]any{"name": e.Name, "state": e.State, "state_label": e.StateLabel, "manual": e.Manual}
			})
			return map[string]any{"application_id": row.App.ID, "number": row.Number, "platform_name": row.App.PlatformName,
				"org_name": row.App.OrgName, "province": row.Province, "city": row.City, "state": row.App.State,
				"domains": row.App.Domains, "experts": experts, "declined": row.Declined}
		})})
	return nil
}

func (s *Server) apiNationalAutoAssign(w http.ResponseWriter, r *http.Request) error {
	res, err := s.autoAssign(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiNationalManualAssign(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Experts []int64 `json:"experts"`
	}
	if _, err := ministry(r); err != nil {
		return err
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	appID, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
	}
	res, err := s.manualAssign(r, appID, in.Experts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
