package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProgram runs the real program (run) with args in the background and returns
// the base URL it serves on, and its stdout. It stops the program at cleanup and
// checks it shut down cleanly.
func startProgram(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	getenv := func(k string) string { return env[k] }
	go func() { done <- run(ctx, args, getenv, stdout, stderr) }()
	re := regexp.MustCompile(`biopilot 已启动：(http://[^/\s]+)/`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			t.Cleanup(func() {
				cancel()
				select {
				case code := <-done:
					if code != 0 {
						t.Errorf("program exited %d on shutdown; stderr:\n%s", code, stderr.String())
					}
				case <-time.After(30 * time.Second):
					t.Error("program did not shut down")
				}
			})
			return m[1], stdout
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("program exited %d before serving\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("program did not start\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func getBody(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeHealth(t *testing.T) {
	dir := t.TempDir()
	base, _ := startProgram(t, map[string]string{"BIOPILOT_DATA_DIR": dir}, "serve", "--addr", "127.0.0.1:0", "--log-level", "warn")
	c := newClient(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := getBody(t, c, base+path); code != 200 {
			t.Errorf("%s = %d", path, code)
		}
	}
	if code, body := getBody(t, c, base+"/api/v1/applications"); code != 401 || !strings.Contains(body, `"code"`) {
		t.Errorf("anonymous list = %d %s", code, body)
	}
}

// TestDemoAccountsLogIn starts the demo as a new user would and logs in every printed
// account through the API and through the login page.
func TestDemoAccountsLogIn(t *testing.T) {
	base, stdout := startProgram(t, nil, "demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	out := stdout.String()
	pw := regexp.MustCompile(`密码均为 (\S+)）`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("no password printed:\n%s", out)
	}
	users := regexp.MustCompile(`(?m)^  ([a-z][a-z0-9-]+)\s+\S`).FindAllStringSubmatch(out, -1)
	roles := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		for _, r := range []string{"申报单位", "地市工业和信息化局", "地市发展改革局（委）", "省工业和信息化厅", "省发展改革委", "系统管理员", "安全管理员", "审计管理员"} {
			if strings.Contains(line, r) {
				roles[r] = true
			}
		}
	}
	if len(users) < 12 || len(roles) < 8 {
		t.Fatalf("demo printed %d accounts and roles %v:\n%s", len(users), roles, out)
	}
	for _, u := range users {
		name := u[1]
		t.Run(name, func(t *testing.T) {
			c := newClient(t)
			body, _ := json.Marshal(map[string]string{"username": name, "password": pw[1]})
			resp, err := c.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("API login %s = %d", name, resp.StatusCode)
			}
			code, me := getBody(t, c, base+"/api/v1/me")
			if code != 200 || !strings.Contains(me, name) {
				t.Errorf("me = %d %s", code, me)
			}
			loginPage(t, base, name, pw[1])
		})
	}
}

// loginPage logs in through the HTML form: GET /login, POST the form with the CSRF
// token the page carries, and land on the home page.
func loginPage(t *testing.T, base, user, password string) {
	t.Helper()
	c := newClient(t)
	code, page := getBody(t, c, base+"/login")
	if code != 200 || !strings.Contains(page, "登录") {
		t.Fatalf("GET /login = %d", code)
	}
	form := url.Values{"username": {user}, "password": {password}}
	if m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page); m != nil {
		form.Set("csrf_token", m[1])
	}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("POST /login = %d", resp.StatusCode)
	}
	code, home := getBody(t, c, base+"/")
	if code != 200 || !strings.Contains(home, "退出") {
		t.Fatalf("home after login = %d:\n%.500s", code, home)
	}
}

func TestHelpAndUnknown(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"help"}, func(string) string { return "" }, &out, &errb); code != 0 || !strings.Contains(out.String(), "serve") {
		t.Errorf("help = %d %q", code, out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"nope"}, func(string) string { return "" }, &out, &errb); code != 2 || !strings.Contains(errb.String(), "未知的命令") {
		t.Errorf("unknown = %d %q", code, errb.String())
	}
	for _, sub := range []string{"serve", "demo", "migrate", "check", "render", "verify", "user", "audit", "backup", "restore", "bench"} {
		out.Reset()
		errb.Reset()
		if code := run(context.Background(), []string{sub, "-h"}, func(string) string { return "" }, &out, &errb); code != 0 || !strings.Contains(errb.String(), "用法") {
			t.Errorf("%s -h = %d %q", sub, code, errb.String())
		}
	}
}
