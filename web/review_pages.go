package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/export"
	"biopilot/files"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/workflow"
)

func init() {
	// appNumber is an application's number (申请编号, export.Number) in templates:
	// {{appNumber $.Program .App}}; the same number as on its PDF and package.
	templateFuncs["appNumber"] = export.Number
	// sealTime shows a seal's RFC 3339 signing time in Beijing time.
	templateFuncs["sealTime"] = func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return s
		}
		return beijing(t)
	}
	// roleLabel and auditResult show an audit record's role and result in Chinese.
	templateFuncs["roleLabel"] = func(s string) string {
		if s == "" {
			return "（未登录）"
		}
		return biopilot.Role(s).Label()
	}
	templateFuncs["auditResult"] = func(s string) string {
		switch s {
		case auditOK:
			return "成功"
		case auditDenied:
			return "拒绝"
		case auditFailed:
			return "失败"
		}
		return s
	}
}

// historyItem is one transition as the reviewer sees it, with its seal checked.
type historyItem struct {
	T       *biopilot.Transition
	Sig     *seal.Signature
	SealOK  bool
	SealMsg string
	Opinion string
	Checks  *Checks
	Fields  []FieldReason
	// LetterID is the recommendation letter a city_send carried (its PDF is linked).
	LetterID int64
}

// evidenceItem is one evidence file of the snapshot.
type evidenceItem struct {
	A           *store.Attachment
	Category    string
	Previewable bool
	Image       bool
}

// reviewData is the reviewer's view of one application.
type reviewData struct {
	App          *biopilot.Application
	CityName     string
	Sections     []sectionView
	Derived      any
	Report       *rules.Report
	History      []historyItem
	Evidence     []evidenceItem
	FieldReasons []FieldReason
	Actions      []workflow.Rule
	Fields       []fieldOption
	CheckNames   []struct{ Key, Label string }
	// Done is the confirmation of the action just taken.
	Done string
}

type fieldOption struct{ Key, Label string }

// reviewView builds the reviewer's view: the frozen snapshot (never the live draft
// for anyone but the applicant), its eligibility report, the evidence it lists, and
// the history of every transition with its reasons and its seal verified.
func (s *Server) reviewView(r *http.Request, u *biopilot.User, app *biopilot.Application) (*reviewData, error) {
	ctx := r.Context()
	data, src := visibleDocument(u, app)
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return nil, fmt.Errorf("application %d: stored document invalid: %w", app.ID, err)
	}
	rep, _ := s.cachedReport(docKeyOf(app, src), func() (*rules.Report, error) { return s.eng.Evaluate(doc), nil })
	rv := &reviewData{App: app, CityName: s.prog.CityName(app.CityCode), Sections: s.sectionViews(doc),
		Derived: s.prog.Form.Derive(doc), Report: rep, CheckNames: checkNames}
	ts, err := s.db.Transitions(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		h := historyItem{T: t}
		if len(t.Data) > 0 {
			if p, sig, err := SignedPayload(t.Data); err == nil {
				h.Sig = sig
				if sig != nil {
					if err := seal.VerifyPayload(sig, p); err != nil {
						h.SealMsg = biopilot.ErrorMessage(err)
					} else {
						h.SealOK = true
					}
				}
				if letter, ok := p["letter"]; ok && sig == nil {
					// A city_send: the letter's seals sign the letter.
					h.Sig, h.SealOK, h.SealMsg = verifyLetterSeals(letter, p["letter_signatures"])
					if id, ok := p["letter_id"].(float64); ok {
						h.LetterID = int64(id)
					}
				}
				h.Opinion, _ = p["opinion"].(string)
				if c, ok := p["checks"]; ok && c != nil {
					if cc, err := checksOf(c); err == nil {
						h.Checks = &cc
					}
				}
				h.Fields, _ = s.fieldReasons(p["field_reasons"])
			}
		}
		rv.History = append(rv.History, h)
	}
	if app.State == biopilot.StateReturned {
		_, rv.FieldReasons, _ = s.ReturnReasons(ctx, app.ID)
	}
	rv.Evidence = s.snapshotEvidence(ctx, app, doc)
	rv.Actions = workflow.Available(app.State, u.Role, s.now(), s.deadlines(ctx))
	for _, sec := range s.prog.Form.Sections {
		rv.Fields = append(rv.Fields, fieldOption{"section:" + sec.ID, sec.Title + "（整节）"})
		for _, fl := range s.prog.Form.SectionFields(sec.ID) {
			rv.Fields = append(rv.Fields, fieldOption{fl.Key, "　" + fl.Label})
		}
	}
	return rv, nil
}

// snapshotEvidence lists the evidence files the document names (evidence.<category>
// lists attachment ids), in the form's category order.
func (s *Server) snapshotEvidence(ctx context.Context, app *biopilot.Application, doc program.Document) []evidenceItem {
	fl := s.prog.Form.Field("evidence")
	if fl == nil {
		return nil
	}
	var out []evidenceItem
	for _, o := range fl.Options {
		v, _ := program.Lookup(doc, "evidence."+o.Key)
		list, _ := v.([]any)
		for _, x := range list {
			id, err := strconv.ParseInt(fmt.Sprint(x), 10, 64)
			if err != nil {
				continue
			}
			a, err := s.db.Attachment(ctx, id)
			if err != nil || a.ApplicationID != app.ID {
				continue
			}
			out = append(out, evidenceItem{A: a, Category: o.Label, Previewable: files.Previewable(a.Kind),
				Image: a.Kind == files.KindJPEG || a.Kind == files.KindPNG})
		}
	}
	return out
}

// pageReview shows one application to a reviewer with the action forms.
func (s *Server) pageReview(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	u := currentUser(r)
	rv, err := s.reviewView(r, u, app)
	if err != nil {
		return err
	}
	title := app.PlatformName
	if title == "" {
		title = fmt.Sprintf("申请 %d", app.ID)
	}
	rv.Done = r.URL.Query().Get("done")
	p := s.newPage(r, "审核："+title, rv)
	return s.render(w, r, http.StatusOK, "review_application", p)
}

// pageReviewAction takes an action from the review page's forms and goes back to
// the page; an error is shown on the page.
func (s *Server) pageReviewAction(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	f := r.PostForm
	in := actionInput{Reason: f.Get("reason"), Opinion: f.Get("opinion")}
	if f.Has("checks_present") {
		in.Checks = &Checks{Authenticity: f.Get("authenticity") == "on", Completeness: f.Get("completeness") == "on",
			Validity: f.Get("validity") == "on", Notes: f.Get("check_notes")}
	}
	fields, reasons := f["field"], f["field_reason"]
	for i := range fields {
		if i < len(reasons) && (strings.TrimSpace(fields[i]) != "" || strings.TrimSpace(reasons[i]) != "") {
			in.FieldReasons = append(in.FieldReasons, FieldReason{Field: fields[i], Reason: reasons[i]})
		}
	}
	action := r.PathValue("action")
	app, err := s.act(r, action, in)
	if err != nil {
		e, status := s.classify(r, err)
		if status == http.StatusNotFound || status == http.StatusInternalServerError {
			return err
		}
		cur, lerr := s.loadApp(r, authz.View)
		if lerr != nil {
			return lerr
		}
		rv, verr := s.reviewView(r, currentUser(r), cur)
		if verr != nil {
			return verr
		}
		p := s.newPage(r, "审核："+cur.PlatformName, rv)
		p.Error = e.Message
		for _, fe := range e.Fields {
			if fe.Message != e.Message {
				p.Error += "；" + fe.Message
			}
		}
		return s.render(w, r, status, "review_application", p)
	}
	label := action
	if rule := workflow.Find(workflow.Action(action)); rule != nil {
		label = rule.Label
	}
	http.Redirect(w, r, fmt.Sprintf("/review/applications/%d?done=%s", app.ID,
		url.QueryEscape("已办理「"+label+"」，当前状态："+app.State.Label())), http.StatusSeeOther)
	return nil
}

// pageEvidence serves one evidence file of an application's snapshot to whoever
// may view the application: PDF and images inline (the viewer opens them in a new
// tab), other types as a download. Every serving is audited.
func (s *Server) pageEvidence(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	data, _ := visibleDocument(currentUser(r), app)
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return err
	}
	return s.serveSnapshotEvidence(w, r, app, doc, nil)
}

// serveSnapshotEvidence serves the evidence file named by the path value "aid" if it
// is one of the files doc (the snapshot the caller may see) refers to, else 404.
// The caller has decided that its user may read app.
func (s *Server) serveSnapshotEvidence(w http.ResponseWriter, r *http.Request, app *biopilot.Application, doc program.Document, extra map[string]any) error {
	return s.serveEvidence(w, r, app, s.snapshotEvidence(r.Context(), app, doc), extra)
}

// serveEvidence serves the file named by the path value "aid" if it is in list
// (what the caller may see), else 404: PDFs and images inline under a sandboxing
// Content-Security-Policy, anything else as an attachment; the download is
// audited with extra added to its detail.
func (s *Server) serveEvidence(w http.ResponseWriter, r *http.Request, app *biopilot.Application, list []evidenceItem, extra map[string]any) error {
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该附件")
	}
	var att *store.Attachment
	for _, ev := range list {
		if ev.A.ID == aid {
			att = ev.A
		}
	}
	if att == nil || s.files == nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该附件")
	}
	rc, err := s.files.Open(r.Context(), att.SHA256)
	if err != nil {
		return err
	}
	defer rc.Close()
	disp := files.ContentDisposition(att.Filename)
	if files.Previewable(att.Kind) {
		disp = "inline" + strings.TrimPrefix(disp, "attachment")
	}
	ct := att.MediaType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", disp)
	w.Header().Set("Content-Length", strconv.FormatInt(att.Size, 10))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; object-src 'self'; plugin-types application/pdf; sandbox")
	_, err = io.Copy(w, rc)
	detail := map[string]any{"attachment_id": att.ID, "sha256": att.SHA256, "filename": att.Filename}
	for k, v := range extra {
		detail[k] = v
	}
	s.audit(r, fmt.Sprintf("application:%d", app.ID), "download", auditOK, detail)
	return err
}

// workbenchData is the reviewer's list.
type workbenchData struct {
	Apps       []*biopilot.Application
	Counts     []stateCount
	Total      int
	Query      url.Values
	States     []biopilot.State
	Domains    []program.Option
	Cities     []program.City
	Province   bool
	Page, Last int
	Prev, Next string
	Sorts      []fieldOption
	Deadline   string
	Left       string
	// Export is the Excel export of the list as filtered (DOCUMENTS' endpoint).
	Export string
}

// pageWorkbench is the reviewer's workbench: the applications in the caller's
// jurisdiction and stage, filterable by state, domain, verdict, city (province)
// and free text, sortable, paginated, with counts per state and the deadline.
func (s *Server) pageWorkbench(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if !u.Role.IsAuthority() {
		return biopilot.Errorf(biopilot.EFORBIDDEN, "审核工作台供地市、省级和部级主管部门使用")
	}
	ctx := r.Context()
	scope := authz.Scope(u)
	q := r.URL.Query()
	d := &workbenchData{Query: q, States: scope.States, Province: !u.Role.IsCity(),
		Sorts: []fieldOption{{"updated", "最近更新"}, {"id", "编号"}, {"org", "申报单位"}, {"state", "状态"}}}
	if fl := s.prog.Form.Field("domains"); fl != nil {
		d.Domains = fl.Options
	}
	d.Cities = s.prog.Cities
	if scope.Province != "" {
		d.Cities = s.prog.CitiesIn(scope.Province) // a province filters by its own cities
	}
	f, ok, err := s.listFilter(r, u)
	if err != nil {
		return err
	}
	if ok {
		f.Limit = 20
		if f.Offset < 0 {
			f.Offset = 0
		}
		if d.Apps, d.Total, err = s.db.Applications(ctx, f); err != nil {
			return err
		}
		cf := store.ApplicationFilter{ProgramID: s.prog.ID, OrgID: scope.OrgID, CityCode: scope.CityCode, Province: scope.Province}
		m, err := s.db.CountByState(ctx, cf)
		if err != nil {
			return err
		}
		for _, st := range scope.States {
			d.Counts = append(d.Counts, stateCount{State: st, Label: st.Label(), N: m[st]})
		}
		d.Page, d.Last = f.Offset/f.Limit+1, (d.Total+f.Limit-1)/f.Limit
		if f.Offset > 0 {
			d.Prev = pageLink(q, max(f.Offset-f.Limit, 0))
		}
		if f.Offset+f.Limit < d.Total {
			d.Next = pageLink(q, f.Offset+f.Limit)
		}
	}
	eq := url.Values{}
	for k, vs := range q {
		if k != "offset" {
			eq[k] = vs
		}
	}
	d.Export = "/api/v1/applications/export.xlsx?" + eq.Encode()
	dl := s.deadlines(ctx)
	deadline, label := dl.Applicant, "申报单位提交"
	if u.Role.IsCity() {
		deadline, label = dl.City, "地市报送"
	}
	d.Deadline = label + "截止：" + workflowDeadline(deadline)
	d.Left = countdown(label, deadline, s.now())
	return s.render(w, r, http.StatusOK, "review_workbench", s.newPage(r, "审核工作台", d))
}

func pageLink(q url.Values, offset int) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set("offset", strconv.Itoa(offset))
	return "/review?" + v.Encode()
}

// workflowDeadline prints an exclusive deadline as the end of its last day.
func workflowDeadline(t time.Time) string {
	t = t.In(biopilot.Beijing)
	if t.Hour() == 0 && t.Minute() == 0 {
		d := t.AddDate(0, 0, -1)
		return fmt.Sprintf("%d年%d月%d日 24:00（北京时间）", d.Year(), d.Month(), d.Day())
	}
	return t.Format("2006年1月2日 15:04") + "（北京时间）"
}

// verifyLetterSeals checks the seals of a letter carried in a city_send
// transition, and returns the last (the sending seal).
func verifyLetterSeals(letter, sigs any) (*seal.Signature, bool, string) {
	var list []*seal.Signature
	b, _ := json.Marshal(sigs)
	if err := json.Unmarshal(b, &list); err != nil || len(list) == 0 {
		return nil, false, ""
	}
	last := list[len(list)-1]
	for i, sg := range list {
		if err := seal.VerifyPayload(sg, letter); err != nil {
			return last, false, biopilot.ErrorMessage(err)
		}
		if i > 0 && sg.Previous != list[i-1].Digest {
			return last, false, sg.Label() + "未接续前一签章"
		}
	}
	return last, true, ""
}
