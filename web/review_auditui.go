package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/notify"
	"biopilot/program"
	"biopilot/seal"
	"biopilot/store"
)

// auditFilter reads the auditor's filters: from, to (dates YYYY-MM-DD, Beijing
// time, to inclusive), actor, action, object, result, limit, offset.
func auditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Object: strings.TrimSpace(q.Get("object")), Result: strings.TrimSpace(q.Get("result")), Limit: 50}
	var fe fieldErrors
	for _, x := range []struct {
		key  string
		dst  *time.Time
		next bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		v := strings.TrimSpace(q.Get(x.key))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, biopilot.Beijing)
		if err != nil {
			fe.add(x.key, "日期应为 YYYY-MM-DD："+v)
			continue
		}
		if x.next {
			t = t.AddDate(0, 0, 1)
		}
		*x.dst = t
	}
	switch f.Result {
	case "", store.AuditOK, store.AuditDenied, store.AuditFailed:
	default:
		fe.add("result", "结果应为 ok、denied 或 failed")
	}
	fe.page(q, &f.Limit, &f.Offset)
	return f, fe.err()
}

func auditJSON(r *seal.ChainRecord) map[string]any {
	m := map[string]any{"seq": r.Seq, "time": rfc3339(r.Time), "actor": r.Actor, "role": r.Role,
		"address": r.Address, "object": r.Object, "action": r.Action, "result": r.Result,
		"prev_hash": r.PrevHash, "hash": r.Hash}
	if len(r.Detail) > 0 {
		m["detail"] = r.Detail
	}
	return m
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	if err := authz.CheckAuditRead(currentUser(r)); err != nil {
		return err
	}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	recs, total, err := s.db.AuditRecords(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": jsonItems(recs, auditJSON), "total": total,
		"limit": f.Limit, "offset": f.Offset})
	return nil
}

// verifyResult is the outcome of checking the audit chain.
type verifyResult struct {
	OK      bool   `json:"ok"`
	Count   int64  `json:"count"`
	Message string `json:"message"`
}

func (s *Server) verifyAudit(r *http.Request) (*verifyResult, error) {
	if err := authz.CheckAuditRead(currentUser(r)); err != nil {
		return nil, err
	}
	n, err := s.db.VerifyAudit(r.Context())
	res := &verifyResult{OK: err == nil, Count: n}
	switch {
	case err == nil:
		res.Message = fmt.Sprintf("审计日志完整：共 %d 条", n)
	case biopilot.ErrorCode(err) == biopilot.EINVALID:
		res.Message = "审计日志被篡改：" + biopilot.ErrorMessage(err)
	default:
		return nil, err
	}
	s.audit(r, "audit_log", "audit_verify", map[bool]string{true: auditOK, false: auditFailed}[res.OK],
		map[string]any{"count": n, "message": res.Message})
	return res, nil
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request) error {
	res, err := s.verifyAudit(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// apiAuditExport streams the records matching the filters as CSV (UTF-8 with a
// BOM, so that spreadsheet programs read the Chinese), oldest first.
func (s *Server) apiAuditExport(w http.ResponseWriter, r *http.Request) error {
	if err := authz.CheckAuditRead(currentUser(r)); err != nil {
		return err
	}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	s.audit(r, "audit_log", "audit_export", auditOK, map[string]any{"filter": r.URL.RawQuery})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"序号", "时间（北京时间）", "操作人", "角色", "地址", "对象", "操作", "结果", "详情", "前一条摘要", "本条摘要"})
	match := func(x *seal.ChainRecord) bool {
		switch {
		case !f.From.IsZero() && x.Time.Before(f.From), !f.To.IsZero() && !x.Time.Before(f.To):
			return false
		case f.Result != "" && x.Result != f.Result, f.Object != "" && x.Object != f.Object:
			return false
		case f.Action != "" && !(x.Action == f.Action || (strings.HasSuffix(f.Action, ":") && strings.HasPrefix(x.Action, f.Action))):
			return false
		case f.Actor != "" && !strings.Contains(strings.ToLower(x.Actor), strings.ToLower(f.Actor)):
			return false
		}
		return true
	}
	err = s.db.EachAudit(r.Context(), func(x *seal.ChainRecord) error {
		if !match(x) {
			return nil
		}
		return cw.Write([]string{strconv.FormatInt(x.Seq, 10), x.Time.In(biopilot.Beijing).Format("2006-01-02 15:04:05.000"),
			csvSafe(x.Actor), x.Role, x.Address, csvSafe(x.Object), x.Action, x.Result, csvSafe(string(x.Detail)), x.PrevHash, x.Hash})
	})
	cw.Flush()
	return err
}

// csvSafe keeps a cell from being read as a formula by spreadsheet programs.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// auditPage is the auditor's page.
type auditPage struct {
	Records    []*seal.ChainRecord
	Total      int
	Query      url.Values
	Export     string
	Prev, Next string
	Verify     *verifyResult
}

func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request) error {
	return s.renderAudit(w, r, nil)
}

func (s *Server) renderAudit(w http.ResponseWriter, r *http.Request, v *verifyResult) error {
	if err := authz.CheckAuditRead(currentUser(r)); err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		return err
	}
	d := &auditPage{Query: q, Verify: v, Export: "/audit/export.csv?" + q.Encode()}
	if d.Records, d.Total, err = s.db.AuditRecords(r.Context(), f); err != nil {
		return err
	}
	link := func(off int) string {
		c := url.Values{}
		for k, vs := range q {
			c[k] = vs
		}
		c.Set("offset", strconv.Itoa(off))
		return "/audit?" + c.Encode()
	}
	if f.Offset > 0 {
		d.Prev = link(max(f.Offset-f.Limit, 0))
	}
	if f.Offset+f.Limit < d.Total {
		d.Next = link(f.Offset + f.Limit)
	}
	return s.render(w, r, http.StatusOK, "review_audit", s.newPage(r, "审计日志", d))
}

func (s *Server) pageAuditVerify(w http.ResponseWriter, r *http.Request) error {
	res, err := s.verifyAudit(r)
	if err != nil {
		return err
	}
	return s.renderAudit(w, r, res)
}

// ---- Notifications ----

// notificationKinds are the kinds a person can mute for e-mail, with labels.
var notificationKinds = func() []fieldOption {
	var out []fieldOption
	for _, k := range notify.Kinds {
		out = append(out, fieldOption{string(k), k.Label()})
	}
	return out
}()

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if err := authz.CheckNotifications(u); err != nil {
		return err
	}
	list, err := s.db.Notifications(r.Context(), u.ID, r.URL.Query().Get("unread") == "1", 100)
	if err != nil {
		return err
	}
	n, err := s.db.UnreadCount(r.Context(), u.ID)
	if err != nil {
		return err
	}
	mutes, err := s.db.Mutes(r.Context(), u.ID)
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, x := range list {
		items = append(items, map[string]any{"id": x.ID, "kind": x.Kind, "title": x.Title, "body": x.Body,
			"link": x.Link, "created_at": rfc3339(x.CreatedAt), "read": !x.ReadAt.IsZero()})
	}
	muted := []string{}
	for k, m := range mutes {
		if m {
			muted = append(muted, k)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "unread": n, "muted": muted})
	return nil
}

func (s *Server) markRead(r *http.Request) error {
	u := currentUser(r)
	if err := authz.CheckNotifications(u); err != nil {
		return err
	}
	if r.PathValue("id") == "all" {
		_, err := s.db.MarkAllRead(r.Context(), u.ID)
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该通知")
	}
	return s.db.MarkRead(r.Context(), u.ID, id)
}

func (s *Server) apiMarkRead(w http.ResponseWriter, r *http.Request) error {
	if err := s.markRead(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setMutes sets which kinds u does not want by e-mail (all others are e-mailed).
func (s *Server) setMutes(r *http.Request, muted []string) error {
	u := currentUser(r)
	if err := authz.CheckNotifications(u); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, k := range muted {
		ok := false
		for _, x := range notificationKinds {
			ok = ok || x.Key == k
		}
		if !ok {
			return invalid("muted", "未知的通知类型："+k)
		}
		want[k] = true
	}
	for _, x := range notificationKinds {
		if err := s.db.SetMute(r.Context(), u.ID, x.Key, want[x.Key]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) apiSetMutes(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Muted []string `json:"muted"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.setMutes(r, in.Muted); err != nil {
		return err
	}
	return s.apiNotifications(w, r)
}

func (s *Server) pageNotifications(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	list, err := s.db.Notifications(r.Context(), u.ID, false, 100)
	if err != nil {
		return err
	}
	mutes, err := s.db.Mutes(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "review_notifications", s.newPage(r, "站内通知",
		map[string]any{"Items": list, "Mutes": mutes, "Kinds": notificationKinds, "Done": r.URL.Query().Get("done")}))
}

func (s *Server) pageMarkRead(w http.ResponseWriter, r *http.Request) error {
	if err := s.markRead(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

func (s *Server) pageSetMutes(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	// The form lists the kinds to e-mail; the others are muted.
	send := map[string]bool{}
	for _, k := range r.PostForm["email"] {
		send[k] = true
	}
	var muted []string
	for _, x := range notificationKinds {
		if !send[x.Key] {
			muted = append(muted, x.Key)
		}
	}
	if err := s.setMutes(r, muted); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications?done="+url.QueryEscape("邮件提醒设置已保存"), http.StatusSeeOther)
	return nil
}

// ---- Deadline extensions ----

type deadlineInput struct {
	Applicant string `json:"applicant"`
	City      string `json:"city"`
	Reason    string `json:"reason"`
}

// extendDeadlines records an administrator's change of the program's deadlines,
// with its reason, and audits it.
func (s *Server) extendDeadlines(r *http.Request, in deadlineInput) error {
	u := currentUser(r)
	if err := authz.CheckDeadlines(u); err != nil {
		return err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		return invalid("reason", "请填写调整截止时间的原因（将记入审计日志）")
	}
	d := program.Deadlines{Applicant: strings.TrimSpace(in.Applicant), City: strings.TrimSpace(in.City)}
	if _, err := s.prog.WithDeadlines(d); err != nil {
		return invalid("deadlines", "截止时间格式不正确："+err.Error())
	}
	before := s.deadlines(r.Context())
	if err := s.db.SetDeadlines(r.Context(), s.prog.ID, d, u.ID, in.Reason, s.now()); err != nil {
		return err
	}
	s.audit(r, "program:"+s.prog.ID, "deadline_extend", auditOK, map[string]any{
		"applicant": d.Applicant, "city": d.City, "reason": in.Reason,
		"before": map[string]string{"applicant": rfc3339(before.Applicant), "city": rfc3339(before.City)}})
	return nil
}

func (s *Server) deadlinesJSON(r *http.Request) (map[string]any, error) {
	d := s.deadlines(r.Context())
	changes, err := s.db.DeadlineChanges(r.Context(), s.prog.ID)
	if err != nil {
		return nil, err
	}
	items := []map[string]any{}
	for _, c := range changes {
		items = append(items, map[string]any{"applicant": c.Deadlines.Applicant, "city": c.Deadlines.City,
			"set_by": c.SetBy, "set_at": rfc3339(c.SetAt), "reason": c.Reason})
	}
	return map[string]any{"program_id": s.prog.ID, "applicant": rfc3339(d.Applicant), "city": rfc3339(d.City),
		"program_applicant": s.prog.Deadlines.Applicant, "program_city": s.prog.Deadlines.City, "changes": items}, nil
}

func (s *Server) apiDeadlines(w http.ResponseWriter, r *http.Request) error {
	if err := authz.CheckDeadlines(currentUser(r)); err != nil {
		return err
	}
	out, err := s.deadlinesJSON(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSetDeadlines(w http.ResponseWriter, r *http.Request) error {
	var in deadlineInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.extendDeadlines(r, in); err != nil {
		return err
	}
	return s.apiDeadlines(w, r)
}

func (s *Server) pageDeadlines(w http.ResponseWriter, r *http.Request) error {
	return s.renderDeadlines(w, r, http.StatusOK, "")
}

func (s *Server) renderDeadlines(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	if err := authz.CheckDeadlines(currentUser(r)); err != nil {
		return err
	}
	d, err := s.deadlinesJSON(r)
	if err != nil {
		return err
	}
	cur := s.deadlines(r.Context())
	d["ApplicantText"], d["CityText"] = workflowDeadline(cur.Applicant), workflowDeadline(cur.City)
	d["Done"] = r.URL.Query().Get("done")
	p := s.newPage(r, "截止时间", d)
	p.Error = msg
	return s.render(w, r, status, "review_deadlines", p)
}

func (s *Server) pageSetDeadlines(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	f := r.PostForm
	err := s.extendDeadlines(r, deadlineInput{Applicant: f.Get("applicant"), City: f.Get("city"), Reason: f.Get("reason")})
	if err != nil {
		e, status := s.classify(r, err)
		if status != http.StatusUnprocessableEntity {
			return err
		}
		return s.renderDeadlines(w, r, status, e.Message)
	}
	http.Redirect(w, r, "/admin/deadlines?done="+url.QueryEscape("截止时间已调整，并已记入审计日志"), http.StatusSeeOther)
	return nil
}
