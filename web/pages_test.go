package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"biopilot"
)

func getPage(t *testing.T, c *client, path string, wantCode int, wants ...string) string {
	t.Helper()
	w := c.do("GET", path, nil)
	if w.Code != wantCode {
		t.Fatalf("%s as %s: %d, want %d", path, c.name, w.Code, wantCode)
	}
	body := w.Body.String()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	for _, s := range wants {
		if !strings.Contains(body, s) {
			t.Errorf("%s as %s: page lacks %q", path, c.name, s)
		}
	}
	return body
}

func TestPagesRenderInChinese(t *testing.T) {
	f := newFixture(t)
	// 2025-06-20 10:00 → deadline 2025-07-05 00:00 Beijing: 14 days 14 hours.
	getPage(t, f.anon(), "/login", 200, `<html lang="zh-CN">`, "登录", "用户名", "密码",
		f.prog.Title, "距申报截止还有 14 天 14 小时")

	a := f.as("applicantA")
	body := getPage(t, a, "/", 200, "本单位的申请", "新建申请", "测试applicantA", "申报单位", f.orgA.Name,
		"退出登录", `name="csrf_token" value="`+a.csrf+`"`, "草稿", "已提交，待地市审核", "草稿平台",
		"距申报截止还有 14 天 14 小时")
	if strings.Contains(body, "<script>") {
		t.Error("inline script on a page (the CSP forbids it)")
	}
	getPage(t, f.as("citygz"), "/", 200, "管辖范围内的申请（共 1 件）", "已提交平台", "地市工业和信息化局", "广州市",
		"距地市推荐截止还有 20 天 14 小时")
	if strings.Contains(getPage(t, f.as("citygz"), "/", 200), "草稿平台") {
		t.Error("a city's home shows a draft")
	}
	getPage(t, f.as("province"), "/", 200, "管辖范围内的申请（共 0 件）", "省级复核中")
	getPage(t, f.as("admin"), "/", 200, "系统管理员工作台", "不能查看申请内容")
	getPage(t, f.as("secadmin"), "/", 200, "安全管理员工作台", "重置账号密码")
	getPage(t, f.as("auditor"), "/", 200, "审计管理员工作台", `href="/audit"`)
	if strings.Contains(getPage(t, a, "/", 200), `href="/annual"`) {
		t.Error("an applicant without a listed platform is offered annual reports in the navigation")
	}
	f.user("expert", biopilot.RoleExpert, 0, "", false)
	if page := getPage(t, f.as("expert"), "/", 200, "评审专家工作台", `href="/expert"`); strings.Contains(page, "后续版本") ||
		strings.Contains(page, `class="countdown"`) {
		t.Error("the expert's home promises later versions or counts down to the applicants' deadline")
	}

	getPage(t, a, idPath("/applications/%d", f.appSub.ID), 200, "一、基本信息", "二、主要内容", "资格条件自查",
		"已提交平台", "酶制剂领域", "（未填写）", "导出 JSON")
	getPage(t, f.as("citygz"), idPath("/applications/%d", f.appSub.ID), 200, "提交时的冻结版本")
	getPage(t, f.as("cityfs"), idPath("/applications/%d", f.appSub.ID), 404, "未找到该申请")
	getPage(t, a, "/applications/999999", 404, "未找到")
	getPage(t, a, "/password", 200, "修改密码", "确认新密码")

	// After the deadline the countdown says so.
	f.clock.Set(time.Date(2025, 7, 6, 9, 0, 0, 0, biopilot.Beijing))
	getPage(t, f.as("applicantA"), "/", 200, "申报已截止（2025-07-05 00:00）")
}

func TestPageCreateApplication(t *testing.T) {
	f := newFixture(t)
	a := f.as("applicantB")
	w := a.do("POST", "/applications", url.Values{})
	if w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/applications/") {
		t.Fatalf("create: %d %s", w.Code, w.Header().Get("Location"))
	}
	getPage(t, a, w.Header().Get("Location"), 200, f.orgB.Name, "草稿", "第 1 版")
	w = f.as("citygz").do("POST", "/applications", url.Values{})
	if w.Code != 403 || !strings.Contains(w.Body.String(), "只有申报单位可以新建申请") {
		t.Errorf("city create: %d", w.Code)
	}
}

func TestPagePasswordChange(t *testing.T) {
	f := newFixture(t)
	c := f.as("citygz")
	w := c.do("POST", "/password", url.Values{"old_password": {testPassword}, "new_password": {"Abc-12345-xyz"}, "confirm_password": {"Abc-12345-xyz!"}})
	if w.Code != 422 || !strings.Contains(w.Body.String(), "两次输入的新密码不一致") {
		t.Errorf("mismatch: %d", w.Code)
	}
	w = c.do("POST", "/password", url.Values{"old_password": {testPassword}, "new_password": {"Abc-12345-xyz"}, "confirm_password": {"Abc-12345-xyz"}})
	if w.Code != 303 || w.Header().Get("Location") != "/" {
		t.Fatalf("change: %d", w.Code)
	}
	wantStatus(t, loginAPI(f.anon(), "citygz", "Abc-12345-xyz"), 200)
}

func TestHealth(t *testing.T) {
	f := newFixture(t)
	w := f.anon().do("GET", "/healthz", nil)
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "ok" {
		t.Errorf("healthz %d %q", w.Code, w.Body.String())
	}
	wantStatus(t, f.anon().do("GET", "/readyz", nil), 200)
	f.db.Close()
	w = f.anon().do("GET", "/readyz", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d", w.Code)
	}
	wantStatus(t, f.anon().do("GET", "/healthz", nil), 200)
	wantStatus(t, (&client{f: f, cookie: "whatever", addr: "192.0.2.1:1"}).do("GET", "/healthz", nil), 200)
	// With the database gone, an API call is a 500 with a generic Chinese message
	// and the real error in the log only.
	w = f.as0("citygz").do("GET", "/api/v1/program", nil)
	wantStatus(t, w, 200)
	w = (&client{f: f, cookie: "whatever", addr: "192.0.2.1:1"}).do("GET", "/api/v1/me", nil)
	wantStatus(t, w, 500)
	if e := apiErr(t, w); e["message"] != internalMessage || strings.Contains(w.Body.String(), "sql") {
		t.Errorf("500 body %s", w.Body.String())
	}
	if !strings.Contains(f.logs.String(), "internal error") {
		t.Error("the internal error was not logged")
	}
}

// as0 is an anonymous client named for a user (the database may be gone).
func (f *fixture) as0(name string) *client { c := f.anon(); c.name = name; return c }

func TestRequestLogAndPanic(t *testing.T) {
	f := newFixture(t)
	c := f.as("citygz")
	wantStatus(t, c.do("GET", idPath("/api/v1/applications/%d", f.appSub.ID), nil), 200)
	logs := f.logs.String()
	for _, s := range []string{`"route":"GET /api/v1/applications/{id}"`, `"status":200`,
		`"user_id":` + itoa64(f.users["citygz"].ID), `"method":"GET"`, `"duration_ms":`} {
		if !strings.Contains(logs, s) {
			t.Errorf("request log lacks %s:\n%s", s, logs)
		}
	}
	// A panic is a 500 with a generic message, logged with its stack.
	h := f.srv.logRequests(f.srv.recoverPanic(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(errors.New("boom"))
	})))
	r := f.anon().req("GET", "/api/v1/x", nil)
	w := newRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 500 || !strings.Contains(w.Body.String(), internalMessage) || strings.Contains(w.Body.String(), "boom") {
		t.Errorf("panic: %d %s", w.Code, w.Body.String())
	}
	if !strings.Contains(f.logs.String(), "boom") || !strings.Contains(f.logs.String(), "stack") {
		t.Error("panic not logged")
	}
	_ = context.Background()
}
