package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"biopilot"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/store"
	"biopilot/store/storetest"
)

var (
	cnOnce sync.Once
	cnProg *program.Program
	cnEng  *rules.Engine
	cnErr  error
)

// nationalProgram returns the national program cn-2025 and its engine, compiled once.
func nationalProgram(t *testing.T) (*program.Program, *rules.Engine) {
	t.Helper()
	cnOnce.Do(func() {
		if cnProg, cnErr = program.Named("cn-2025"); cnErr == nil {
			cnEng, cnErr = rules.Compile(cnProg)
		}
	})
	if cnErr != nil {
		t.Fatal(cnErr)
	}
	return cnProg, cnEng
}

// newNationalFixture is a server over the national program with a submitted
// application in each province and the authorities of both:
//
//	orgA in 南京 (320100): applicantA; appSub submitted
//	orgB in 广州 (440100): applicantB; its application submitted (appGD)
//	njmiit, njdrc (南京), jsmiit, jsdrc (江苏省), gzmiit (广州), gdmiit (广东省),
//	ministry, admin
func newNationalFixture(t *testing.T) (*fixture, *biopilot.Application) {
	t.Helper()
	db := storetest.SQLite(t)
	clock := biopilot.NewFakeClock(start)
	db.SetClock(clock)
	prog, eng := nationalProgram(t)
	logs := new(bytes.Buffer)
	srv := NewServer(testConfig(), Deps{DB: db, Program: prog, Rules: eng, Clock: clock,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	f := &fixture{t: t, db: db, srv: srv, h: srv.Handler(), clock: clock, logs: logs, prog: prog,
		users: map[string]*biopilot.User{}}
	f.orgA = f.org("南京某生物医药有限公司", makeUSCC(t, "91320113MA1AAAAA1"), "320100")
	f.orgB = f.org("广州某生物科技有限公司", makeUSCC(t, "91440101MA5AAAAA1"), "440100")
	f.user("applicantA", biopilot.RoleApplicant, f.orgA.ID, "", true)
	f.user("applicantB", biopilot.RoleApplicant, f.orgB.ID, "", true)
	for _, u := range []struct {
		name string
		role biopilot.Role
		jur  string
	}{
		{"njmiit", biopilot.RoleCityMIIT, "320100"}, {"njdrc", biopilot.RoleCityDRC, "320100"},
		{"jsmiit", biopilot.RoleProvMIIT, "320000"}, {"jsdrc", biopilot.RoleProvDRC, "320000"},
		{"gzmiit", biopilot.RoleCityMIIT, "440100"}, {"gdmiit", biopilot.RoleProvMIIT, "440000"},
		{"ministry", biopilot.RoleMinistry, biopilot.CountryCode}, {"admin", biopilot.RoleAdmin, ""},
	} {
		f.user(u.name, u.role, 0, u.jur, false)
	}
	submit := func(org *biopilot.Organisation, name string) *biopilot.Application {
		a := f.app(org, fmt.Sprintf(`{"platform":{"name":%q},"domains":["biopharma"]}`, name))
		a, err := db.Transition(context.Background(), store.TransitionRequest{ApplicationID: a.ID,
			From: biopilot.StateDraft, To: biopilot.StateSubmitted, Snapshot: a.Document, SnapshotHash: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.appSub = submit(f.orgA, "南京抗体平台")
	return f, submit(f.orgB, "广州平台")
}

// TestNationalProgramReview: a Jiangsu application goes from its city through its
// province to the ministry under the national program, with Jiangsu's authorities
// named in the seals and the letter, Guangdong's province neither seeing nor told of
// it, and its number carrying Jiangsu's abbreviation.
func TestNationalProgramReview(t *testing.T) {
	f, appGD := newNationalFixture(t)
	rf := &reviewFixture{fixture: f}
	ctx := context.Background()
	id := f.appSub.ID

	if code, m := rf.act("njmiit", id, "city_propose", map[string]any{"checks": goodChecks, "opinion": "同意推荐"}); code != 200 {
		t.Fatalf("propose: %d %v", code, m)
	}
	if code, _ := rf.act("gzmiit", id, "city_cosign", nil); code != 404 {
		t.Fatalf("广州 acted on a 南京 application: %d", code)
	}
	if code, m := rf.act("njdrc", id, "city_cosign", nil); code != 200 {
		t.Fatalf("cosign: %d %v", code, m)
	}
	miit, drc := f.as("njmiit"), f.as("njdrc")
	wantStatus(t, miit.do("PUT", "/api/v1/recommendation", map[string]any{"application_ids": []int64{id},
		"opinion": "经审核，同意推荐。", "number": "宁工信函〔2025〕1号"}), 200)
	wantStatus(t, miit.do("POST", "/api/v1/recommendation/propose", map[string]any{}), 200)
	wantStatus(t, drc.do("POST", "/api/v1/recommendation/cosign", map[string]any{}), 200)
	wantStatus(t, miit.do("POST", "/api/v1/recommendation/send", map[string]any{}), 200)
	if rf.state(id) != biopilot.StateAtProvince {
		t.Fatalf("after send: %s", rf.state(id))
	}
	recs, err := f.db.Recommendations(ctx, f.prog.ID, store.LevelCity, "320100")
	if err != nil {
		t.Fatal(err)
	}
	var sent *store.Recommendation
	for _, r := range recs {
		if r.State == store.RecSent {
			sent = r
		}
	}
	if sent == nil {
		t.Fatalf("南京 sent no letter: %v", recs)
	}
	l, _, err := f.srv.Letter(ctx, sent)
	if err != nil {
		t.Fatal(err)
	}
	if l.Addressee != "江苏省工业和信息化厅" || len(l.CC) != 1 || l.CC[0] != "江苏省发展和改革委员会" ||
		l.Authorities[0].Holder != "南京市工业和信息化局" || l.Authorities[1].Holder != "南京市发展和改革局" {
		t.Errorf("letter to %q cc %v by %+v", l.Addressee, l.CC, l.Authorities)
	}

	// Only Jiangsu's province sees it and was told of it.
	if code, _ := rf.act("gdmiit", id, "prov_propose", map[string]any{"checks": goodChecks, "opinion": "同意"}); code != 404 {
		t.Fatalf("广东省 acted on a 江苏 application: %d", code)
	}
	for who, want := range map[string]bool{"jsmiit": true, "gdmiit": false} {
		w := f.as(who).do("GET", "/api/v1/applications?state=at_province", nil)
		wantStatus(t, w, 200)
		if got := strings.Contains(w.Body.String(), "南京抗体平台"); got != want {
			t.Errorf("%s lists the 南京 application: %v, want %v", who, got, want)
		}
		if n, _ := f.db.UnreadCount(ctx, f.users[who].ID); (n > 0) != want {
			t.Errorf("%s has %d unread notifications", who, n)
		}
	}
	w := f.as("gdmiit").do("GET", "/api/v1/applications?city=320100", nil)
	if e := apiErr(t, w); w.Code != 422 || e["field"] != "city" {
		t.Errorf("广东省 filtering by 南京: %d %v", w.Code, e)
	}
	if w := f.as("gdmiit").do("GET", "/review", nil); w.Code != 200 || strings.Contains(w.Body.String(), "南京市") || !strings.Contains(w.Body.String(), "广州市") {
		t.Errorf("广东省's workbench offers other provinces' cities (status %d)", w.Code)
	}

	if code, m := rf.act("jsmiit", id, "prov_propose", map[string]any{"checks": goodChecks, "opinion": "同意推荐至工业和信息化部。"}); code != 200 {
		t.Fatalf("prov_propose: %d %v", code, m)
	}
	if code, m := rf.act("jsdrc", id, "prov_cosign", nil); code != 200 || rf.state(id) != biopilot.StateRecommendedToMinistry {
		t.Fatalf("prov_cosign: %d %v", code, m)
	}
	op, err := f.srv.ProvinceOpinion(ctx, &biopilot.Application{ID: id})
	if err != nil || op == nil || len(op.Signatures) != 2 {
		t.Fatalf("province opinion %+v %v", op, err)
	}
	if op.Signatures[0].Holder != "江苏省工业和信息化厅" || op.Signatures[1].Holder != "江苏省发展和改革委员会" {
		t.Errorf("province seals by %q and %q", op.Signatures[0].Holder, op.Signatures[1].Holder)
	}
	app, _ := f.db.Application(ctx, id)
	if n := f.srv.appNumber(app); !strings.HasPrefix(n, "JS2025-320100-") {
		t.Errorf("number %s", n)
	}
	if n := f.srv.appNumber(appGD); !strings.HasPrefix(n, "GD2025-440100-") {
		t.Errorf("number %s", n)
	}
	// The ministry sees both provinces' applications.
	w = f.as("ministry").do("GET", "/api/v1/applications?state=recommended_to_ministry", nil)
	wantStatus(t, w, 200)
	if !strings.Contains(w.Body.String(), "南京抗体平台") {
		t.Errorf("the ministry does not list the recommended application: %s", w.Body.String())
	}
}

// TestNationalAccounts: a province's account belongs to one of the tree's
// provinces; a city's to any of their cities.
func TestNationalAccounts(t *testing.T) {
	f, _ := newNationalFixture(t)
	admin := f.as("admin")
	for _, tc := range []struct {
		role, jur string
		status    int
	}{
		{"prov_miit", "320000", 201},
		{"prov_drc", "440000", 201},
		{"prov_miit", "", 422}, // two provinces: say which
		{"prov_miit", "320100", 422},
		{"prov_miit", "110000", 422},
		{"city_miit", "321300", 201},
		{"city_drc", "320000", 422},
		{"ministry", "", 201},
	} {
		name := "u" + strings.ReplaceAll(tc.role, "_", "") + tc.jur
		w := admin.do("POST", "/api/v1/admin/users", map[string]any{"username": name, "display_name": "账号",
			"phone": "13600136000", "role": tc.role, "jurisdiction": tc.jur})
		if w.Code != tc.status {
			t.Errorf("%s %q: %d %s", tc.role, tc.jur, w.Code, w.Body.String())
			continue
		}
		if tc.status == 422 {
			if e := apiErr(t, w); e["field"] != "jurisdiction" || tc.role == "prov_miit" && !strings.Contains(fmt.Sprint(e["message"]), "江苏省") {
				t.Errorf("%s %q: %v", tc.role, tc.jur, e)
			}
		}
	}
	// A Jiangsu organisation registers in 苏州; a city outside the tree is refused
	// with a message naming both provinces.
	reg := func(city, username string, n int) *httptest.ResponseRecorder {
		return f.anon().do("POST", "/api/v1/register", map[string]any{
			"organisation": map[string]any{"name": fmt.Sprintf("苏州某合成生物有限公司%d", n),
				"uscc": makeUSCC(t, fmt.Sprintf("91320505MA1CCCC%02d", n)), "kind": "private", "city_code": city},
			"user": map[string]any{"username": username, "display_name": "吴六", "email": username + "@example.cn",
				"phone": "13912345678", "password": "Sz-Synbio-2025"}})
	}
	w := reg("320500", "wuliu", 1)
	wantStatus(t, w, 201)
	if o := decode(t, w)["organisation"].(map[string]any); o["city_name"] != "苏州市" {
		t.Errorf("registered organisation %v", o)
	}
	w = reg("110100", "wuqi", 2)
	wantStatus(t, w, 422)
	if msg := fmt.Sprint(apiErr(t, w)["fields"]); !strings.Contains(msg, "广东省 21 个、江苏省 13 个") {
		t.Errorf("unknown city: %s", msg)
	}
	// Registration offers the cities of both provinces.
	w = f.anon().do("GET", "/register", nil)
	wantStatus(t, w, 200)
	for _, city := range []string{"广州市", "云浮市", "南京市", "宿迁市", `<optgroup label="江苏省">`} {
		if !strings.Contains(w.Body.String(), city) {
			t.Errorf("the registration page does not offer %s", city)
		}
	}
}
