package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"biopilot"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/seal"
	"biopilot/workflow"
)

// returnInfo is the city's latest return of an application: who, when, the reason,
// and the reasons attached to fields (by field key or section id).
type returnInfo struct {
	By     string
	At     string
	Reason string
	Fields map[string]string
}

// returnInfo reads the reasons of the latest return of a returned application (nil
// otherwise). REVIEW records them in the transition's Data as "field_reasons": a
// list of {"field", "reason"} (a map of field → reason is read too).
func (s *Server) returnInfo(ctx context.Context, app *biopilot.Application) (*returnInfo, error) {
	if app.State != biopilot.StateReturned {
		return nil, nil
	}
	ts, err := s.db.Transitions(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	for i := len(ts) - 1; i >= 0; i-- {
		t := ts[i]
		if t.To != biopilot.StateReturned {
			continue
		}
		ri := &returnInfo{By: t.ActorName + "（" + t.ActorRole.Label() + "）", At: beijing(t.At),
			Reason: t.Reason, Fields: map[string]string{}}
		var data struct {
			FieldReasons json.RawMessage `json:"field_reasons"`
		}
		if len(t.Data) > 0 && json.Unmarshal(t.Data, &data) == nil && len(data.FieldReasons) > 0 {
			var list []struct{ Field, Reason string }
			var m map[string]string
			if json.Unmarshal(data.FieldReasons, &list) == nil {
				for _, fr := range list {
					ri.Fields[fr.Field] = fr.Reason
				}
			} else if json.Unmarshal(data.FieldReasons, &m) == nil {
				ri.Fields = m
			}
		}
		return ri, nil
	}
	return nil, nil
}

// snapshotEvidence is one evidence file as the snapshot hash covers it.
type snapshotEvidence struct {
	ID       int64  `json:"id"`
	Category string `json:"category"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Filename string `json:"filename"`
}

// snapshot freezes a document at submission. It returns the snapshot (the document
// as canonical JSON, seal.Canonical) and SnapshotHash, which is
//
//	seal.CanonicalHash({"document": <the document>,
//	                    "evidence": [{"id", "category", "sha256", "size", "filename"}, …]})
//
// with the evidence files the document lists (evidence.<category>), in the form's
// category order and, within a category, the document's order; id is the
// attachment's number. The applicant's seal signs a payload carrying this hash, and
// packages and verifiers recompute it from the snapshot and the attachments.
func (s *Server) snapshot(ctx context.Context, doc program.Document) (json.RawMessage, string, []snapshotEvidence, error) {
	snap, err := seal.Canonical(doc)
	if err != nil {
		return nil, "", nil, err
	}
	ev := []snapshotEvidence{}
	if fl := s.evidenceField(); fl != nil {
		for _, o := range fl.Options {
			for _, sid := range evidenceIDs(doc, fl.Key, o.Key) {
				id, err := strconv.ParseInt(sid, 10, 64)
				if err != nil {
					return nil, "", nil, biopilot.FieldErrorf(fl.Key+"."+o.Key, "佐证材料「%s」中的附件编号 %s 无效", o.Label, sid)
				}
				a, err := s.db.Attachment(ctx, id)
				if err != nil {
					return nil, "", nil, err
				}
				ev = append(ev, snapshotEvidence{ID: a.ID, Category: o.Key, SHA256: a.SHA256, Size: a.Size, Filename: a.Filename})
			}
		}
	}
	hash, err := seal.CanonicalHash(map[string]any{"document": doc, "evidence": ev})
	if err != nil {
		return nil, "", nil, err
	}
	return snap, hash, ev, nil
}

// hasMissing reports whether any rule says something is missing.
func hasMissing(rep *rules.Report) bool {
	for _, res := range rep.Rules {
		if res.Status == rules.Missing {
			return true
		}
	}
	return false
}

// submitIncomplete is the refusal of a submission whose self-check is incomplete: every
// missing rule as a field error naming its first field.
func submitIncomplete(rep *rules.Report) error {
	e := &biopilot.Error{Code: biopilot.EINVALID, Message: "申请表尚未填写完整，不能提交：请先补全以下各项"}
	for _, res := range rep.Rules {
		if res.Status != rules.Missing {
			continue
		}
		field := ""
		if len(res.Fields) > 0 {
			field = res.Fields[0]
		}
		msg := res.Title
		if res.Message != "" {
			msg += "：" + res.Message
		}
		e.Fields = append(e.Fields, biopilot.FieldError{Field: field, Message: msg})
	}
	if len(e.Fields) > 0 {
		e.Field = e.Fields[0].Field
	}
	return e
}

// submit submits an application per workflow.md: refused after the applicant
// deadline (Beijing time, on the server's clock, extensions included), refused
// while the self-check is incomplete, and when ineligible only with confirm.
func (s *Server) submit(r *http.Request, app *biopilot.Application, base int64, confirm bool) (*biopilot.Application, error) {
	ctx := r.Context()
	u := currentUser(r)
	if _, err := authz.CheckTransition(u, workflow.Submit, app, s.now(), s.deadlines(ctx)); err != nil {
		return nil, err
	}
	if base > 0 && base != app.Version {
		return nil, &biopilot.Error{Code: biopilot.ECONFLICT, Field: "base_version", Detail: app,
			Message: fmt.Sprintf("申请已被同事修改（当前为第 %d 版，您看到的是第 %d 版）：请查看最新内容后再提交", app.Version, base)}
	}
	doc, err := s.prog.Form.DecodeDocument(app.Document)
	if err != nil {
		return nil, err
	}
	rep, _ := s.cachedReport(docKeyOf(app, "draft"), func() (*rules.Report, error) { return s.eng.Evaluate(doc), nil })
	// Anything missing refuses the submission, even when a failed rule already
	// makes the verdict "ineligible": an application goes to the city complete.
	if rep.Verdict == rules.Incomplete || hasMissing(rep) {
		return nil, submitIncomplete(rep)
	}
	switch rep.Verdict {
	case rules.Ineligible:
		if !confirm {
			return nil, invalid("confirm_ineligible", "资格自查结论为「不符合申报条件」：请阅读不符合的各项，确认后再提交")
		}
	}
	snap, hash, ev, err := s.snapshot(ctx, doc)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, u, app, TransitionInput{Action: workflow.Submit, BaseVersion: app.Version,
		Snapshot: snap, SnapshotHash: hash, Address: s.clientAddr(r),
		Data: map[string]any{"verdict": rep.Verdict, "confirm_ineligible": confirm && rep.Verdict == rules.Ineligible,
			"version": app.Version, "evidence": ev}})
}

func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		BaseVersion       int64 `json:"base_version"`
		ConfirmIneligible bool  `json:"confirm_ineligible"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	out, err := s.submit(r, app, in.BaseVersion, in.ConfirmIneligible)
	if err != nil {
		return err
	}
	res := s.appJSON(out)
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) withdraw(r *http.Request, app *biopilot.Application) (*biopilot.Application, error) {
	return s.transition(r.Context(), currentUser(r), app, TransitionInput{Action: workflow.Withdraw,
		Address: s.clientAddr(r)})
}

func (s *Server) apiWithdraw(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	out, err := s.withdraw(r, app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.appJSON(out))
	return nil
}

// submitData is what the submit page gets.
type submitData struct {
	App      *biopilot.Application
	Report   *rules.Report
	Missing  []checkItem
	Failed   []checkItem
	Deadline string
	Passed   bool
	CanAct   bool
	Done     string
	Problems []biopilot.FieldError
}

// pageSubmit shows the submit (or withdraw) page of an application.
func (s *Server) pageSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.renderSubmit(w, r, http.StatusOK, nil)
}

func (s *Server) renderSubmit(w http.ResponseWriter, r *http.Request, status int, failure error) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	u := currentUser(r)
	doc, err := s.prog.Form.DecodeDocument(app.Document)
	if err != nil {
		return err
	}
	rep, _ := s.cachedReport(docKeyOf(app, "draft"), func() (*rules.Report, error) { return s.eng.Evaluate(doc), nil })
	dl := s.deadlines(r.Context())
	d := &submitData{App: app, Report: rep, Deadline: beijing(dl.Applicant), Passed: !s.now().Before(dl.Applicant),
		Done: r.URL.Query().Get("done")}
	action := workflow.Submit
	if app.State == biopilot.StateSubmitted {
		action = workflow.Withdraw
	}
	_, cerr := authz.CheckTransition(u, action, app, s.now(), dl)
	d.CanAct = cerr == nil
	for _, ci := range s.checkItems(app.ID, rep) {
		switch ci.Status {
		case rules.Missing:
			d.Missing = append(d.Missing, ci)
		case rules.Fail:
			d.Failed = append(d.Failed, ci)
		}
	}
	p := s.newPage(r, "提交申请", d)
	if failure != nil {
		e, st := s.classify(r, failure)
		p.Error, status = e.Message, st
	}
	return s.render(w, r, status, "applicant_submit", p)
}

// pageSubmitPost submits from the page; a refusal shows the page again with why.
func (s *Server) pageSubmitPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	base, _ := strconv.ParseInt(r.PostForm.Get("base_version"), 10, 64)
	if r.PostForm.Get("action") == "withdraw" {
		_, err = s.withdraw(r, app)
	} else {
		_, err = s.submit(r, app, base, r.PostForm.Get("confirm_ineligible") != "")
	}
	if err != nil {
		if c := biopilot.ErrorCode(err); c == biopilot.ENOTFOUND || c == biopilot.EINTERNAL || c == "" {
			return err
		}
		return s.renderSubmit(w, r, 0, err)
	}
	done := "submitted"
	if r.PostForm.Get("action") == "withdraw" {
		done = "withdrawn"
	}
	http.Redirect(w, r, fmt.Sprintf("/applications/%d/submit?done=%s", app.ID, done), http.StatusSeeOther)
	return nil
}
