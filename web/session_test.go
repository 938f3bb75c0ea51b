package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"biopilot"
)

// loginAPI logs in through the API and returns the response.
func loginAPI(c *client, username, password string) *httptest.ResponseRecorder {
	return c.do("POST", "/api/v1/login", map[string]string{"username": username, "password": password})
}

func sessionCookieOf(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", w.Header())
	return nil
}

func TestLoginAndCookie(t *testing.T) {
	f := newFixture(t)
	w := loginAPI(f.anon(), "ApplicantA", testPassword) // usernames are case-insensitive
	wantStatus(t, w, 200)
	m := decode(t, w)
	if tok, _ := m["csrf_token"].(string); len(tok) < 40 {
		t.Errorf("csrf_token = %v", m["csrf_token"])
	}
	if u := m["user"].(map[string]any); u["username"] != "applicanta" || u["role_label"] != "申报单位" || u["org_name"] != f.orgA.Name {
		t.Errorf("user = %v", u)
	}
	if strings.Contains(w.Body.String(), "argon2") {
		t.Error("the password hash leaked into the response")
	}
	c := sessionCookieOf(t, w)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", c)
	}
	// The cookie works, and the database holds only its hash.
	cl := &client{f: f, cookie: c.Value, csrf: m["csrf_token"].(string), addr: "192.0.2.1:1"}
	wantStatus(t, cl.do("GET", "/api/v1/me", nil), 200)
	if _, _, err := f.db.Session(t.Context(), c.Value); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("the raw token finds a session: %v", err)
	}

	// Under TLS, or with SecureCookies, the cookie is Secure.
	r := f.anon().req("POST", "/api/v1/login", map[string]string{"username": "applicantA", "password": testPassword})
	r.TLS = &tlsState
	w = f.anon().send(r)
	wantStatus(t, w, 200)
	if c := sessionCookieOf(t, w); !c.Secure {
		t.Error("cookie over TLS is not Secure")
	}
	cfg := testConfig()
	cfg.SecureCookies = true
	f2 := newFixtureWith(t, cfg)
	if c := sessionCookieOf(t, loginAPI(f2.anon(), "applicantA", testPassword)); !c.Secure {
		t.Error("cookie with SecureCookies is not Secure")
	}

	// Logout deletes the session.
	wantStatus(t, cl.do("POST", "/api/v1/logout", nil), 204)
	wantStatus(t, cl.do("GET", "/api/v1/me", nil), 401)
}

func TestLoginFailures(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		user, pw string
		status   int
		msg      string
	}{
		{"applicantA", "wrong-Password1", 401, "用户名或密码错误"},
		{"nobody", testPassword, 401, "用户名或密码错误"},
		{"", testPassword, 422, "请填写用户名"},
		{"applicantA", "", 422, "请填写密码"},
	} {
		w := loginAPI(f.anon(), tc.user, tc.pw)
		if w.Code != tc.status {
			t.Errorf("%s/%s: status %d, want %d", tc.user, tc.pw, w.Code, tc.status)
			continue
		}
		if e := apiErr(t, w); e["message"] != tc.msg {
			t.Errorf("%s: message %v, want %s", tc.user, e["message"], tc.msg)
		}
	}
	// A disabled account cannot log in, even with the right password.
	if err := f.db.SetUserDisabled(t.Context(), f.users["victim"].ID, true); err != nil {
		t.Fatal(err)
	}
	w := loginAPI(f.anon(), "victim", testPassword)
	wantStatus(t, w, 403)
	if e := apiErr(t, w); !strings.Contains(e["message"].(string), "已停用") {
		t.Errorf("disabled: %v", e)
	}
}

func TestLoginThrottlePerAccount(t *testing.T) {
	cfg := testConfig()
	cfg.LoginMaxFailuresPerAccount = 3
	cfg.LoginWindow = 15 * time.Minute
	f := newFixtureWith(t, cfg)
	for i := 0; i < 3; i++ {
		c := f.anon()
		c.addr = "198.51.100." + string(rune('1'+i)) + ":1000" // different addresses
		wantStatus(t, loginAPI(c, "applicantA", "Wrong-Passw0rd"), 401)
	}
	// Locked: even the right password is refused, before it is checked.
	w := loginAPI(f.anon(), "applicantA", testPassword)
	wantStatus(t, w, 429)
	if e := apiErr(t, w); e["code"] != "too_many" || e["message"] != "登录失败次数过多，请 15 分钟后再试" {
		t.Errorf("throttled: %v", e)
	}
	// Other accounts are not affected.
	wantStatus(t, loginAPI(f.anon(), "applicantB", testPassword), 200)
	// The login page shows the same message.
	pw := f.anon().do("POST", "/login", url.Values{"username": {"applicantA"}, "password": {testPassword}})
	if pw.Code != 429 || !strings.Contains(pw.Body.String(), "登录失败次数过多，请 15 分钟后再试") {
		t.Errorf("login page: %d %s", pw.Code, pw.Body.String())
	}
	// After the window the account may log in again.
	f.clock.Add(16 * time.Minute)
	wantStatus(t, loginAPI(f.anon(), "applicantA", testPassword), 200)
}

func TestLoginThrottlePerAddress(t *testing.T) {
	cfg := testConfig()
	cfg.LoginMaxFailuresPerAddress = 4
	f := newFixtureWith(t, cfg)
	attacker := f.anon()
	attacker.addr = "203.0.113.9:5555"
	for _, u := range []string{"applicantA", "applicantB", "citygz", "nobody"} {
		wantStatus(t, loginAPI(attacker, u, "Wrong-Passw0rd"), 401)
	}
	w := loginAPI(attacker, "province", testPassword)
	wantStatus(t, w, 429)
	if e := apiErr(t, w); !strings.Contains(e["message"].(string), "登录失败次数过多") {
		t.Errorf("throttled: %v", e)
	}
	// Another address is not affected.
	wantStatus(t, loginAPI(f.anon(), "province", testPassword), 200)
}

func TestClientAddressBehindProxy(t *testing.T) {
	cfg := testConfig()
	cfg.TrustProxy = true
	cfg.LoginMaxFailuresPerAddress = 1
	f := newFixtureWith(t, cfg)
	r := f.anon().req("POST", "/api/v1/login", map[string]string{"username": "applicantA", "password": "Wrong-Passw0rd"})
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 10.0.0.7")
	wantStatus(t, f.anon().send(r), 401)
	n, err := f.db.LoginFailures(t.Context(), "addr:10.0.0.7", start.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Errorf("failures of the proxy-reported address = %d, %v", n, err)
	}
}

func TestIdleTimeout(t *testing.T) {
	f := newFixture(t)
	w := loginAPI(f.anon(), "citygz", testPassword)
	wantStatus(t, w, 200)
	c := &client{f: f, cookie: sessionCookieOf(t, w).Value, csrf: decode(t, w)["csrf_token"].(string), addr: "192.0.2.1:1"}
	// Activity within 30 minutes keeps the session alive, past 30 minutes in total.
	for i := 0; i < 3; i++ {
		f.clock.Add(29 * time.Minute)
		wantStatus(t, c.do("GET", "/api/v1/me", nil), 200)
	}
	// 30 minutes and a bit of silence end it.
	f.clock.Add(31 * time.Minute)
	w = c.do("GET", "/api/v1/me", nil)
	wantStatus(t, w, 401)
	if e := apiErr(t, w); e["message"] != "登录已超时，请重新登录" {
		t.Errorf("message %v", e["message"])
	}
	// The session is gone from the database, not just refused.
	w = c.do("GET", "/login", nil)
	if w.Code != 200 || strings.Contains(w.Body.String(), "登录已超时") {
		t.Errorf("a deleted session still reports a timeout: %d", w.Code)
	}
}

func TestIdleTimeoutPageAndMaxAge(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 10 * time.Minute
	cfg.SessionMaxAge = time.Hour
	f := newFixtureWith(t, cfg)
	c := f.as("applicantA")
	f.clock.Add(11 * time.Minute)
	w := c.do("GET", "/", nil)
	if w.Code != 303 || w.Header().Get("Location") != "/login?expired=1" {
		t.Fatalf("idle page: %d %s", w.Code, w.Header().Get("Location"))
	}
	getPage(t, f.anon(), "/login?expired=1", 200, "登录已超时，请重新登录")
	// Absolute limit: active every 9 minutes, still out after an hour.
	c = f.as("applicantA")
	for i := 0; i < 6; i++ {
		f.clock.Add(9 * time.Minute)
		wantStatus(t, c.do("GET", "/api/v1/me", nil), 200)
	}
	f.clock.Add(7 * time.Minute)
	wantStatus(t, c.do("GET", "/api/v1/me", nil), 401)
}

func TestSessionTouchedAtMostOncePerMinute(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantA")
	id := hashOf(c.cookie)
	f.clock.Add(30 * time.Second)
	wantStatus(t, c.do("GET", "/api/v1/me", nil), 200)
	s, _, err := f.db.Session(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !s.LastSeen.Equal(start) {
		t.Errorf("touched after 30 s: last seen %v", s.LastSeen)
	}
	f.clock.Add(45 * time.Second)
	wantStatus(t, c.do("GET", "/api/v1/me", nil), 200)
	s, _, _ = f.db.Session(t.Context(), id)
	if !s.LastSeen.Equal(start.Add(75 * time.Second)) {
		t.Errorf("not touched after 75 s: last seen %v", s.LastSeen)
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantA")
	body := map[string]any{"base_version": f.appDraft.Version, "document": map[string]any{}}
	path := idPath("/api/v1/applications/%d/document", f.appDraft.ID)

	r := c.req("PUT", path, body)
	r.Header.Del("X-CSRF-Token")
	w := c.send(r)
	wantStatus(t, w, 403)
	if e := apiErr(t, w); !strings.Contains(e["message"].(string), "CSRF") {
		t.Errorf("no token: %v", e)
	}
	r = c.req("PUT", path, body)
	r.Header.Set("X-CSRF-Token", "forged")
	wantStatus(t, c.send(r), 403)

	// Another session's token does not do.
	other := f.as("applicantA")
	r = c.req("PUT", path, body)
	r.Header.Set("X-CSRF-Token", other.csrf)
	wantStatus(t, c.send(r), 403)

	// HTML forms carry the token as a field.
	r = c.req("POST", "/applications", url.Values{"csrf_token": {"forged"}})
	wantStatus(t, c.send(r), 403)
	wantStatus(t, c.do("POST", "/applications", url.Values{}), 303)

	// Cross-site requests are refused, with or without a session: the login form is
	// protected this way.
	r = f.anon().req("POST", "/api/v1/login", map[string]string{"username": "applicantA", "password": testPassword})
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, f.anon().send(r), 403)
	r = f.anon().req("POST", "/login", url.Values{"username": {"applicantA"}, "password": {testPassword}})
	r.Header.Set("Origin", "https://evil.example")
	wantStatus(t, f.anon().send(r), 403)
	r = f.anon().req("POST", "/login", url.Values{"username": {"applicantA"}, "password": {testPassword}})
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	wantStatus(t, f.anon().send(r), 303)

	// With the token all is well.
	wantStatus(t, c.do("PUT", path, body), 200)
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/login", "/api/v1/program", "/static/app.js"} {
		w := f.anon().do("GET", p, nil)
		wantStatus(t, w, 200)
		h := w.Header()
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", p, h)
		}
	}
}

func TestLogoutPage(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantA")
	w := c.do("POST", "/logout", url.Values{})
	if w.Code != 303 || w.Header().Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", w.Code, w.Header().Get("Location"))
	}
	if ck := sessionCookieOf(t, w); ck.MaxAge >= 0 {
		t.Errorf("cookie not cleared: %+v", ck)
	}
	wantStatus(t, c.do("GET", "/api/v1/me", nil), 401)
}

func TestLoginPageFlow(t *testing.T) {
	f := newFixture(t)
	w := f.anon().do("GET", "/applications/5", nil)
	if loc := w.Header().Get("Location"); w.Code != 303 || loc != "/login?next=%2Fapplications%2F5" {
		t.Fatalf("anonymous page: %d %q", w.Code, loc)
	}
	w = f.anon().do("POST", "/login", url.Values{"username": {"applicantA"}, "password": {testPassword}, "next": {"/applications/5"}})
	if w.Code != 303 || w.Header().Get("Location") != "/applications/5" {
		t.Errorf("login redirect: %d %q", w.Code, w.Header().Get("Location"))
	}
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		w = f.anon().do("POST", "/login", url.Values{"username": {"applicantA"}, "password": {testPassword}, "next": {next}})
		if w.Header().Get("Location") != "/" {
			t.Errorf("next %q redirected to %q", next, w.Header().Get("Location"))
		}
	}
	w = f.anon().do("POST", "/login", url.Values{"username": {"applicantA"}, "password": {"nope"}})
	if w.Code != 401 || !strings.Contains(w.Body.String(), "用户名或密码错误") {
		t.Errorf("bad login page: %d", w.Code)
	}
}

func TestMustChangePassword(t *testing.T) {
	f := newFixture(t)
	admin := f.as("applicantA")
	w := admin.do("POST", "/api/v1/organisation/members", map[string]any{"username": "newbie", "display_name": "新同事", "phone": "13500135000"})
	wantStatus(t, w, 201)
	pw := decode(t, w)["initial_password"].(string)

	w = loginAPI(f.anon(), "newbie", pw)
	wantStatus(t, w, 200)
	c := &client{f: f, cookie: sessionCookieOf(t, w).Value, csrf: decode(t, w)["csrf_token"].(string), addr: "192.0.2.1:1"}
	if u := decode(t, w)["user"].(map[string]any); u["must_change_password"] != true {
		t.Errorf("user %v", u)
	}
	w = c.do("GET", "/api/v1/applications", nil)
	wantStatus(t, w, 403)
	if e := apiErr(t, w); !strings.Contains(e["message"].(string), "初始密码") {
		t.Errorf("%v", e)
	}
	if w := c.do("GET", "/", nil); w.Code != 303 || w.Header().Get("Location") != "/password" {
		t.Errorf("page: %d %s", w.Code, w.Header().Get("Location"))
	}
	// A weak new password is refused naming the field.
	w = c.do("POST", "/api/v1/me/password", map[string]string{"old_password": pw, "new_password": "short"})
	wantStatus(t, w, 422)
	if e := apiErr(t, w); e["field"] != "new_password" || !strings.Contains(e["message"].(string), "新密码") {
		t.Errorf("%v", e)
	}
	w = c.do("POST", "/api/v1/me/password", map[string]string{"old_password": "wrong", "new_password": "Good-Passw0rd-1"})
	wantStatus(t, w, 422)
	if e := apiErr(t, w); e["field"] != "old_password" {
		t.Errorf("%v", e)
	}
	w = c.do("POST", "/api/v1/me/password", map[string]string{"old_password": pw, "new_password": "Good-Passw0rd-1"})
	wantStatus(t, w, 200)
	// The old session is gone; the response opened a new one.
	wantStatus(t, c.do("GET", "/api/v1/me", nil), 401)
	c2 := &client{f: f, cookie: sessionCookieOf(t, w).Value, csrf: decode(t, w)["csrf_token"].(string), addr: "192.0.2.1:1"}
	wantStatus(t, c2.do("GET", "/api/v1/applications", nil), 200)
	wantStatus(t, loginAPI(f.anon(), "newbie", "Good-Passw0rd-1"), 200)
}
