package web

// NATIONAL: the expert's side of the national stage — the list of its assignments,
// the declaration of conflicts of interest, the application's snapshot and the
// score sheet. The scoring is generic over the round: the sheet comes from
// s.scoreSheet(round).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/national"
	"biopilot/rules"
	"biopilot/store"
)

// expertTask is one assignment as its expert sees it: before the declaration only
// the application's number and platform name.
type expertTask struct {
	A          *store.ReviewAssignment
	App        *biopilot.Application
	Number     string
	Platform   string
	RoundLabel string
	StateLabel string
}

func (s *Server) expertTaskOf(a *store.ReviewAssignment, app *biopilot.Application) expertTask {
	t := expertTask{A: a, App: app, Number: s.number(app), Platform: app.PlatformName,
		RoundLabel: roundLabel(a.Round), StateLabel: store.AssignStateLabel(a.State)}
	if t.Platform == "" {
		t.Platform = "（未命名平台）"
	}
	return t
}

// expertTasks lists the caller's live assignments (none when it is in no pool).
func (s *Server) expertTasks(ctx context.Context, u *biopilot.User) ([]expertTask, error) {
	e, err := s.db.ExpertByUser(ctx, u.ID)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	list, err := s.db.Assignments(ctx, store.AssignmentFilter{ProgramID: s.prog.ID, ExpertID: e.ID, States: liveStates})
	if err != nil {
		return nil, err
	}
	var out []expertTask
	for _, a := range list {
		if e.UserID != u.ID { // belt and braces: authz decides
			continue
		}
		if authz.CheckAssignment(u, authz.ExpertOpen, authz.ExpertAssignment{ExpertUserID: e.UserID, State: a.State}) != nil {
			continue
		}
		app, err := s.db.Application(ctx, a.ApplicationID)
		if err != nil {
			return nil, err
		}
		out = append(out, s.expertTaskOf(a, app))
	}
	return out, nil
}

// expertAssignment loads the assignment of the path's {id} for the caller and
// checks act: another expert's, a conflicted or a dropped assignment is ENOTFOUND.
func (s *Server) expertAssignment(r *http.Request, act authz.ExpertAction) (*store.ReviewAssignment, *store.ExpertRecord, *biopilot.Application, error) {
	u := currentUser(r)
	if u == nil {
		return nil, nil, nil, biopilot.Errorf(biopilot.EUNAUTHORIZED, "请先登录")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该评审任务")
	}
	return s.expertTask(r.Context(), u, id, act)
}

// expertTask loads assignment id with its expert and application when u may do
// act on it (authz.CheckAssignment): another's, a conflicted or a dropped
// assignment is ENOTFOUND, as is one of another program.
func (s *Server) expertTask(ctx context.Context, u *biopilot.User, id int64, act authz.ExpertAction) (*store.ReviewAssignment, *store.ExpertRecord, *biopilot.Application, error) {
	notFound := biopilot.Errorf(biopilot.ENOTFOUND, "未找到该评审任务")
	a, err := s.db.Assignment(ctx, id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND || (err == nil && a.ProgramID != s.prog.ID) {
		return nil, nil, nil, notFound
	} else if err != nil {
		return nil, nil, nil, err
	}
	e, err := s.db.Expert(ctx, a.ExpertID)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, nil, nil, notFound
	} else if err != nil {
		return nil, nil, nil, err
	}
	if err := authz.CheckAssignment(u, act, authz.ExpertAssignment{ExpertUserID: e.UserID, State: a.State}); err != nil {
		return nil, nil, nil, err
	}
	app, err := s.db.Application(ctx, a.ApplicationID)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, e, app, nil
}

// declare records the caller's declaration on its assignment. With a conflict the
// application is reassigned in the same transaction (national.Reassign: the
// least-loaded eligible expert); when nobody eligible is left the declaration is
// recorded all the same and the shortfall is audited for the ministry.
func (s *Server) declare(r *http.Request, conflict bool, reason string) (*store.ReviewAssignment, error) {
	a, e, app, err := s.expertAssignment(r, authz.ExpertDeclare)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	d := national.Declaration{AppID: appKey(app.ID), ExpertID: expertKey(e.ID), Conflict: conflict, Reason: reason}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	ctx := r.Context()
	req := store.DeclareRequest{AssignmentID: a.ID, Conflict: conflict, Reason: reason, At: s.now()}
	detail := map[string]any{"assignment_id": a.ID, "round": a.Round, "conflict": conflict}
	if conflict {
		detail["reason"] = reason
		rs, err := s.loadRound(ctx, a.Round)
		if err != nil {
			return nil, err
		}
		opt := national.Options{Declined: rs.Declined, Seed: uint64(app.ID), DomainLabel: s.prog.DomainLabel}
		_, repl, rerr := national.Reassign(rs.assignment(), s.candidate(app), d.ExpertID, rs.pool(), opt)
		if rerr != nil {
			detail["shortfall"] = biopilot.ErrorMessage(rerr)
		} else {
			req.Replacement = &store.ReviewAssignment{ProgramID: s.prog.ID, Round: a.Round,
				ApplicationID: app.ID, ExpertID: parseKey(repl), State: store.AssignAssigned, AssignedAt: s.now()}
			detail["replacement_expert_id"] = req.Replacement.ExpertID
		}
	}
	out, err := s.db.Declare(ctx, req)
	obj := fmt.Sprintf("application:%d", app.ID)
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
		s.audit(r, obj, "national:declare", auditFailed, detail)
		return nil, err
	}
	s.audit(r, obj, "national:declare", auditOK, detail)
	return out, nil
}

// submitScore seals the caller's score (national.Seal over the round's sheet) and
// stores it: final.
func (s *Server) submitScore(r *http.Request, points map[string]float64, comments map[string]string) (*store.ReviewAssignment, error) {
	a, e, app, err := s.expertAssignment(r, authz.ExpertScore)
	if err != nil {
		return nil, err
	}
	sheet, err := s.scoreSheet(a.Round)
	if err != nil {
		return nil, err
	}
	sc := national.Score{ExpertID: expertKey(e.ID), AppID: appKey(app.ID), Points: points, Comments: comments}
	only := national.Assignment{Experts: map[string][]string{sc.AppID: {sc.ExpertID}}}
	// Milliseconds: what the store keeps, so that the digest verifies when read back.
	at := s.now().UTC().Truncate(time.Millisecond)
	sealed, err := national.Seal(sheet, only, sc, at)
	if err != nil {
		return nil, err
	}
	out, err := s.db.SubmitScore(r.Context(), a.ID, sealed)
	obj := fmt.Sprintf("application:%d", app.ID)
	detail := map[string]any{"assignment_id": a.ID, "round": a.Round, "total": sealed.Total, "digest": sealed.Digest}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
		s.audit(r, obj, "national:score", auditFailed, detail)
		return nil, err
	}
	s.audit(r, obj, "national:score", auditOK, detail)
	return out, nil
}

// pageExpert lists the expert's assignments.
func (s *Server) pageExpert(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if err := authz.CheckExpert(u); err != nil {
		return err
	}
	tasks, err := s.expertTasks(r.Context(), u)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "expert_home", s.newPage(r, "评审任务",
		map[string]any{"Tasks": tasks, "Done": r.URL.Query().Get("done")}))
}

// expertView is the page of one assignment.
type expertView struct {
	Task     expertTask
	Declare  bool
	Sections []sectionView
	Evidence []evidenceItem
	Report   *rules.Report
	Sheet    national.ScoreSheet
	Max      float64
	Form     url.Values
	Scored   bool
	Sealed   national.SealedScore
	SealOK   bool
	Done     string
	// AnnualYear is the year of an annual round's report (0 in the selection).
	AnnualYear int
}

// expertPage builds the page of an assignment: the declaration form before the
// declaration, then the snapshot with the score sheet, or the sealed score.
func (s *Server) expertPage(r *http.Request, a *store.ReviewAssignment, app *biopilot.Application) (*expertView, error) {
	v := &expertView{Task: s.expertTaskOf(a, app), Form: url.Values{}}
	if a.State == store.AssignAssigned {
		v.Declare = true
		return v, nil
	}
	var err error
	if y, ok := annualYearOf(a.Round); ok { // ANNUAL: the submitted report of the year
		v.AnnualYear = y
		if v.Sections, v.Evidence, err = s.annualSubject(r.Context(), app, y); err != nil {
			return nil, err
		}
	} else {
		doc, err := s.snapshotDoc(app)
		if err != nil {
			return nil, err
		}
		v.Sections = s.sectionViews(doc)
		v.Evidence = s.snapshotEvidence(r.Context(), app, doc)
		v.Report, _ = s.cachedReport(docKeyOf(app, "snapshot"), func() (*rules.Report, error) { return s.eng.Evaluate(doc), nil })
	}
	if v.Sheet, err = s.scoreSheet(a.Round); err != nil {
		return nil, err
	}
	v.Max = v.Sheet.Max()
	if a.State == store.AssignScored {
		v.Scored, v.Sealed = true, a.Sealed()
		v.SealOK = v.Sealed.Verify()
	}
	return v, nil
}

func (s *Server) pageExpertAssignment(w http.ResponseWriter, r *http.Request) error {
	a, _, app, err := s.expertAssignment(r, authz.ExpertOpen)
	if err != nil {
		return err
	}
	v, err := s.expertPage(r, a, app)
	if err != nil {
		return err
	}
	v.Done = r.URL.Query().Get("done")
	return s.render(w, r, http.StatusOK, "expert_assignment", s.newPage(r, "评审："+v.Task.Number, v))
}

// expertPageAgain shows the assignment's page again with an error and the input.
func (s *Server) expertPageAgain(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	a, _, app, err := s.expertAssignment(r, authz.ExpertOpen)
	if err != nil {
		return err
	}
	v, err := s.expertPage(r, a, app)
	if err != nil {
		return err
	}
	v.Form = r.PostForm
	p := s.newPage(r, "评审："+v.Task.Number, v)
	p.Error = msg
	return s.render(w, r, status, "expert_assignment", p)
}

func (s *Server) pageExpertDeclare(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	var conflict bool
	switch r.PostForm.Get("conflict") {
	case "no":
	case "yes":
		conflict = true
	default:
		err := invalid("conflict", "请选择“无利益冲突”或“存在利益冲突”")
		return s.pageFail(w, r, err, func(st int, m string) error { return s.expertPageAgain(w, r, st, m) })
	}
	a, err := s.declare(r, conflict, r.PostForm.Get("reason"))
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.expertPageAgain(w, r, st, m) })
	}
	if conflict {
		http.Redirect(w, r, "/expert?done="+url.QueryEscape("已声明存在利益冲突，该评审任务已回避并另行分配。"), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/expert/assignments/%d?done=%s", a.ID,
		url.QueryEscape("已声明无利益冲突，可以查看申报材料并评分。")), http.StatusSeeOther)
	return nil
}

// scoreForm reads the score sheet's fields: points.<key> and comments.<key>.
func scoreForm(sheet national.ScoreSheet, f url.Values) (map[string]float64, map[string]string, error) {
	points, comments := map[string]float64{}, map[string]string{}
	for _, c := range sheet {
		if raw := strings.TrimSpace(f.Get("points." + c.Key)); raw != "" {
			p, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, nil, invalid("points."+c.Key, fmt.Sprintf("「%s」的得分应为数字", c.Label))
			}
			points[c.Key] = p
		}
		comments[c.Key] = strings.TrimSpace(f.Get("comments." + c.Key))
	}
	return points, comments, nil
}

func (s *Server) pageExpertScore(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	again := func(st int, m string) error { return s.expertPageAgain(w, r, st, m) }
	a, _, _, err := s.expertAssignment(r, authz.ExpertScore)
	if err != nil {
		return s.pageFail(w, r, err, again)
	}
	sheet, err := s.scoreSheet(a.Round)
	if err != nil {
		return err
	}
	points, comments, err := scoreForm(sheet, r.PostForm)
	if err == nil {
		_, err = s.submitScore(r, points, comments)
	}
	if err != nil {
		return s.pageFail(w, r, err, again)
	}
	http.Redirect(w, r, fmt.Sprintf("/expert/assignments/%d?done=%s", a.ID,
		url.QueryEscape("评分已提交并封存，不可修改。")), http.StatusSeeOther)
	return nil
}

// pageExpertEvidence serves one evidence file of the assignment's snapshot to its
// expert after the "no conflict" declaration, as the reviewers' evidence viewer
// does; every serving is audited.
func (s *Server) pageExpertEvidence(w http.ResponseWriter, r *http.Request) error {
	a, _, app, err := s.expertAssignment(r, authz.ExpertRead)
	if err != nil {
		return err
	}
	if y, ok := annualYearOf(a.Round); ok { // ANNUAL: the report's evidence
		return s.serveAnnualEvidence(w, r, app, y)
	}
	doc, err := s.snapshotDoc(app)
	if err != nil {
		return err
	}
	return s.serveSnapshotEvidence(w, r, app, doc, map[string]any{"as": "expert"})
}
