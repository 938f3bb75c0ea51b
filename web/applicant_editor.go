package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/rules"
)

// The editor: GET /applications/{id}/edit?section=… shows one section of the form
// as an HTML form; POST saves it. Without script the POST answers with a redirect
// (saved), the page again with messages beside the fields (invalid) or the conflict
// page (a colleague saved meanwhile and changed the same fields). The script posts
// the same form with Accept: application/json and gets JSON instead (see
// static/applicant.js): 200 saved, 422 invalid, 409 conflicts.

// editData is what the editor template gets.
type editData struct {
	App      *biopilot.Application
	Section  program.Section
	Nav      []editSection
	Fields   []editField
	Report   *rules.Report
	Checks   []checkItem
	Derived  []program.DerivedValue
	Returned *returnInfo
	// SectionReason is the city's reason about the whole section.
	SectionReason string
	Evidence      []evidenceGroup
	// MaxUpload is the per-file limit as a person reads it ("50 MB").
	MaxUpload string
	SavedAt   string
	Merged    bool
	Version   int64
	Tables    []string // keys of tables with an Excel template
	// ImportErrors are the bad cells of a refused Excel import.
	ImportErrors []biopilot.FieldError
}

// pageEdit shows one section of the editor.
func (s *Server) pageEdit(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	if authz.Check(currentUser(r), authz.Edit, app) != nil {
		http.Redirect(w, r, fmt.Sprintf("/applications/%d", app.ID), http.StatusSeeOther)
		return nil
	}
	doc, err := s.prog.Form.DecodeDocument(app.Document)
	if err != nil {
		return fmt.Errorf("application %d: stored document invalid: %w", app.ID, err)
	}
	d, err := s.editData(r, app, s.sectionParam(r.URL.Query().Get(formSection)), doc, nil)
	if err != nil {
		return err
	}
	if t := r.URL.Query().Get("saved"); t != "" {
		d.SavedAt = t
		d.Merged = r.URL.Query().Get("merged") == "1"
	}
	return s.render(w, r, http.StatusOK, "applicant_edit", s.newPage(r, editTitle(app, d.Section), d))
}

func editTitle(app *biopilot.Application, sec program.Section) string {
	name := app.PlatformName
	if name == "" {
		name = fmt.Sprintf("申请 %d", app.ID)
	}
	return sec.Title + " · " + name
}

// sectionParam returns the section named, or the first.
func (s *Server) sectionParam(id string) program.Section {
	for _, sec := range s.prog.Form.Sections {
		if sec.ID == id {
			return sec
		}
	}
	return s.prog.Form.Sections[0]
}

// editData builds the editor's data for a section of doc; errs are messages by
// input name (after a refused save). Without errs, doc is app's stored draft and
// its report comes from the cache; with errs it is what was posted, judged afresh.
func (s *Server) editData(r *http.Request, app *biopilot.Application, sec program.Section, doc program.Document, errs map[string]string) (*editData, error) {
	ctx := r.Context()
	var rep *rules.Report
	if errs == nil {
		rep, _ = s.cachedReport(docKeyOf(app, "draft"), func() (*rules.Report, error) { return s.eng.Evaluate(doc), nil })
	} else {
		rep = s.eng.Evaluate(doc)
	}
	ret, err := s.returnInfo(ctx, app)
	if err != nil {
		return nil, err
	}
	reasons := map[string]string{}
	if ret != nil {
		reasons = ret.Fields
	}
	d := &editData{App: app, Section: sec, Nav: s.sectionNav(doc, rep, sec.ID),
		Fields: s.editFields(sec.ID, doc, errs, reasons), Report: rep,
		Checks: s.checkItems(app.ID, rep), Derived: s.prog.Form.Derive(doc), Returned: ret,
		SectionReason: reasons[sec.ID], MaxUpload: sizeText(s.maxUpload()), Version: app.Version}
	for _, fl := range s.prog.Form.SectionFields(sec.ID) {
		if fl.Type == program.TypeTable {
			d.Tables = append(d.Tables, fl.Key)
		}
		if fl.Type == program.TypeAttachments {
			if d.Evidence, err = s.evidenceGroups(r, app, fl, doc, reasons); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// pageEditPost saves one section of the editor.
func (s *Server) pageEditPost(w http.ResponseWriter, r *http.Request) error {
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	form := r.PostForm
	app, err := s.loadApp(r, authz.Edit)
	if err != nil {
		return err
	}
	sec := s.sectionParam(form.Get(formSection))
	base, _ := strconv.ParseInt(form.Get(formBase), 10, 64)
	moved := s.moveRow(sec.ID, form)
	mine := s.sectionValues(sec.ID, form)
	var choose map[string]string
	if form.Get(formResolve) != "" {
		theirs, _ := strconv.ParseInt(form.Get(formResolve), 10, 64)
		if theirs == app.Version { // choices hold only for the version they were made on
			choose = map[string]string{}
			for k, v := range form {
				if key, ok := strings.CutPrefix(k, formChoose); ok && len(v) > 0 {
					choose[key] = v[0]
				}
			}
		}
	}
	saved, merged, conflicts, cur, err := s.saveSection(r, app, base, mine, choose)
	switch {
	case err != nil && biopilot.ErrorCode(err) == biopilot.EINVALID:
		e := biopilot.AsError(err)
		if wantJSON {
			s.apiError(w, r, err)
			return nil
		}
		doc, derr := s.prog.Form.DecodeDocument(app.Document)
		if derr != nil {
			return derr
		}
		errs := map[string]string{}
		for _, fe := range e.Fields {
			errs[fe.Field] = fe.Message
		}
		if e.Field != "" && errs[e.Field] == "" {
			errs[e.Field] = e.Message
		}
		d, derr := s.editData(r, app, sec, applyValues(doc, mine), errs)
		if derr != nil {
			return derr
		}
		p := s.newPage(r, editTitle(app, sec), d)
		p.Error = "未保存：" + e.Message
		return s.render(w, r, http.StatusUnprocessableEntity, "applicant_edit", p)
	case err != nil:
		return err
	case len(conflicts) > 0:
		return s.writeConflict(w, r, wantJSON, app, cur, sec, conflicts, form)
	}
	if wantJSON {
		return s.writeSaved(w, r, saved, sec, merged)
	}
	q := url.Values{formSection: {sec.ID}, "saved": {beijingClock(saved.UpdatedAt)}}
	if merged {
		q.Set("merged", "1")
	}
	target := fmt.Sprintf("/applications/%d/edit?%s", app.ID, q.Encode())
	if moved != "" {
		target += "#field-" + moved
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// saveSection saves a person's section values made on version base. When a
// colleague saved since, the values are merged three ways with the colleague's
// (merged is true); fields both changed differently come back as conflicts, with
// the current application, and nothing is saved.
func (s *Server) saveSection(r *http.Request, app *biopilot.Application, base int64, mine map[string]any, choose map[string]string) (saved *biopilot.Application, merged bool, conflicts []conflict, cur *biopilot.Application, err error) {
	ctx := r.Context()
	if base <= 0 {
		return nil, false, nil, nil, invalid(formBase, "缺少 base_version：请刷新页面后重试")
	}
	for attempt := 0; attempt < 3; attempt++ {
		doc, err := s.prog.Form.DecodeDocument(app.Document)
		if err != nil {
			return nil, false, nil, nil, err
		}
		vals, target := mine, app.Version
		if app.Version != base {
			bv, err := s.db.ApplicationVersionDocument(ctx, app.ID, base)
			if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
				return nil, false, nil, nil, invalid(formBase, "base_version 不是这份申请的已保存版本")
			} else if err != nil {
				return nil, false, nil, nil, err
			}
			baseDoc, err := s.prog.Form.DecodeDocument(bv.Document)
			if err != nil {
				return nil, false, nil, nil, err
			}
			vals, conflicts = s.merge3(baseDoc, doc, mine, choose)
			if len(conflicts) > 0 {
				return nil, false, conflicts, app, nil
			}
			merged = true
		}
		data, err := json.Marshal(applyValues(doc, vals))
		if err != nil {
			return nil, false, nil, nil, err
		}
		saved, err = s.saveDocument(r, target, data)
		if biopilot.ErrorCode(err) == biopilot.ECONFLICT {
			if e := biopilot.AsError(err); e != nil {
				if c, ok := e.Detail.(*biopilot.Application); ok && c != nil && c.Version != target {
					app = c // a colleague saved between our read and our write: merge again
					continue
				}
			}
		}
		return saved, merged, nil, nil, err
	}
	return nil, false, nil, nil, biopilot.Errorf(biopilot.ECONFLICT, "同事正在频繁保存这份申请，请稍后重试")
}

// writeSaved answers the script's save: the new version, the time, and the
// refreshed side navigation and self-check panel.
func (s *Server) writeSaved(w http.ResponseWriter, r *http.Request, app *biopilot.Application, sec program.Section, merged bool) error {
	doc, err := s.prog.Form.DecodeDocument(app.Document)
	if err != nil {
		return err
	}
	d, err := s.editData(r, app, sec, doc, nil)
	if err != nil {
		return err
	}
	nav, err := s.fragment("applicant_edit", "edit-nav", s.newPage(r, "", d))
	if err != nil {
		return err
	}
	panel, err := s.fragment("applicant_edit", "edit-check", s.newPage(r, "", d))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": app.Version,
		"saved_at": beijingClock(app.UpdatedAt), "merged": merged, "verdict": d.Report.Verdict,
		"verdict_label": verdictLabel(d.Report.Verdict), "nav_html": nav, "check_html": panel})
	return nil
}

// fragment renders one named template of a page, for the script to swap in.
func (s *Server) fragment(page, name string, p *page) (string, error) {
	t, ok := s.pages[page]
	if !ok {
		return "", fmt.Errorf("web: no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, p); err != nil {
		return "", fmt.Errorf("web: render %s/%s: %w", page, name, err)
	}
	return buf.String(), nil
}

// conflictData is what the conflict page gets.
type conflictData struct {
	App       *biopilot.Application
	Section   program.Section
	Conflicts []conflict
	Theirs    int64
	Hidden    [][2]string // the person's form, carried again
	By        string
}

// writeConflict answers a save that conflicts with a colleague's: 409 with the
// conflicting fields (JSON for the script, the conflict page otherwise).
func (s *Server) writeConflict(w http.ResponseWriter, r *http.Request, wantJSON bool, app, cur *biopilot.Application, sec program.Section, conflicts []conflict, form url.Values) error {
	by := ""
	if cur.UpdatedBy != 0 {
		if u, err := s.db.User(r.Context(), cur.UpdatedBy); err == nil {
			by = u.DisplayName
		}
	}
	msg := fmt.Sprintf("同事%s已于 %s 保存了第 %d 版，与您的修改有 %d 处冲突：请逐项选择保留哪一方，未保存的内容不会丢失",
		by, beijingClock(cur.UpdatedAt), cur.Version, len(conflicts))
	if wantJSON {
		writeJSON(w, http.StatusConflict, map[string]any{
			"error":     errorDetail{Code: biopilot.ECONFLICT, Message: msg},
			"current":   map[string]any{"version": cur.Version, "updated_at": rfc3339(cur.UpdatedAt), "updated_by": by},
			"conflicts": conflicts,
		})
		return nil
	}
	var hidden [][2]string
	for k, vs := range form {
		if k == "csrf_token" || k == formResolve || k == formMove || strings.HasPrefix(k, formChoose) {
			continue
		}
		for _, v := range vs {
			hidden = append(hidden, [2]string{k, v})
		}
	}
	p := s.newPage(r, "保存冲突", &conflictData{App: app, Section: sec, Conflicts: conflicts,
		Theirs: cur.Version, Hidden: hidden, By: by})
	p.Error = msg
	return s.render(w, r, http.StatusConflict, "applicant_conflict", p)
}

// beijingClock is a time as HH:MM:SS in Beijing time.
func beijingClock(t time.Time) string { return t.In(biopilot.Beijing).Format("15:04:05") }
