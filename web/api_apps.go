package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/store"
)

// appJSON is an application as the API shows it.
type appJSON struct {
	ID           int64    `json:"id"`
	ProgramID    string   `json:"program_id"`
	OrgID        int64    `json:"org_id"`
	OrgName      string   `json:"org_name"`
	CityCode     string   `json:"city_code"`
	CityName     string   `json:"city_name"`
	State        string   `json:"state"`
	StateLabel   string   `json:"state_label"`
	Version      int64    `json:"version"`
	PlatformName string   `json:"platform_name"`
	Domains      []string `json:"domains"`
	Verdict      string   `json:"verdict"`
	VerdictLabel string   `json:"verdict_label"`
	SnapshotHash string   `json:"snapshot_hash,omitempty"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
	SubmittedAt  string   `json:"submitted_at,omitempty"`
	// Source says which document is shown: "draft" (the applicant's live document)
	// or "snapshot" (frozen at submission: what reviewers see).
	Source   string          `json:"document_source,omitempty"`
	Document json.RawMessage `json:"document,omitempty"`
}

func (s *Server) appJSON(a *biopilot.Application) appJSON {
	domains := a.Domains
	if domains == nil {
		domains = []string{}
	}
	return appJSON{ID: a.ID, ProgramID: a.ProgramID, OrgID: a.OrgID, OrgName: a.OrgName,
		CityCode: a.CityCode, CityName: s.prog.CityName(a.CityCode), State: string(a.State),
		StateLabel: a.State.Label(), Version: a.Version, PlatformName: a.PlatformName,
		Domains: domains, Verdict: a.Verdict, VerdictLabel: verdictLabel(a.Verdict),
		SnapshotHash: a.SnapshotHash, CreatedAt: rfc3339(a.CreatedAt),
		UpdatedAt: rfc3339(a.UpdatedAt), SubmittedAt: rfc3339(a.SubmittedAt)}
}

// appWithDocument is appJSON with the document u may read (see visibleDocument).
func (s *Server) appWithDocument(u *biopilot.User, a *biopilot.Application) appJSON {
	out := s.appJSON(a)
	out.Document, out.Source = visibleDocument(u, a)
	return out
}

// currentJSON is the "current" member of a stale save's 409.
func (s *Server) currentJSON(a *biopilot.Application) map[string]any {
	doc := a.Document
	if len(doc) == 0 {
		doc = json.RawMessage("{}")
	}
	return map[string]any{"version": a.Version, "document": doc, "updated_at": rfc3339(a.UpdatedAt),
		"state": a.State}
}

// verdictLabel is the Chinese name of a verdict.
func verdictLabel(v string) string {
	switch v {
	case rules.Eligible:
		return "符合申报条件"
	case rules.Ineligible:
		return "不符合申报条件"
	case rules.Incomplete:
		return "信息不完整"
	}
	return "未评估"
}

// visibleDocument is the document u may read of a: the live draft for the
// applicant's organisation, the frozen snapshot for everyone else.
func visibleDocument(u *biopilot.User, a *biopilot.Application) (json.RawMessage, string) {
	doc, src := a.Document, "draft"
	if authz.UsesSnapshot(u) {
		doc, src = a.Snapshot, "snapshot"
	}
	if len(doc) == 0 {
		doc = json.RawMessage("{}")
	}
	return doc, src
}

// loadApp loads the application named by the {id} path value and checks that the
// caller may take action act on it. An application the caller may not see is
// ENOTFOUND, exactly like one that does not exist.
func (s *Server) loadApp(r *http.Request, act authz.Action) (*biopilot.Application, error) {
	return s.loadAppFrom(r, act, s.db.Application)
}

// loadAppHead is loadApp without the documents and domains (store.ApplicationHead):
// for an action that needs only the decision and the id.
func (s *Server) loadAppHead(r *http.Request, act authz.Action) (*biopilot.Application, error) {
	return s.loadAppFrom(r, act, s.db.ApplicationHead)
}

func (s *Server) loadAppFrom(r *http.Request, act authz.Action,
	get func(context.Context, int64) (*biopilot.Application, error)) (*biopilot.Application, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
	}
	app, err := get(r.Context(), id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
	} else if err != nil {
		return nil, err
	}
	if app.ProgramID != s.prog.ID {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
	}
	if err := authz.Check(currentUser(r), act, app); err != nil {
		return nil, err
	}
	return app, nil
}

// listFilter builds the store filter of a list from the caller's scope (never from
// the request) and the request's own filters. ok is false when the filters and the
// scope cannot overlap (the answer is an empty list).
func (s *Server) listFilter(r *http.Request, u *biopilot.User) (f store.ApplicationFilter, ok bool, err error) {
	scope := authz.Scope(u)
	if scope.None {
		return f, false, nil
	}
	q := r.URL.Query()
	f = store.ApplicationFilter{ProgramID: s.prog.ID, OrgID: scope.OrgID, CityCode: scope.CityCode,
		Province: scope.Province, States: scope.States}
	var fe fieldErrors
	if v := q.Get("state"); v != "" {
		var want []biopilot.State
		for _, st := range strings.Split(v, ",") {
			st := biopilot.State(strings.TrimSpace(st))
			if !st.Valid() {
				fe.add("state", "未知的状态："+string(st))
				continue
			}
			if scope.States == nil || slices.Contains(scope.States, st) {
				want = append(want, st)
			}
		}
		if len(fe) == 0 && len(want) == 0 {
			return f, false, nil
		}
		f.States = want
	}
	if v := q.Get("domain"); v != "" {
		if s.prog.DomainLabel(v) == v {
			fe.add("domain", "未知的申报类别："+v)
		}
		f.Domain = v
	}
	if v := q.Get("verdict"); v != "" {
		if v != rules.Eligible && v != rules.Ineligible && v != rules.Incomplete {
			fe.add("verdict", "资格预审结论应为 eligible、ineligible 或 incomplete")
		}
		f.Verdict = v
	}
	if v := q.Get("city"); v != "" {
		switch {
		case s.prog.City(v) == nil:
			fe.add("city", "未知的地市代码："+v)
		case scope.Province != "" && authz.ProvinceOf(v) != scope.Province:
			fe.add("city", "地市 "+s.prog.CityName(v)+" 不在您的管辖范围内")
		case scope.CityCode == "" && scope.OrgID == 0:
			f.CityCode = v
		case v != scope.CityCode:
			fe.add("city", "只有省级及以上用户可以按地市筛选")
		}
	}
	f.Query = strings.TrimSpace(q.Get("q"))
	if v := q.Get("sort"); v != "" {
		if !slices.Contains([]string{"updated", "id", "org", "state"}, v) {
			fe.add("sort", "排序方式应为 updated、id、org 或 state")
		}
		f.Sort = v
	}
	f.Limit = 50
	fe.page(q, &f.Limit, &f.Offset)
	if err := fe.err(); err != nil {
		return f, false, err
	}
	return f, true, nil
}

func (s *Server) apiListApplications(w http.ResponseWriter, r *http.Request) error {
	f, ok, err := s.listFilter(r, currentUser(r))
	if err != nil {
		return err
	}
	items := []appJSON{}
	total := 0
	if ok {
		apps, n, err := s.db.Applications(r.Context(), f)
		if err != nil {
			return err
		}
		for _, a := range apps {
			items = append(items, s.appJSON(a))
		}
		total = n
	}
	// PERF: as writeJSON would write {"items", "limit", "offset", "total"} (json_fast.go).
	writeAppList(w, items, total, f.Limit, f.Offset)
	return nil
}

// derived fills an application's denormalised values from a document.
func (s *Server) derived(doc program.Document) (platform string, domains []string, verdict string) {
	platform, domains, rep := s.derivedReport(doc)
	return platform, domains, rep.Verdict
}

// derivedReport is derived with the whole report of the rules.
func (s *Server) derivedReport(doc program.Document) (platform string, domains []string, rep *rules.Report) {
	if v, ok := program.Lookup(doc, "platform.name"); ok {
		platform, _ = v.(string)
	}
	if v, ok := program.Lookup(doc, "domains"); ok {
		list, _ := v.([]any)
		for _, d := range list {
			if s, ok := d.(string); ok {
				domains = append(domains, s)
			}
		}
	}
	return strings.TrimSpace(platform), domains, s.eng.Evaluate(doc)
}

// createApplication starts a draft for u's organisation. With no document, the
// draft is prefilled from the organisation (name, code, kind).
func (s *Server) createApplication(r *http.Request, u *biopilot.User, data json.RawMessage) (*biopilot.Application, error) {
	if err := authz.CheckCreateApplication(u); err != nil {
		return nil, err
	}
	ctx := r.Context()
	org, err := s.db.Organisation(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	var doc program.Document
	if len(data) > 0 && string(data) != "null" {
		if doc, err = s.prog.Form.DecodeDocument(data); err != nil {
			return nil, err
		}
	} else {
		doc = program.Document{}
		program.Set(doc, "applicant.name", org.Name)
		program.Set(doc, "applicant.uscc", org.USCC)
		if validKind(org.Kind) {
			program.Set(doc, "applicant.kind", org.Kind)
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	platform, domains, verdict := s.derived(doc)
	app := &biopilot.Application{ProgramID: s.prog.ID, OrgID: org.ID, CityCode: org.CityCode,
		State: biopilot.StateDraft, Document: raw, PlatformName: platform, Domains: domains,
		Verdict: verdict, CreatedBy: u.ID, UpdatedBy: u.ID, CreatedAt: s.now(), UpdatedAt: s.now()}
	if err := s.db.CreateApplication(ctx, app); err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "application created", "application_id", app.ID, "user_id", u.ID)
	return app, nil
}

func (s *Server) apiCreateApplication(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Document json.RawMessage `json:"document"`
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonBodyError(err)
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeJSONFrom(bytes.NewReader(body), &in); err != nil {
			return err
		}
	}
	app, err := s.createApplication(r, currentUser(r), in.Document)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/applications/%d", app.ID))
	writeAppJSON(w, http.StatusCreated, s.appWithDocument(currentUser(r), app))
	return nil
}

func (s *Server) apiGetApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	writeAppJSON(w, http.StatusOK, s.appWithDocument(currentUser(r), app))
	return nil
}

// saveDocument validates and stores a new version of an application's document.
// A stale base version is ECONFLICT carrying the current application.
func (s *Server) saveDocument(r *http.Request, baseVersion int64, data []byte) (*biopilot.Application, error) {
	// PERF: the decision needs no document; the save returns the stored one.
	app, err := s.loadAppHead(r, authz.Edit)
	if err != nil {
		return nil, err
	}
	if baseVersion <= 0 {
		return nil, invalid("base_version", "缺少 base_version：请提供编辑所基于的版本号")
	}
	if len(data) == 0 || string(data) == "null" {
		return nil, invalid("document", "缺少申请文档 document")
	}
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	platform, domains, rep := s.derivedReport(doc)
	u := currentUser(r)
	saved, err := s.db.SaveDocument(r.Context(), store.DocumentUpdate{ApplicationID: app.ID,
		BaseVersion: baseVersion, Document: raw, PlatformName: platform, Domains: domains,
		Verdict: rep.Verdict, UserID: u.ID, At: s.now()})
	if err == nil {
		// PERF: the new version's report is known: the next eligibility check is a hit.
		s.cache.init().reports.add(docKeyOf(saved, "draft"), rep, reportCost(rep))
	}
	if err != nil {
		if e := biopilot.AsError(err); e != nil && e.Code == biopilot.ECONFLICT {
			if cur, ok := e.Detail.(*biopilot.Application); ok && cur != nil && cur.Version != baseVersion {
				return nil, &biopilot.Error{Code: biopilot.ECONFLICT, Field: "base_version",
					Message: fmt.Sprintf("文档已被他人或其他窗口修改（当前为第 %d 版，您的修改基于第 %d 版），未保存；请合并后重试", cur.Version, baseVersion),
					Detail:  cur}
			}
		}
		return nil, err
	}
	return saved, nil
}

func (s *Server) apiSaveDocument(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		BaseVersion int64           `json:"base_version"`
		Document    json.RawMessage `json:"document"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	return s.saveAndAnswer(w, r, in.BaseVersion, in.Document)
}

// saveAndAnswer saves data over base version base (see saveDocument) and answers
// with the saved application and the document the caller may read.
func (s *Server) saveAndAnswer(w http.ResponseWriter, r *http.Request, base int64, data []byte) error {
	app, err := s.saveDocument(r, base, data)
	if err != nil {
		return err
	}
	writeAppJSON(w, http.StatusOK, s.appWithDocument(currentUser(r), app))
	return nil
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) error {
	var base int64
	if v := r.URL.Query().Get("base_version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return invalid("base_version", "base_version 应为正整数")
		}
		base = n
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonBodyError(err)
	}
	return s.saveAndAnswer(w, r, base, data)
}

func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Export)
	if err != nil {
		return err
	}
	doc, src := visibleDocument(currentUser(r), app)
	name := fmt.Sprintf("application-%d-v%d.json", app.ID, app.Version)
	if src == "snapshot" {
		name = fmt.Sprintf("application-%d-submitted.json", app.ID)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Document-Version", strconv.FormatInt(app.Version, 10))
	var buf bytes.Buffer
	if err := json.Indent(&buf, doc, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// reportJSON is the rules' report with labels for display.
func (s *Server) reportJSON(rep *rules.Report) map[string]any {
	return map[string]any{"verdict": rep.Verdict, "verdict_label": verdictLabel(rep.Verdict),
		"rules": nonNil(rep.Rules)}
}

func nonNil(rs []rules.Result) []rules.Result {
	if rs == nil {
		return []rules.Result{}
	}
	return rs
}

// evaluate judges an application's visible document. The report is cached per
// document version (or snapshot hash) and shared: callers must not modify it.
func (s *Server) evaluate(u *biopilot.User, app *biopilot.Application) (*rules.Report, error) {
	data, src := visibleDocument(u, app)
	return s.cachedReport(docKeyOf(app, src), func() (*rules.Report, error) {
		doc, err := s.prog.Form.DecodeDocument(data)
		if err != nil {
			// A stored document that no longer fits the form is our error, not the caller's.
			return nil, fmt.Errorf("application %d: stored document invalid: %w", app.ID, err)
		}
		return s.eng.Evaluate(doc), nil
	})
}

func (s *Server) apiEligibility(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Eligibility)
	if err != nil {
		return err
	}
	rep, err := s.evaluate(currentUser(r), app)
	if err != nil {
		return err
	}
	out := s.reportJSON(rep)
	out["application_id"], out["version"] = app.ID, app.Version
	_, out["document_source"] = visibleDocument(currentUser(r), app)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiPreview(w http.ResponseWriter, r *http.Request) error {
	if err := authz.CheckPreview(currentUser(r)); err != nil {
		return err
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonBodyError(err)
	}
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.reportJSON(s.eng.Evaluate(doc)))
	return nil
}

func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.History)
	if err != nil {
		return err
	}
	ts, err := s.db.Transitions(r.Context(), app.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": jsonItems(ts, transitionJSON)})
	return nil
}

// transitionJSON is one entry of an application's history.
func transitionJSON(t *biopilot.Transition) map[string]any {
	item := map[string]any{"id": t.ID, "from": t.From, "from_label": t.From.Label(),
		"to": t.To, "to_label": t.To.Label(), "actor_role": t.ActorRole,
		"actor_role_label": t.ActorRole.Label(), "actor_name": t.ActorName,
		"reason": t.Reason, "at": rfc3339(t.At)}
	if len(t.Data) > 0 {
		item["data"] = t.Data
	}
	return item
}
