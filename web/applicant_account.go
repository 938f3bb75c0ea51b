package web

// The applicant's account pages: registration of an organisation with its first
// account (the organisation's administrator), the members page where that
// administrator invites and disables colleagues, and the print preview.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"

	"biopilot"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/render"
	"biopilot/store"
)

// registerData is what the registration page gets: the values typed so far and
// the messages by field.
type registerData struct {
	Values map[string]string
	Errors map[string]string
	Cities any
	// Groups are the cities by province when the program has several (national).
	Groups []cityGroup
	Kinds  []map[string]string
}

// cityGroup is one province's cities in a choice of city.
type cityGroup struct {
	Name   string
	Cities []program.City
}

// cityGroups groups the program's cities by province; nil for a single province.
func (s *Server) cityGroups() []cityGroup {
	provs := s.prog.Provinces()
	if len(provs) < 2 {
		return nil
	}
	var out []cityGroup
	for _, p := range provs {
		out = append(out, cityGroup{p.Name, s.prog.CitiesIn(p.Code)})
	}
	return out
}

func (s *Server) pageRegister(w http.ResponseWriter, r *http.Request) error {
	if currentUser(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.renderRegister(w, r, http.StatusOK, map[string]string{}, nil)
}

func (s *Server) renderRegister(w http.ResponseWriter, r *http.Request, status int, vals map[string]string, err error) error {
	d := &registerData{Values: vals, Errors: map[string]string{}, Cities: s.prog.Cities, Groups: s.cityGroups(), Kinds: orgKindsJSON()}
	p := s.newPage(r, "注册申报单位", d)
	if err != nil {
		e, st := s.classify(r, err)
		status, p.Error = st, e.Message
		for _, fe := range e.Fields {
			d.Errors[fe.Field] = fe.Message
		}
		if e.Field != "" && d.Errors[e.Field] == "" {
			d.Errors[e.Field] = e.Message
		}
	}
	return s.render(w, r, status, "applicant_register", p)
}

// registerFields are the registration form's inputs, named as the API's JSON keys.
var registerFields = []string{"organisation.name", "organisation.uscc", "organisation.kind",
	"organisation.city_code", "user.username", "user.display_name", "user.email", "user.phone", "user.password"}

// pageRegisterPost registers through the same code as POST /api/v1/register (its
// checks and messages), then logs the new administrator in.
func (s *Server) pageRegisterPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	vals := map[string]string{}
	var in registration
	for _, k := range registerFields {
		vals[k] = r.PostForm.Get(k)
	}
	in.Organisation.Name, in.Organisation.USCC = vals["organisation.name"], vals["organisation.uscc"]
	in.Organisation.Kind, in.Organisation.CityCode = vals["organisation.kind"], vals["organisation.city_code"]
	in.User.Username, in.User.DisplayName = vals["user.username"], vals["user.display_name"]
	in.User.Email, in.User.Phone, in.User.Password = vals["user.email"], vals["user.phone"], vals["user.password"]
	delete(vals, "user.password")
	if in.User.Password != r.PostForm.Get("confirm_password") {
		return s.renderRegister(w, r, 0, vals, invalid("confirm_password", "两次输入的密码不一致"))
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	// One implementation of registration: the API handler, called in-process.
	sub := r.Clone(r.Context())
	sub.Body = nopCloser{bytes.NewReader(body)}
	sub.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	if err := s.apiRegister(rec, sub); err != nil {
		return s.renderRegister(w, r, 0, vals, err)
	}
	res, err := s.login(r.Context(), in.User.Username, in.User.Password, s.clientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	info(r).user = res.user
	s.setSessionCookie(w, r, res.token)
	http.Redirect(w, r, "/?registered=1", http.StatusSeeOther)
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// membersData is what the members page gets.
type membersData struct {
	Members []*biopilot.User
	Created *createdAccount
	Values  map[string]string
}

func (s *Server) pageMembers(w http.ResponseWriter, r *http.Request) error {
	return s.renderMembers(w, r, http.StatusOK, nil, map[string]string{}, nil)
}

func (s *Server) renderMembers(w http.ResponseWriter, r *http.Request, status int, created *createdAccount, vals map[string]string, failure error) error {
	u := currentUser(r)
	if err := authz.CheckManageMembers(u); err != nil {
		return err
	}
	users, err := s.db.Users(r.Context(), store.UserFilter{OrgID: u.OrgID, Limit: 500})
	if err != nil {
		return err
	}
	p := s.newPage(r, "本单位账号", &membersData{Members: users, Created: created, Values: vals})
	if failure != nil {
		e, st := s.classify(r, failure)
		status, p.Error = st, e.Message
	}
	return s.render(w, r, status, "applicant_members", p)
}

// pageMembersPost invites a colleague; the one-time password is shown once.
func (s *Server) pageMembersPost(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	if err := authz.CheckManageMembers(me); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	in := newAccount{Username: r.PostForm.Get("username"), DisplayName: r.PostForm.Get("display_name"),
		Email: r.PostForm.Get("email"), Phone: r.PostForm.Get("phone")}
	vals := map[string]string{"username": in.Username, "display_name": in.DisplayName, "email": in.Email, "phone": in.Phone}
	out, err := s.createAccount(r, in, &biopilot.User{Role: biopilot.RoleApplicant, OrgID: me.OrgID})
	if err != nil {
		return s.renderMembers(w, r, 0, nil, vals, err)
	}
	s.audit(r, "user:"+strconv.FormatInt(out.User.ID, 10), "member_invite", auditOK, nil)
	return s.renderMembers(w, r, http.StatusCreated, out, map[string]string{}, nil)
}

// pageMemberDisable disables a colleague's account.
func (s *Server) pageMemberDisable(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.disableMember(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/organisation/members", http.StatusSeeOther)
	return nil
}

// pagePreview shows the application as it will print, read-only: the draft for
// its organisation, the submitted snapshot for reviewers.
func (s *Server) pagePreview(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	data, src := visibleDocument(currentUser(r), app)
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return fmt.Errorf("application %d: stored document invalid: %w", app.ID, err)
	}
	rd := s.renderer
	if rd == nil {
		if rd, err = render.New(); err != nil {
			return err
		}
	}
	m := render.Meta{Date: s.now()}
	if src == "snapshot" || app.SnapshotHash != "" && !app.State.Editable() {
		m.ApplicationNo, m.SnapshotHash = strconv.FormatInt(app.ID, 10), app.SnapshotHash
	}
	var buf bytes.Buffer
	if err := rd.FormHTML(&buf, s.prog, doc, m); err != nil {
		return err
	}
	// A bar to go back, which does not print (the page has no script: links only).
	bar := fmt.Sprintf(`<body>
<nav style="font:14px sans-serif;padding:8px 12px;background:#eef2f7;border-bottom:1px solid #cbd5e1" aria-label="预览操作">
<style>@media print { nav[aria-label="预览操作"] { display: none } }</style>
<a href="/applications/%d">← 返回申请</a> · 打印本页请用浏览器的“打印”（Ctrl+P） · <a href="/applications/%d/form.pdf">下载申请表 PDF</a></nav>`, app.ID, app.ID)
	out := bytes.Replace(buf.Bytes(), []byte("<body>"), []byte(bar), 1)
	// The printed page carries its own style sheet; nothing else may load or run.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(out)
	return err
}
