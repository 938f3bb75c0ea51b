package web

// PUBLIC: the ministry's handling of the objections raised during a public notice
// (issue 8 part 4). Every objection gets a recorded outcome (异议成立, 异议不成立 or
// 异议人撤回) with a reason before the list can be published (national.Publishable,
// enforced again by store.Publish). Only the ministry sees objections
// (authz.CheckHandleObjections); their attachments are only ever downloaded.

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"biopilot"
	"biopilot/authz"
	"biopilot/files"
	"biopilot/national"
	"biopilot/store"
)

// maxResolveReasonRunes limits the ministry's reason of an outcome.
const maxResolveReasonRunes = 2000

// objectionOutcomes are the outcomes in the order the form offers them.
var objectionOutcomes = []option{
	{Value: national.ObjectionUpheld, Label: "异议成立"},
	{Value: national.ObjectionRejected, Label: "异议不成立"},
	{Value: national.ObjectionWithdrawn, Label: "异议人撤回"},
}

// outcomeLabel is the Chinese name of an objection outcome ("待处理" while open).
func outcomeLabel(o string) string {
	for _, x := range objectionOutcomes {
		if x.Value == o {
			return x.Label
		}
	}
	if o == "" {
		return "待处理"
	}
	return o
}

// ministryNotice is the notice named by ?notice=ID, else the current one (nil when
// there has been none). The ministry may look at any notice of the program.
func (s *Server) ministryNotice(r *http.Request) (*store.PublicNotice, []*store.PublicNotice, error) {
	ctx := r.Context()
	if err := authz.CheckHandleObjections(currentUser(r)); err != nil {
		return nil, nil, err
	}
	all, err := s.db.Notices(ctx, s.prog.ID)
	if err != nil {
		return nil, nil, err
	}
	if v := r.URL.Query().Get("notice"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		for _, n := range all {
			if err == nil && n.ID == id {
				return n, all, nil
			}
		}
		return nil, nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该公示")
	}
	n, err := s.currentNotice(ctx)
	return n, all, err
}

// loadObjection loads the objection {id} of this program for the ministry.
func (s *Server) loadObjection(r *http.Request) (*store.Objection, *store.PublicNotice, error) {
	if err := authz.CheckHandleObjections(currentUser(r)); err != nil {
		return nil, nil, err
	}
	notFound := biopilot.Errorf(biopilot.ENOTFOUND, "未找到该异议")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, notFound
	}
	o, err := s.db.Objection(r.Context(), id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, nil, notFound
	} else if err != nil {
		return nil, nil, err
	}
	n, err := s.db.Notice(r.Context(), o.NoticeID)
	if err != nil {
		return nil, nil, err
	}
	if n.ProgramID != s.prog.ID {
		return nil, nil, notFound
	}
	return o, n, nil
}

// resolveObjection records the ministry's outcome of objection {id}: checked by
// national.Objection.Resolve (outcome, reason required, not yet resolved), stored
// by the store (which refuses a second outcome too), audited.
func (s *Server) resolveObjection(r *http.Request, outcome, reason string) (*store.Objection, error) {
	o, _, err := s.loadObjection(r)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > maxResolveReasonRunes {
		return nil, biopilot.FieldErrorf("reason", "处理理由不能超过 %d 个字", maxResolveReasonRunes)
	}
	no := national.Objection{ID: receiptNumber(o), AppID: strconv.FormatInt(o.ApplicationID, 10), Outcome: o.Outcome, Reason: o.Reason}
	if err := no.Resolve(outcome, reason); err != nil {
		return nil, err
	}
	u := currentUser(r)
	res, err := s.db.ResolveObjection(r.Context(), store.ResolveRequest{ObjectionID: o.ID, Outcome: outcome,
		Reason: reason, By: u.ID, At: s.now()})
	if err != nil {
		return nil, err
	}
	s.audit(r, fmt.Sprintf("objection:%d", o.ID), "objection_resolve", auditOK, map[string]any{
		"notice_id": o.NoticeID, "application_id": o.ApplicationID, "outcome": outcome, "reason": reason})
	return res, nil
}

// objectionView is an objection as the ministry's page shows it.
type objectionView struct {
	*store.Objection
	Receipt      string
	Platform     string
	At           string
	OutcomeLabel string
	HandledAt    string
	Files        []objectionFileView
}

type objectionFileView struct {
	store.ObjectionFile
	URL      string
	SizeText string
}

func (s *Server) objectionViews(r *http.Request, n *store.PublicNotice) ([]objectionView, error) {
	list, err := s.db.Objections(r.Context(), n.ID)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	out := make([]objectionView, 0, len(list))
	for _, o := range list {
		if _, ok := names[o.ApplicationID]; !ok {
			app, err := s.db.Application(r.Context(), o.ApplicationID)
			if err != nil {
				return nil, err
			}
			names[o.ApplicationID] = app.PlatformName
		}
		v := objectionView{Objection: o, Receipt: receiptNumber(o), Platform: names[o.ApplicationID],
			At: beijing(o.CreatedAt), OutcomeLabel: outcomeLabel(o.Outcome), HandledAt: beijing(o.HandledAt)}
		for _, f := range o.Files {
			v.Files = append(v.Files, objectionFileView{ObjectionFile: f, SizeText: sizeText(f.Size),
				URL: fmt.Sprintf("/ministry/objections/%d/files/%d", o.ID, f.ID)})
		}
		out = append(out, v)
	}
	return out, nil
}

// pageMinistryObjections lists the objections of a notice with the form that
// records each one's outcome.
func (s *Server) pageMinistryObjections(w http.ResponseWriter, r *http.Request) error {
	return s.renderMinistryObjections(w, r, http.StatusOK, 0, "", "", nil)
}

func (s *Server) renderMinistryObjections(w http.ResponseWriter, r *http.Request, status int, failedID int64, outcome, reason string, fail error) error {
	n, all, err := s.ministryNotice(r)
	if err != nil {
		return err
	}
	data := map[string]any{"Notice": n, "Notices": all, "Outcomes": objectionOutcomes,
		"FailedID": failedID, "Outcome": outcome, "Reason": reason}
	if n != nil {
		items, err := s.objectionViews(r, n)
		if err != nil {
			return err
		}
		open := 0
		for _, it := range items {
			if it.Outcome == "" {
				open++
			}
		}
		data["Items"], data["Open"] = items, open
		data["End"] = noticeEndText(n.EndsAt)
	}
	p := s.newPage(r, "公示异议处理", data)
	if fail != nil {
		e, st := s.classify(r, fail)
		p.Error, status = e.Message, st
	}
	return s.render(w, r, status, "ministry_objections", p)
}

// pageMinistryResolve records an outcome from the page's form.
func (s *Server) pageMinistryResolve(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	outcome, reason := r.PostForm.Get("outcome"), r.PostForm.Get("reason")
	o, err := s.resolveObjection(r, outcome, reason)
	if err != nil {
		if c := biopilot.ErrorCode(err); c == biopilot.EINVALID || c == biopilot.ECONFLICT {
			id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
			return s.renderMinistryObjections(w, r, http.StatusOK, id, outcome, reason, err)
		}
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/ministry/objections?notice=%d#objection-%d", o.NoticeID, o.ID), http.StatusSeeOther)
	return nil
}

// pageObjectionFile downloads an attachment of an objection: always as an
// attachment (never shown inline), nosniff, under a CSP that allows nothing.
func (s *Server) pageObjectionFile(w http.ResponseWriter, r *http.Request) error {
	o, _, err := s.loadObjection(r)
	if err != nil {
		return err
	}
	fid, _ := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	var f *store.ObjectionFile
	for i := range o.Files {
		if o.Files[i].ID == fid {
			f = &o.Files[i]
		}
	}
	if f == nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "附件不存在")
	}
	if s.files == nil {
		return fmt.Errorf("web: no files store configured")
	}
	rc, err := s.files.Open(r.Context(), f.SHA256)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", f.MediaType)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", files.ContentDisposition(f.Filename))
	s.audit(r, fmt.Sprintf("objection:%d", o.ID), "download", auditOK,
		map[string]any{"file_id": f.ID, "sha256": f.SHA256, "filename": f.Filename})
	_, err = io.Copy(w, rc)
	return err
}

// objectionJSON is an objection as the API shows it (to the ministry).
func objectionJSON(o *store.Objection) map[string]any {
	fs := make([]map[string]any, 0, len(o.Files))
	for _, f := range o.Files {
		fs = append(fs, map[string]any{"id": f.ID, "filename": f.Filename, "size": f.Size, "media_type": f.MediaType,
			"sha256": f.SHA256, "url": fmt.Sprintf("/ministry/objections/%d/files/%d", o.ID, f.ID)})
	}
	return map[string]any{"id": o.ID, "receipt": receiptNumber(o), "notice_id": o.NoticeID,
		"application_id": o.ApplicationID, "name": o.Name, "contact": o.Contact, "grounds": o.Grounds,
		"created_at": rfc3339(o.CreatedAt), "outcome": o.Outcome, "outcome_label": outcomeLabel(o.Outcome),
		"reason": o.Reason, "handled_by": o.HandledBy, "handled_at": rfc3339(o.HandledAt), "files": fs}
}

// apiObjections lists the objections of a notice (?notice=ID, default the current
// one): GET /api/v1/national/objections.
func (s *Server) apiObjections(w http.ResponseWriter, r *http.Request) error {
	n, _, err := s.ministryNotice(r)
	if err != nil {
		return err
	}
	if n == nil {
		writeJSON(w, http.StatusOK, map[string]any{"notice": nil, "items": []any{}, "open": 0})
		return nil
	}
	list, err := s.db.Objections(r.Context(), n.ID)
	if err != nil {
		return err
	}
	open := 0
	for _, o := range list {
		if o.Outcome == "" {
			open++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": map[string]any{"id": n.ID, "title": n.Title, "state": n.State,
		"starts_at": rfc3339(n.StartsAt), "ends_at": rfc3339(n.EndsAt), "application_ids": n.ApplicationIDs},
		"items": jsonItems(list, objectionJSON), "open": open})
	return nil
}

// apiResolveObjection records an outcome: POST /api/v1/national/objections/{id}/resolve
// with {"outcome", "reason"}.
func (s *Server) apiResolveObjection(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o, err := s.resolveObjection(r, in.Outcome, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, objectionJSON(o))
	return nil
}
