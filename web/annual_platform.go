package web

// ANNUAL: one listed platform over the years — its star ratings (服务星级, history
// kept; the directory shows the latest) and its removal (除名: the transition
// listed → removed, the directory entry hidden from the public, the record kept,
// the organisation told). The ministry decides both on /ministry/platforms/{id};
// the organisation reads the same record on /platform/{id}/annual.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/annual"
	"biopilot/authz"
	"biopilot/notify"
	"biopilot/store"
	"biopilot/workflow"
)

// StarsInput is a star rating the ministry sets on a platform for a year.
type StarsInput struct {
	ApplicationID int64  `json:"application_id"`
	Year          int    `json:"year"`
	Stars         int    `json:"stars"`
	Reason        string `json:"reason"`
}

// decisionPlatform loads a platform for a ministry decision.
func (s *Server) decisionPlatform(ctx context.Context, u *biopilot.User, id int64) (*biopilot.Application, error) {
	app, err := s.db.Application(ctx, id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND || (err == nil && app.ProgramID != s.prog.ID) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该平台")
	} else if err != nil {
		return nil, err
	}
	if err := authz.CheckPlatformDecision(u, app); err != nil {
		return nil, err
	}
	return app, nil
}

// SetPlatformStars records the platform's service star rating (1–5) for a year
// with a reason: a new entry of its history, and the directory's current stars.
// The ministry only; a removed platform is ECONFLICT; audited; the organisation is
// told.
func (s *Server) SetPlatformStars(ctx context.Context, u *biopilot.User, in StarsInput) (*store.StarRating, error) {
	app, err := s.decisionPlatform(ctx, u, in.ApplicationID)
	if err != nil {
		return nil, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if err := annual.ValidateRating(in.Stars, in.Year, in.Reason); err != nil {
		return nil, err
	}
	rt := &store.StarRating{ApplicationID: app.ID, Year: in.Year, Stars: in.Stars, Reason: in.Reason, SetBy: u.ID, SetAt: s.now()}
	err = s.db.SetStars(ctx, rt)
	detail := map[string]any{"year": in.Year, "stars": in.Stars, "reason": in.Reason}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditCtx(ctx, u, appObject(app.ID), "annual:stars", resultOf(err), detail)
	if err != nil {
		return nil, err
	}
	s.tellOrganisation(ctx, u, app, fmt.Sprintf("服务星级评定：%s %d 年度为 %s", platformName(app), in.Year, starText(in.Stars)),
		"评定理由："+in.Reason)
	return rt, nil
}

// RemovalInput removes a listed platform (除名).
type RemovalInput struct {
	ApplicationID int64  `json:"application_id"`
	Grounds       string `json:"grounds"` // annual.Grounds*
	Detail        string `json:"detail"`
}

// RemovePlatform removes a listed platform (除名) with its grounds and detail: the
// transition listed → removed (workflow action remove) and the directory entry's
// removal in one transaction. The platform leaves the public directory; its
// record stays for the ministry and the organisation. The ministry only; audited;
// the organisation's users are told.
func (s *Server) RemovePlatform(ctx context.Context, u *biopilot.User, in RemovalInput) error {
	app, err := s.decisionPlatform(ctx, u, in.ApplicationID)
	if err != nil {
		return err
	}
	in.Detail = strings.TrimSpace(in.Detail)
	if err := annual.ValidateRemoval(in.Grounds, in.Detail); err != nil {
		return err
	}
	t, err := s.batchTransition(u, app, workflow.Remove, in.Detail, map[string]any{"grounds": in.Grounds})
	if err != nil {
		return err
	}
	err = s.db.RemovePlatform(ctx, store.RemovalRequest{ApplicationID: app.ID, Grounds: in.Grounds, Detail: in.Detail, Transition: t})
	detail := map[string]any{"grounds": in.Grounds, "detail": in.Detail}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditCtx(ctx, u, appObject(app.ID), "annual:remove", resultOf(err), detail)
	if err != nil {
		return err
	}
	s.auditCtx(ctx, u, appObject(app.ID), "transition:remove", auditOK,
		map[string]any{"from": t.From, "to": t.To, "reason": in.Detail})
	s.tellOrganisation(ctx, u, app, "平台已除名："+platformName(app),
		"除名事由："+annual.GroundsLabel(in.Grounds)+"。情况说明："+in.Detail)
	return nil
}

// tellOrganisation notifies the platform's organisation (its applicant accounts)
// in the application and by e-mail; a failure is logged: the decision stands.
func (s *Server) tellOrganisation(ctx context.Context, actor *biopilot.User, app *biopilot.Application, title, body string) {
	users, err := s.db.Users(ctx, store.UserFilter{OrgID: app.OrgID, Role: biopilot.RoleApplicant, Limit: 500})
	if err != nil {
		s.logger.ErrorContext(ctx, "notify: users", "err", err)
		return
	}
	for _, x := range users {
		if x.Disabled || (actor != nil && x.ID == actor.ID) {
			continue
		}
		n := &store.Notification{UserID: x.ID, Kind: string(notify.KindStatusChanged), Title: title, Body: body,
			Link: fmt.Sprintf("/platform/%d/annual", app.ID), CreatedAt: s.now()}
		if err := s.deliver(ctx, x, n); err != nil {
			s.logger.ErrorContext(ctx, "notify: deliver", "user_id", x.ID, "err", err)
		}
	}
}

// ratingView is one entry of a platform's rating history.
type ratingView struct {
	Year   int
	Stars  string
	Reason string
	SetAt  string
}

// yearView is one annual evaluation of a platform's record.
type yearView struct {
	Eval   *store.AnnualEvaluation
	Report *store.AnnualReport
	State  string
}

// platformRecord is a platform's record: directory entry, ratings (latest first),
// removal and reports by year.
type platformRecord struct {
	App      *biopilot.Application
	Entry    *store.DirectoryEntry
	Current  string
	Ratings  []ratingView
	Removed  bool
	Grounds  string
	Years    []yearView
	Ministry bool
}

func (s *Server) platformRecord(ctx context.Context, u *biopilot.User, app *biopilot.Application) (*platformRecord, error) {
	rec := &platformRecord{App: app, Removed: app.State == biopilot.StateRemoved, Ministry: authz.IsMinistry(u)}
	e, err := s.db.DirectoryEntry(ctx, app.ID)
	if err == nil {
		rec.Entry, rec.Current = e, starText(e.Stars)
		rec.Removed = rec.Removed || !e.RemovedAt.IsZero()
		rec.Grounds = annual.GroundsLabel(e.RemovalGrounds)
	} else if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return nil, err
	}
	ratings, err := s.db.StarRatings(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	for i := len(ratings) - 1; i >= 0; i-- {
		x := ratings[i]
		rec.Ratings = append(rec.Ratings, ratingView{Year: x.Year, Stars: starText(x.Stars), Reason: x.Reason, SetAt: beijing(x.SetAt)})
	}
	evals, err := s.db.AnnualEvaluations(ctx, s.prog.ID)
	if err != nil {
		return nil, err
	}
	for _, ev := range evals {
		if !reportsOn(rec.Entry, ev.Year) {
			continue
		}
		yv := yearView{Eval: ev, State: "未填报"}
		rep, err := s.db.AnnualReportFor(ctx, app.ID, ev.Year)
		if err == nil {
			yv.Report, yv.State = rep, "草稿"
			if rep.State == store.ReportSubmitted {
				yv.State = "已提交"
			}
		} else if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
			return nil, err
		}
		rec.Years = append(rec.Years, yv)
	}
	return rec, nil
}

// pageAnnualIndex lists the caller's organisation's platforms (listed or removed).
func (s *Server) pageAnnualIndex(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if authz.IsMinistry(u) {
		http.Redirect(w, r, "/ministry/annual", http.StatusSeeOther)
		return nil
	}
	if u.Role != biopilot.RoleApplicant || u.OrgID == 0 {
		return biopilot.Errorf(biopilot.EFORBIDDEN, "年度报告由入选平台的依托单位填报")
	}
	apps, _, err := s.db.Applications(r.Context(), store.ApplicationFilter{ProgramID: s.prog.ID, OrgID: u.OrgID,
		States: []biopilot.State{biopilot.StateListed, biopilot.StateRemoved}, Sort: "id", Limit: 100})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "annual_index", s.newPage(r, "年度报告", map[string]any{"Apps": apps}))
}

// pagePlatformAnnual shows a platform's record to its organisation (and the
// ministry): the years to report on, ratings, removal.
func (s *Server) pagePlatformAnnual(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u := currentUser(r)
	app, err := s.platform(r.Context(), u, id, authz.AnnualView)
	if err != nil {
		return err
	}
	rec, err := s.platformRecord(r.Context(), u, app)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "annual_platform", s.newPage(r, "年度评价 · "+platformName(app), rec))
}

// pageMinistryPlatform shows a platform's record to the ministry with the forms to
// rate and to remove it.
func (s *Server) pageMinistryPlatform(w http.ResponseWriter, r *http.Request) error {
	return s.renderMinistryPlatform(w, r, http.StatusOK, "")
}

func (s *Server) renderMinistryPlatform(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u := currentUser(r)
	app, err := s.decisionPlatform(r.Context(), u, id)
	if err != nil {
		return err
	}
	rec, err := s.platformRecord(r.Context(), u, app)
	if err != nil {
		return err
	}
	form := r.PostForm
	if form == nil {
		form = url.Values{}
	}
	if form.Get("year") == "" {
		form.Set("year", strconv.Itoa(s.now().In(biopilot.Beijing).Year()-1))
	}
	p := s.newPage(r, "平台档案 · "+platformName(app), map[string]any{"Rec": rec, "Form": form,
		"Grounds": annual.Grounds, "StarOptions": []string{"1", "2", "3", "4", "5"}, "Done": r.URL.Query().Get("done")})
	p.Error = msg
	return s.render(w, r, status, "annual_ministry_platform", p)
}

// pageMinistryStars sets a star rating from the platform page's form.
func (s *Server) pageMinistryStars(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.decisionPlatform(r.Context(), currentUser(r), id); err != nil {
		return err
	}
	again := func(st int, m string) error { return s.renderMinistryPlatform(w, r, st, m) }
	year, yerr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("year")))
	stars, serr := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("stars")))
	switch {
	case yerr != nil:
		return s.pageFail(w, r, invalid("year", "「评价年度」应为四位数字年份"), again)
	case serr != nil:
		return s.pageFail(w, r, invalid("stars", "请选择「服务星级」（1 至 5 星）"), again)
	}
	_, err = s.SetPlatformStars(s.reqCtx(r), currentUser(r), StarsInput{ApplicationID: id, Year: year, Stars: stars,
		Reason: r.PostForm.Get("reason")})
	if err != nil {
		return s.pageFail(w, r, err, again)
	}
	http.Redirect(w, r, fmt.Sprintf("/ministry/platforms/%d?done=%s", id,
		url.QueryEscape(fmt.Sprintf("已评定 %d 年度服务星级：%s", year, starText(stars)))), http.StatusSeeOther)
	return nil
}

// pageMinistryRemove removes the platform from the platform page's form.
func (s *Server) pageMinistryRemove(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = s.RemovePlatform(s.reqCtx(r), currentUser(r), RemovalInput{ApplicationID: id,
		Grounds: r.PostForm.Get("grounds"), Detail: r.PostForm.Get("detail")})
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderMinistryPlatform(w, r, st, m) })
	}
	http.Redirect(w, r, fmt.Sprintf("/ministry/platforms/%d?done=%s", id,
		url.QueryEscape("平台已除名，已从公开名录中移除并通知依托单位")), http.StatusSeeOther)
	return nil
}
