package web

// NATIONAL: the public notice (公示) of the proposed list and the publication of
// the list. Opening the notice moves the decided applications (拟入选 →
// publicized, 不予入选 → not_listed); publishing, once the notice period is over
// and every objection handled, lists them (→ listed, or → not_listed after an
// upheld objection) and fills the public directory with their public fields only.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
	"biopilot/workflow"
)

// natNoticeTitle and natNoticeBody are the notice's text unless the
// ministry writes its own.
const natNoticeTitle = "关于生物制造中试能力建设平台拟入选名单的公示"

func (s *Server) natNoticeBody() string {
	return fmt.Sprintf("经地方推荐、专家评审，现将拟入选名单予以公示，公示期为 %d 个工作日。"+
		"如有异议，请在公示期内通过本网站“提出异议”页面实名提交书面意见（写明异议人姓名、联系方式、所涉平台和具体理由，可附证明材料）。"+
		"匿名、超出公示期或无具体理由的异议不予受理。", s.prog.Eval().NoticeWorkingDays)
}

// natCurrentNotice is the latest notice of the selection round, or nil.
func (s *Server) natCurrentNotice(ctx context.Context) (*store.PublicNotice, error) {
	ns, err := s.db.Notices(ctx, s.prog.ID)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		if n.Round == store.RoundSelection {
			return n, nil
		}
	}
	return nil, nil
}

// natObjections turns the store's objections into package national's.
func natObjections(os []*store.Objection) []national.Objection {
	out := make([]national.Objection, 0, len(os))
	for _, o := range os {
		out = append(out, national.Objection{ID: fmt.Sprint(o.ID), AppID: appKey(o.ApplicationID), Outcome: o.Outcome, Reason: o.Reason})
	}
	return out
}

// openNotice opens the public notice of the decided applications.
func (s *Server) natOpenNotice(r *http.Request, title, body string) (*store.PublicNotice, error) {
	u, err := ministry(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	apps, err := s.ministryApps(ctx, biopilot.StateExpertReview)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "没有待公示的申报书（专家评审中的申报书为 0 件）")
	}
	decs, err := s.db.Decisions(ctx, s.prog.ID, store.RoundSelection)
	if err != nil {
		return nil, err
	}
	byApp := map[int64]*store.CommitteeDecision{}
	for _, d := range decs {
		byApp[d.ApplicationID] = d
	}
	var undecided []string
	var ts []store.TransitionRequest
	var ids []int64
	for _, app := range apps {
		d := byApp[app.ID]
		if d == nil {
			undecided = append(undecided, s.number(app))
			continue
		}
		act := workflow.Publicize
		if d.Outcome == national.DecisionNotRecommend {
			act = workflow.NotList
		} else {
			ids = append(ids, app.ID)
		}
		t, err := s.batchTransition(u, app, act, d.Reason, map[string]any{"decision_id": d.ID, "outcome": d.Outcome})
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	if len(undecided) > 0 {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "尚有 %d 件申报书未作出评审决定（%s），请先在“评审结果”中作出决定",
			len(undecided), strings.Join(undecided, "、"))
	}
	if len(ids) == 0 {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "没有拟入选的申报书，无需公示")
	}
	title, body = strings.TrimSpace(title), strings.TrimSpace(body)
	if title == "" {
		title = natNoticeTitle
	}
	if body == "" {
		body = s.natNoticeBody()
	}
	start := s.now()
	n := &store.PublicNotice{ProgramID: s.prog.ID, Round: store.RoundSelection, Title: title, Body: body,
		ApplicationIDs: ids, StartsAt: start, EndsAt: national.NoticeEnd(start, s.prog.Eval().NoticeWorkingDays, national.CalendarOf(s.prog)),
		CreatedBy: u.ID}
	err = s.db.OpenNotice(ctx, store.OpenNoticeRequest{Notice: n, Transitions: ts})
	s.auditBatch(r, "notice_open", resultOf(err), map[string]any{"notice_id": n.ID, "title": title,
		"applications": ids, "ends_at": rfc3339(n.EndsAt)}, ts, err)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// natDirectoryEntry is a listed application as the directory shows it: only what
// national.PublicView of its snapshot makes public.
func (s *Server) natDirectoryEntry(app *biopilot.Application, noticeID int64) (*store.DirectoryEntry, error) {
	doc, err := s.snapshotDoc(app)
	if err != nil {
		return nil, err
	}
	pub := national.PublicView(s.prog, doc)
	raw, err := json.Marshal(pub)
	if err != nil {
		return nil, err
	}
	str := func(key string) string {
		v, _ := program.Lookup(pub, key)
		x, _ := v.(string)
		return x
	}
	list := func(key string) []string {
		v, _ := program.Lookup(pub, key)
		var out []string
		for _, x := range natList(v) {
			if t, ok := x.(string); ok && t != "" {
				out = append(out, t)
			}
		}
		return out
	}
	e := &store.DirectoryEntry{ApplicationID: app.ID, ProgramID: s.prog.ID, NoticeID: noticeID,
		PlatformName: str("platform.name"), OrgName: str("applicant.name"), CityCode: app.CityCode,
		ProvinceCode: authz.ProvinceOf(app.CityCode), Domains: list("domains"), ChassisCells: list("chassis_cells"),
		Public: raw, ListedAt: s.now()}
	if e.PlatformName == "" {
		e.PlatformName = app.PlatformName // the list names its platforms
	}
	// The same names as the public pages show (a row without a name by its category).
	e.Equipment = s.equipmentNames(pub)
	return e, nil
}

func natList(v any) []any {
	l, _ := v.([]any)
	return l
}

// publish publishes the list of the open notice.
func (s *Server) natPublish(r *http.Request) (listed, notListed int, err error) {
	u, err := ministry(r)
	if err != nil {
		return 0, 0, err
	}
	ctx := r.Context()
	n, err := s.natCurrentNotice(ctx)
	if err != nil {
		return 0, 0, err
	}
	if n == nil || n.State != store.NoticeOpen {
		return 0, 0, biopilot.Errorf(biopilot.ECONFLICT, "没有正在进行的公示")
	}
	objs, err := s.db.Objections(ctx, n.ID)
	if err != nil {
		return 0, 0, err
	}
	nobjs := natObjections(objs)
	if err := national.CanPublish(s.now(), n.EndsAt, nobjs); err != nil {
		return 0, 0, err
	}
	upheld := national.Upheld(nobjs)
	req := store.PublishRequest{NoticeID: n.ID, By: u.ID, At: s.now()}
	for _, id := range n.ApplicationIDs {
		app, err := s.db.Application(ctx, id)
		if err != nil {
			return 0, 0, err
		}
		var t store.TransitionRequest
		if slices.Contains(upheld, appKey(id)) {
			t, err = s.batchTransition(u, app, workflow.NotList, "公示期间异议成立，不予入选", map[string]any{"notice_id": n.ID})
			notListed++
		} else {
			var e *store.DirectoryEntry
			if e, err = s.natDirectoryEntry(app, n.ID); err != nil {
				return 0, 0, err
			}
			req.Entries = append(req.Entries, e)
			t, err = s.batchTransition(u, app, workflow.List, "", map[string]any{"notice_id": n.ID})
			listed++
		}
		if err != nil {
			return 0, 0, err
		}
		req.Transitions = append(req.Transitions, t)
	}
	err = s.db.Publish(ctx, req)
	s.auditBatch(r, "publish", resultOf(err), map[string]any{"notice_id": n.ID, "listed": listed,
		"not_listed": notListed}, req.Transitions, err)
	if err != nil {
		return 0, 0, err
	}
	return listed, notListed, nil
}

// natNoticeRow is an application on the notice page.
type natNoticeRow struct {
	App      *biopilot.Application
	Number   string
	Province string
	Decision *store.CommitteeDecision
}

// natNoticeData is the notice page.
type natNoticeData struct {
	Notice     *store.PublicNotice
	OnNotice   []natNoticeRow
	Objections int
	Open       int
	CanPublish bool
	Why        string
	// Before a notice: the decided applications and those still undecided.
	Pending   []natNoticeRow
	Undecided int
	Days      int
	EndsIfNow time.Time
	Title     string
	Body      string
	Done      string
}

func (s *Server) natNoticeData(ctx context.Context) (*natNoticeData, error) {
	d := &natNoticeData{Days: s.prog.Eval().NoticeWorkingDays, Title: natNoticeTitle, Body: s.natNoticeBody()}
	d.EndsIfNow = national.NoticeEnd(s.now(), d.Days, national.CalendarOf(s.prog))
	n, err := s.natCurrentNotice(ctx)
	if err != nil {
		return nil, err
	}
	decs, err := s.db.Decisions(ctx, s.prog.ID, store.RoundSelection)
	if err != nil {
		return nil, err
	}
	byApp := map[int64]*store.CommitteeDecision{}
	for _, dc := range decs {
		byApp[dc.ApplicationID] = dc
	}
	if n != nil {
		d.Notice = n
		for _, id := range n.ApplicationIDs {
			app, err := s.db.Application(ctx, id)
			if err != nil {
				return nil, err
			}
			d.OnNotice = append(d.OnNotice, natNoticeRow{App: app, Number: s.number(app), Province: s.provinceName(app.CityCode), Decision: byApp[id]})
		}
		objs, err := s.db.Objections(ctx, n.ID)
		if err != nil {
			return nil, err
		}
		d.Objections = len(objs)
		for _, o := range objs {
			if o.Outcome == "" {
				d.Open++
			}
		}
		if n.State == store.NoticeOpen {
			if err := national.CanPublish(s.now(), n.EndsAt, natObjections(objs)); err != nil {
				d.Why = biopilot.ErrorMessage(err)
			} else {
				d.CanPublish = true
			}
		}
	}
	apps, err := s.ministryApps(ctx, biopilot.StateExpertReview)
	if err != nil {
		return nil, err
	}
	for _, app := range apps {
		if dc := byApp[app.ID]; dc != nil {
			d.Pending = append(d.Pending, natNoticeRow{App: app, Number: s.number(app), Province: s.provinceName(app.CityCode), Decision: dc})
		} else {
			d.Undecided++
		}
	}
	return d, nil
}

func (s *Server) pageMinistryNotice(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotice(w, r, http.StatusOK, "")
}

func (s *Server) renderNotice(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	d, err := s.natNoticeData(r.Context())
	if err != nil {
		return err
	}
	d.Done = r.URL.Query().Get("done")
	if r.Method == http.MethodPost {
		d.Title, d.Body = r.PostForm.Get("title"), r.PostForm.Get("body")
	}
	p := s.newPage(r, "公示与发布", d)
	p.Error = msg
	return s.render(w, r, status, "national_notice", p)
}

func (s *Server) pageMinistryOpenNotice(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	n, err := s.natOpenNotice(r, r.PostForm.Get("title"), r.PostForm.Get("body"))
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderNotice(w, r, st, m) })
	}
	http.Redirect(w, r, "/ministry/notice?done="+url.QueryEscape(fmt.Sprintf("公示已开始，至 %s 结束", workflowDeadline(n.EndsAt))), http.StatusSeeOther)
	return nil
}

func (s *Server) pageMinistryPublish(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	listed, notListed, err := s.natPublish(r)
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderNotice(w, r, st, m) })
	}
	http.Redirect(w, r, "/ministry/notice?done="+url.QueryEscape(fmt.Sprintf("名单已发布：入选 %d 个平台，不予入选 %d 个", listed, notListed)), http.StatusSeeOther)
	return nil
}

func natNoticeJSON(n *store.PublicNotice) map[string]any {
	if n == nil {
		return nil
	}
	return map[string]any{"id": n.ID, "title": n.Title, "body": n.Body, "state": n.State,
		"application_ids": n.ApplicationIDs, "starts_at": rfc3339(n.StartsAt), "ends_at": rfc3339(n.EndsAt),
		"published_at": rfc3339(n.PublishedAt)}
}

func (s *Server) apiNationalNotice(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	d, err := s.natNoticeData(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": natNoticeJSON(d.Notice), "objections": d.Objections,
		"open_objections": d.Open, "can_publish": d.CanPublish, "why_not": d.Why,
		"decided_pending": len(d.Pending), "undecided": d.Undecided, "working_days": d.Days})
	return nil
}

func (s *Server) apiNationalOpenNotice(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if _, err := ministry(r); err != nil {
		return err
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	n, err := s.natOpenNotice(r, in.Title, in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, natNoticeJSON(n))
	return nil
}

func (s *Server) apiNationalPublish(w http.ResponseWriter, r *http.Request) error {
	listed, notListed, err := s.natPublish(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"listed": listed, "not_listed": notListed})
	return nil
}
