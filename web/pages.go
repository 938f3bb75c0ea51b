package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/store"
)

// page is what every template gets: the layout's values and the page's own Data.
type page struct {
	Title     string
	Program   *program.Program
	User      *biopilot.User
	Where     string // the user's organisation or jurisdiction
	CSRF      string
	Countdown string
	// Remaining is the number of seconds to the deadline shown, for the script
	// that keeps the countdown current; 0 when passed.
	Remaining int64
	Error     string
	Data      any
	// DemoNow is the demo clock's time when the server runs the demo ("" else).
	DemoNow string
	// Platform is set for the people of an organisation with a listed (or removed)
	// platform: the navigation offers its annual reports.
	Platform bool
}

var templateFuncs = template.FuncMap{
	"beijing":      beijing,
	"verdictLabel": verdictLabel,
	"statusLabel":  statusLabel,
	"stateLabel":   func(s biopilot.State) string { return s.Label() },
}

// mustParsePages parses each page template together with the layout. The templates
// are embedded, so an error is a broken build.
func mustParsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*template.Template)
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" {
			continue
		}
		t := template.Must(template.New(base).Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", name))
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out
}

// newPage fills the layout's values for the request.
func (s *Server) newPage(r *http.Request, title string, data any) *page {
	p := &page{Title: title, Program: s.prog, Data: data}
	ri := info(r)
	if ri.session != nil {
		p.CSRF = ri.session.CSRFToken
	}
	dl := s.deadlines(r.Context()) // extensions included
	label, deadline := "申报", dl.Applicant
	if u := ri.user; u != nil {
		p.User = u
		if u.OrgID != 0 {
			p.Where = s.orgName(r, u)
		} else if u.Jurisdiction != "" {
			p.Where = s.jurisdictionName(u.Jurisdiction)
		}
		if u.Role.IsCity() {
			label, deadline = "地市推荐", dl.City
		}
		if u.Role == biopilot.RoleApplicant && u.OrgID != 0 {
			// An error only hides the link: the page itself does not depend on it.
			p.Platform, _ = s.db.OrgHasPlatform(r.Context(), u.OrgID)
		}
	}
	now := s.now()
	if s.demoClock != nil {
		p.DemoNow = beijing(now)
	}
	// The ministry and the experts work after the call's deadlines: no countdown.
	if u := ri.user; u == nil || (u.Role != biopilot.RoleMinistry && u.Role != biopilot.RoleExpert) {
		p.Countdown = countdown(label, deadline, now)
		if d := deadline.Sub(now); d > 0 {
			p.Remaining = int64(d / time.Second)
		}
	}
	return p
}

// render executes a page template into a buffer, then writes it with a status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// pageError shows an error as a page (anonymous callers go to the login page).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	e, status := s.classify(r, err)
	if e.Code == biopilot.EUNAUTHORIZED {
		s.redirectToLogin(w, r)
		return
	}
	p := s.newPage(r, "出错了", map[string]any{"Status": status})
	p.Error = e.Message
	if rerr := s.render(w, r, status, "error", p); rerr != nil {
		s.logger.ErrorContext(r.Context(), "render error page", "err", rerr)
		http.Error(w, e.Message, status)
	}
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) error {
	if currentUser(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	p := s.newPage(r, "登录", map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "Username": ""})
	if info(r).expired || r.URL.Query().Get("expired") == "1" {
		p.Error = "登录已超时，请重新登录"
	}
	return s.render(w, r, http.StatusOK, "login", p)
}

func (s *Server) pageLoginPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	username, next := r.PostForm.Get("username"), safeNext(r.PostForm.Get("next"))
	res, err := s.login(r.Context(), username, r.PostForm.Get("password"), s.clientAddr(r), r.UserAgent())
	if err != nil {
		e, status := s.classify(r, err)
		p := s.newPage(r, "登录", map[string]any{"Next": next, "Username": username})
		p.Error = e.Message
		return s.render(w, r, status, "login", p)
	}
	if old := info(r).session; old != nil {
		_ = s.db.DeleteSession(r.Context(), old.ID)
	}
	info(r).user = res.user
	s.setSessionCookie(w, r, res.token)
	if res.user.MustChangePassword {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) pageLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.logout(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) pagePassword(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "password", s.newPage(r, "修改密码", nil))
}

func (s *Server) pagePasswordPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	newPW := r.PostForm.Get("new_password")
	var err error
	if newPW != r.PostForm.Get("confirm_password") {
		err = invalid("confirm_password", "两次输入的新密码不一致")
	} else {
		_, err = s.changePassword(w, r, r.PostForm.Get("old_password"), newPW)
	}
	if err != nil {
		e, status := s.classify(r, err)
		p := s.newPage(r, "修改密码", nil)
		p.Error = e.Message
		return s.render(w, r, status, "password", p)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// stateCount is one line of a reviewer's counts.
type stateCount struct {
	State biopilot.State
	Label string
	N     int
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	ctx := r.Context()
	switch {
	case u.Role == biopilot.RoleApplicant:
		f, ok, err := s.listFilter(r, u)
		if err != nil {
			return err
		}
		var apps []*biopilot.Application
		if ok {
			f.Limit = 200
			if apps, _, err = s.db.Applications(ctx, f); err != nil {
				return err
			}
		}
		return s.render(w, r, http.StatusOK, "home_applicant", s.newPage(r, "本单位申请",
			map[string]any{"Apps": apps}))
	case u.Role.IsAuthority():
		scope := authz.Scope(u)
		var apps []*biopilot.Application
		var counts []stateCount
		total := 0
		f, ok, err := s.listFilter(r, u)
		if err != nil {
			return err
		}
		if ok {
			f.Limit = 200
			if apps, total, err = s.db.Applications(ctx, f); err != nil {
				return err
			}
			cf := store.ApplicationFilter{ProgramID: s.prog.ID, OrgID: scope.OrgID, CityCode: scope.CityCode, Province: scope.Province}
			m, err := s.db.CountByState(ctx, cf)
			if err != nil {
				return err
			}
			for _, st := range scope.States {
				counts = append(counts, stateCount{State: st, Label: st.Label(), N: m[st]})
			}
		}
		return s.render(w, r, http.StatusOK, "home_review", s.newPage(r, "申请概览",
			map[string]any{"Apps": apps, "Counts": counts, "Total": total}))
	}
	return s.render(w, r, http.StatusOK, "home_operator", s.newPage(r, "工作台",
		map[string]any{"Duties": duties(u.Role), "Links": homeLinks(u.Role)}))
}

// homeLink is an entry of an operator's or expert's home page.
type homeLink struct{ Href, Label string }

// homeLinks are the pages an operator or expert works on; what has no page yet
// (account administration) is done through the API and the biopilot command.
func homeLinks(role biopilot.Role) []homeLink {
	switch role {
	case biopilot.RoleExpert:
		return []homeLink{{"/expert", "评审任务"}}
	case biopilot.RoleAdmin:
		return []homeLink{{"/admin/deadlines", "截止时间"}, {"/api/v1/openapi.json", "账号管理接口说明（OpenAPI）"}}
	case biopilot.RoleAuditor:
		return []homeLink{{"/audit", "审计日志"}}
	case biopilot.RoleSecurityAdmin:
		return []homeLink{{"/api/v1/openapi.json", "账号安全接口说明（OpenAPI）"}}
	}
	return nil
}

// duties describes what an operator or expert does (the panels come later).
func duties(role biopilot.Role) []string {
	switch role {
	case biopilot.RoleAdmin:
		return []string{"管理申报通知与截止时间（延期须留痕审计）", "创建地市、省级、部级、专家及运维账号", "管理申报单位信息", "系统管理员不能查看申请内容"}
	case biopilot.RoleSecurityAdmin:
		return []string{"停用、启用（解锁）账号", "重置账号密码（生成一次性初始密码）", "检查登录失败与会话安全策略", "安全管理员不能查看申请内容"}
	case biopilot.RoleAuditor:
		return []string{"查阅审计日志：时间、用户、事件与结果", "校验审计日志的完整性", "审计管理员不能查看申请内容"}
	case biopilot.RoleExpert:
		return []string{"在“评审任务”中查看分配给您的申请", "打开申请前先申明有无利益冲突；有冲突的申请将改派其他专家"}
	}
	return nil
}

func (s *Server) pageCreateApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := s.createApplication(r, currentUser(r), nil)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/applications/%d", app.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) pageApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	u := currentUser(r)
	data, src := visibleDocument(u, app)
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return fmt.Errorf("application %d: stored document invalid: %w", app.ID, err)
	}
	rep, _ := s.cachedReport(docKeyOf(app, src), func() (*rules.Report, error) { return s.eng.Evaluate(doc), nil })
	title := app.PlatformName
	if title == "" {
		title = fmt.Sprintf("申请 %d", app.ID)
	}
	sections := s.sectionViews(doc)
	return s.render(w, r, http.StatusOK, "application", s.newPage(r, title, map[string]any{
		"App":      app,
		"CityName": s.prog.CityName(app.CityCode),
		"Snapshot": src == "snapshot",
		"Sections": sections,
		// PERF: the sections' markup, written in one pass (view.go).
		"DocumentHTML": documentHTML(sections),
		"Derived":      s.prog.Form.Derive(doc),
		"Report":       rep,
		"RulesHTML":    rulesHTML(rep.Rules),
		"Editable":     authz.Check(u, authz.Edit, app) == nil,
	}))
}

// statusLabel is the Chinese name of a rule result's status.
func statusLabel(st string) string {
	switch st {
	case rules.Pass:
		return "符合"
	case rules.Fail:
		return "不符合"
	case rules.Warn:
		return "提示"
	case rules.Missing:
		return "待填写"
	case rules.NA:
		return "不适用"
	}
	return st
}
