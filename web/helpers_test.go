package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
	"biopilot/auth"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/store"
	"biopilot/store/storetest"
	"biopilot/uscc"
)

// testParams are cheap argon2id costs: tests must be fast.
var testParams = auth.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testPassword is every fixture user's password.
const testPassword = "Test-Passw0rd!"

// start is the fixture's time: 2025-06-20 10:00 Beijing time, before the deadline.
var start = time.Date(2025, 6, 20, 10, 0, 0, 0, biopilot.Beijing)

// fixture is a server over a real store with two organisations and their people.
//
//	orgA in 广州 (440100): applicantA (org admin), colleagueA
//	orgB in 佛山 (440600): applicantB (org admin), victim
//	cityGZ, cityFS (city_miit), province (prov_miit), admin, secadmin, auditor
//	appDraft: orgA's draft; appSub: orgA's submitted application
type fixture struct {
	t        *testing.T
	db       *store.DB
	srv      *Server
	h        http.Handler
	clock    *biopilot.FakeClock
	logs     *bytes.Buffer
	prog     *program.Program
	orgA     *biopilot.Organisation
	orgB     *biopilot.Organisation
	users    map[string]*biopilot.User
	appDraft *biopilot.Application
	appSub   *biopilot.Application
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.PasswordParams = testParams
	return cfg
}

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, testConfig()) }

func newFixtureWith(t *testing.T, cfg Config) *fixture {
	t.Helper()
	db := storetest.SQLite(t)
	clock := biopilot.NewFakeClock(start)
	db.SetClock(clock)
	prog, eng := testProgram(t)
	logs := new(bytes.Buffer)
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := NewServer(cfg, Deps{DB: db, Program: prog, Rules: eng, Clock: clock, Logger: logger})
	f := &fixture{t: t, db: db, srv: srv, h: srv.Handler(), clock: clock, logs: logs, prog: prog,
		users: map[string]*biopilot.User{}}
	ctx := context.Background()
	f.orgA = f.org("广州某生物科技有限公司", makeUSCC(t, "91440101MA5AAAAA1"), "440100")
	f.orgB = f.org("佛山某酶制剂有限公司", makeUSCC(t, "91440604MA5BBBBB2"), "440600")
	f.user("applicantA", biopilot.RoleApplicant, f.orgA.ID, "", true)
	f.user("colleagueA", biopilot.RoleApplicant, f.orgA.ID, "", false)
	f.user("applicantB", biopilot.RoleApplicant, f.orgB.ID, "", true)
	f.user("victim", biopilot.RoleApplicant, f.orgB.ID, "", false)
	f.user("citygz", biopilot.RoleCityMIIT, 0, "440100", false)
	f.user("cityfs", biopilot.RoleCityMIIT, 0, "440600", false)
	f.user("province", biopilot.RoleProvMIIT, 0, "440000", false)
	f.user("admin", biopilot.RoleAdmin, 0, "", false)
	f.user("secadmin", biopilot.RoleSecurityAdmin, 0, "", false)
	f.user("auditor", biopilot.RoleAuditor, 0, "", false)
	f.appDraft = f.app(f.orgA, `{"platform":{"name":"草稿平台"}}`)
	f.appSub = f.app(f.orgA, `{"platform":{"name":"已提交平台"},"domains":["enzymes"]}`)
	var err2 error
	f.appSub, err2 = db.Transition(ctx, store.TransitionRequest{ApplicationID: f.appSub.ID,
		From: biopilot.StateDraft, To: biopilot.StateSubmitted,
		Transition: &biopilot.Transition{ActorID: f.users["applicantA"].ID, ActorRole: biopilot.RoleApplicant, ActorName: "applicantA"},
		Snapshot:   f.appSub.Document, SnapshotHash: "test"})
	if err2 != nil {
		t.Fatal(err2)
	}
	return f
}

var (
	progOnce sync.Once
	progVal  *program.Program
	engVal   *rules.Engine
	engErr   error
)

// testProgram returns the default program and its engine, compiled once for all
// tests (compiling the rules takes ~0.1 s; the engine is safe for concurrent use).
func testProgram(t *testing.T) (*program.Program, *rules.Engine) {
	t.Helper()
	progOnce.Do(func() {
		progVal = program.MustDefault()
		engVal, engErr = rules.Compile(progVal)
	})
	if engErr != nil {
		t.Fatal(engErr)
	}
	return progVal, engVal
}

// makeUSCC completes 17 characters with their GB 32100-2015 check character.
func makeUSCC(t testing.TB, first17 string) string {
	t.Helper()
	c, err := uscc.CheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}

func (f *fixture) org(name, code, city string) *biopilot.Organisation {
	f.t.Helper()
	o := &biopilot.Organisation{Name: name, USCC: code, Kind: biopilot.KindPrivate, CityCode: city}
	if err := f.db.CreateOrganisation(context.Background(), o); err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) user(name string, role biopilot.Role, orgID int64, jur string, orgAdmin bool) *biopilot.User {
	f.t.Helper()
	h, err := auth.HashPassword(testPassword, testParams)
	if err != nil {
		f.t.Fatal(err)
	}
	u := &biopilot.User{Username: name, DisplayName: "测试" + name, Phone: "13800138000",
		Role: role, OrgID: orgID, Jurisdiction: jur, OrgAdmin: orgAdmin, PasswordHash: h}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	f.users[name] = u
	return u
}

func (f *fixture) app(org *biopilot.Organisation, doc string) *biopilot.Application {
	f.t.Helper()
	d, err := f.prog.Form.DecodeDocument([]byte(doc))
	if err != nil {
		f.t.Fatal(err)
	}
	raw, _ := json.Marshal(d)
	platform, domains, verdict := f.srv.derived(d)
	a := &biopilot.Application{ProgramID: f.prog.ID, OrgID: org.ID, CityCode: org.CityCode,
		Document: raw, PlatformName: platform, Domains: domains, Verdict: verdict,
		CreatedBy: f.users["applicantA"].ID}
	if err := f.db.CreateApplication(context.Background(), a); err != nil {
		f.t.Fatal(err)
	}
	return a
}

// client is a caller: anonymous (no cookie) or logged in with a session.
type client struct {
	f      *fixture
	name   string
	cookie string
	csrf   string
	addr   string
}

func (f *fixture) anon() *client { return &client{f: f, name: "anonymous", addr: "192.0.2.1:1234"} }

// as logs a fixture user in by opening a session directly in the store.
func (f *fixture) as(name string) *client {
	f.t.Helper()
	u := f.users[name]
	if u == nil {
		f.t.Fatalf("no fixture user %q", name)
	}
	sess, token, err := f.srv.newSession(context.Background(), u, "192.0.2.1", "test")
	if err != nil {
		f.t.Fatal(err)
	}
	return &client{f: f, name: name, cookie: token, csrf: sess.CSRFToken, addr: "192.0.2.1:1234"}
}

// req builds a request of the client: JSON body for any value but string (a raw
// body) and url.Values (a form); the CSRF token goes in the header for JSON and in
// the form for forms.
func (c *client) req(method, target string, body any) *http.Request {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	case url.Values:
		if c.csrf != "" && b.Get("csrf_token") == "" {
			b = cloneValues(b)
			b.Set("csrf_token", c.csrf)
		}
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.f.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	r := httptest.NewRequest(method, target, rd)
	r.RemoteAddr = c.addr
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if c.cookie != "" {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
		if ctype != "application/x-www-form-urlencoded" {
			r.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	return r
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (c *client) do(method, target string, body any) *httptest.ResponseRecorder {
	return c.send(c.req(method, target, body))
}

func (c *client) send(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	c.f.h.ServeHTTP(w, r)
	return w
}

// decode decodes a JSON response.
func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not JSON (%d): %v\n%s", w.Code, err, w.Body.String())
	}
	return m
}

// apiErr returns the error object of a JSON error response.
func apiErr(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	m := decode(t, w)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", w.Body.String())
	}
	return e
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, want int) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("status %d, want %d; body: %s", w.Code, want, w.Body.String())
	}
}

// example reads the spec's eligible example document.
func example(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../shared/spec/examples/eligible-enzymes.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func idPath(format string, id int64) string { return fmt.Sprintf(format, id) }

var tlsState = tls.ConnectionState{HandshakeComplete: true}

func hashOf(token string) string { return auth.HashToken(token) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func itoa64(n int64) string { return fmt.Sprint(n) }
