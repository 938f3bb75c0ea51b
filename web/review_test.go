package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
	"biopilot/seal"
	"biopilot/store"
)

const conflct = 409

// reviewFixture adds the second authority of each level: 广州's 发展改革局 and the
// province's 发展改革委, and a 佛山 application submitted.
type reviewFixture struct {
	*fixture
	appFS *biopilot.Application
}

func newReviewFixture(t *testing.T) *reviewFixture {
	t.Helper()
	f := newFixture(t)
	f.user("drcgz", biopilot.RoleCityDRC, 0, "440100", false)
	f.user("drcfs", biopilot.RoleCityDRC, 0, "440600", false)
	f.user("provdrc", biopilot.RoleProvDRC, 0, "440000", false)
	rf := &reviewFixture{fixture: f}
	rf.appFS = f.app(f.orgB, `{"platform":{"name":"佛山平台"}}`)
	var err error
	rf.appFS, err = f.db.Transition(context.Background(), store.TransitionRequest{ApplicationID: rf.appFS.ID,
		From: biopilot.StateDraft, To: biopilot.StateSubmitted, Snapshot: rf.appFS.Document, SnapshotHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return rf
}

// act takes a review action through the API and returns the response.
func (f *reviewFixture) act(who string, id int64, action string, body map[string]any) (int, map[string]any) {
	f.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	w := f.as(who).do("POST", fmt.Sprintf("/api/v1/applications/%d/actions/%s", id, action), body)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

func (f *reviewFixture) state(id int64) biopilot.State {
	f.t.Helper()
	a, err := f.db.Application(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.State
}

var goodChecks = map[string]any{"authenticity": true, "completeness": true, "validity": true, "notes": "材料齐全"}

// TestReviewFullPass walks an application through the API: city return with
// field reasons, resubmission, a joint city recommendation, the letter sealed by
// both and sent, the province's joint recommendation; every seal verifies and the
// audit chain is whole.
func TestReviewFullPass(t *testing.T) {
	f := newReviewFixture(t)
	id := f.appSub.ID

	// Return with reasons attached to a field and a section.
	code, m := f.act("citygz", id, "city_return", map[string]any{"reason": "请补充材料",
		"field_reasons": []map[string]string{{"field": "platform.name", "reason": "名称与营业执照不一致"}, {"field": "section:no-such", "reason": "x"}}})
	if code != 422 || !strings.Contains(fmt.Sprint(m), "没有") {
		t.Fatalf("unknown field accepted: %d %v", code, m)
	}
	code, m = f.act("citygz", id, "city_return", map[string]any{"reason": "请补充材料",
		"field_reasons": []map[string]string{{"field": "platform.name", "reason": "名称与营业执照不一致"}}})
	if code != 200 || f.state(id) != biopilot.StateReturned {
		t.Fatalf("return: %d %v", code, m)
	}
	reason, frs, err := f.srv.ReturnReasons(context.Background(), id)
	if err != nil || reason != "请补充材料" || len(frs) != 1 || frs[0].Field != "platform.name" || frs[0].Label == "" {
		t.Fatalf("return reasons %q %+v %v", reason, frs, err)
	}
	// The applicant resubmits (as its portal does, through transition).
	app, _ := f.db.Application(context.Background(), id)
	hash, _ := seal.CanonicalHash(map[string]any{"document": json.RawMessage(app.Document), "evidence": []any{}})
	if _, err := f.srv.transition(context.Background(), f.users["applicantA"], app, TransitionInput{Action: "submit",
		Snapshot: app.Document, SnapshotHash: hash, BaseVersion: app.Version}); err != nil {
		t.Fatal(err)
	}

	// A proposal needs the three checks and an opinion.
	code, m = f.act("citygz", id, "city_propose", map[string]any{"checks": map[string]any{"authenticity": true}, "opinion": ""})
	if code != 422 {
		t.Fatalf("propose without checks: %d %v", code, m)
	}
	if e := m["error"].(map[string]any); !strings.Contains(fmt.Sprint(e["fields"]), "完整性") || !strings.Contains(fmt.Sprint(e["fields"]), "推荐意见") {
		t.Errorf("field errors do not name the checks and the opinion: %v", e)
	}
	// city_drc cannot propose for city_miit, nor city_miit co-sign for city_drc.
	if code, _ = f.act("drcgz", id, "city_propose", map[string]any{"checks": goodChecks, "opinion": "同意"}); code != 403 {
		t.Fatalf("drc proposed: %d", code)
	}
	if code, m = f.act("citygz", id, "city_propose", map[string]any{"checks": goodChecks, "opinion": "同意推荐"}); code != 200 {
		t.Fatalf("propose: %d %v", code, m)
	}
	if code, _ = f.act("citygz", id, "city_cosign", nil); code != 403 {
		t.Fatalf("miit co-signed: %d", code)
	}
	// Foshan's DRC does not see it.
	if code, _ = f.act("drcfs", id, "city_cosign", nil); code != 404 {
		t.Fatalf("another city's drc: %d", code)
	}
	if code, m = f.act("drcgz", id, "city_cosign", nil); code != 200 || f.state(id) != biopilot.StateCityRecommended {
		t.Fatalf("cosign: %d %v", code, m)
	}

	// The letter: city_miit orders and seals, city_drc co-seals, city_miit sends.
	miit, drc := f.as("citygz"), f.as("drcgz")
	w := drc.do("PUT", "/api/v1/recommendation", map[string]any{"application_ids": []int64{id}})
	wantStatus(t, w, 403)
	w = miit.do("PUT", "/api/v1/recommendation", map[string]any{"application_ids": []int64{f.appFS.ID}, "opinion": "x"})
	wantStatus(t, w, 422) // 佛山's application cannot be listed by 广州
	w = miit.do("PUT", "/api/v1/recommendation", map[string]any{"application_ids": []int64{id}, "opinion": "经审核，同意推荐。", "number": "穗工信函〔2025〕1号"})
	wantStatus(t, w, 200)
	wantStatus(t, drc.do("POST", "/api/v1/recommendation/send", map[string]any{}), 403)
	wantStatus(t, miit.do("POST", "/api/v1/recommendation/send", map[string]any{}), 409) // not sealed
	wantStatus(t, miit.do("POST", "/api/v1/recommendation/propose", map[string]any{}), 200)
	wantStatus(t, miit.do("POST", "/api/v1/recommendation/cosign", map[string]any{}), 403)
	wantStatus(t, drc.do("POST", "/api/v1/recommendation/cosign", map[string]any{}), 200)
	w = miit.do("POST", "/api/v1/recommendation/send", map[string]any{})
	wantStatus(t, w, 200)
	if f.state(id) != biopilot.StateAtProvince {
		t.Fatalf("after send: %s", f.state(id))
	}
	// The city can no longer act on it.
	if code, _ = f.act("citygz", id, "city_revoke", map[string]any{"reason": "x"}); code != 409 {
		t.Fatalf("city acted after sending: %d", code)
	}

	// The province returns it to the city, then (after the city resends) recommends.
	if code, _ = f.act("province", id, "prov_return", map[string]any{"reason": "请地市复核"}); code != 200 || f.state(id) != biopilot.StateCityRecommended {
		t.Fatalf("prov_return: %d", code)
	}
	wantStatus(t, miit.do("PUT", "/api/v1/recommendation", map[string]any{"application_ids": []int64{id}, "opinion": "已复核，同意推荐。"}), 200)
	wantStatus(t, miit.do("POST", "/api/v1/recommendation/propose", map[string]any{}), 200)
	wantStatus(t, drc.do("POST", "/api/v1/recommendation/cosign", map[string]any{}), 200)
	wantStatus(t, miit.do("POST", "/api/v1/recommendation/send", map[string]any{}), 200)
	if code, m = f.act("province", id, "prov_propose", map[string]any{"checks": goodChecks, "opinion": "同意推荐至工业和信息化部。"}); code != 200 {
		t.Fatalf("prov_propose: %d %v", code, m)
	}
	if code, _ = f.act("province", id, "prov_cosign", nil); code != 403 {
		t.Fatalf("prov_miit co-signed for prov_drc: %d", code)
	}
	if code, m = f.act("provdrc", id, "prov_cosign", nil); code != 200 || f.state(id) != biopilot.StateRecommendedToMinistry {
		t.Fatalf("prov_cosign: %d %v", code, m)
	}
	op, err := f.srv.ProvinceOpinion(context.Background(), &biopilot.Application{ID: id})
	if err != nil || op == nil || op.Opinion != "同意推荐至工业和信息化部。" || len(op.Signatures) != 2 {
		t.Fatalf("province opinion %+v %v", op, err)
	}

	// Every sealed transition verifies against what it stored; co-signatures follow
	// the proposal's.
	ts, err := f.db.Transitions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	sealed := 0
	var prev *seal.Signature
	for _, tr := range ts {
		if len(tr.Data) == 0 {
			continue // the fixture's own submission
		}
		p, sig, err := SignedPayload(tr.Data)
		if err != nil {
			t.Fatal(err)
		}
		if letter, ok := p["letter"]; ok {
			last, ok, msg := verifyLetterSeals(letter, p["letter_signatures"])
			if !ok || last == nil || last.Role != string(biopilot.RoleCityMIIT) {
				t.Errorf("send transition %d: letter seals: %s", tr.ID, msg)
			}
			sealed++
			if _, bad, _ := verifyLetterSeals(map[string]any{"opinion": "篡改"}, p["letter_signatures"]); bad {
				t.Errorf("a changed letter still verifies")
			}
			continue
		}
		if sig == nil {
			continue
		}
		sealed++
		if err := seal.VerifyPayload(sig, p); err != nil {
			t.Errorf("transition %d (%s→%s): %v", tr.ID, tr.From, tr.To, err)
		}
		if tr.To == biopilot.StateCityRecommended && tr.From == biopilot.StateCityProposed && sig.Previous != prev.Digest {
			t.Errorf("co-signature does not follow the proposal")
		}
		if !strings.Contains(sig.Holder, "局") && !strings.Contains(sig.Holder, "厅") && !strings.Contains(sig.Holder, "委") && tr.ActorRole != biopilot.RoleApplicant {
			t.Errorf("holder %q", sig.Holder)
		}
		prev = sig
		// Tampering with the decision breaks the seal.
		p["opinion"] = "篡改"
		if seal.VerifyPayload(sig, p) == nil {
			t.Errorf("transition %d: a changed payload still verifies", tr.ID)
		}
	}
	if sealed < 9 {
		t.Errorf("only %d sealed transitions", sealed)
	}
	// The review view shows every seal valid.
	w = f.as("province").do("GET", idPath("/api/v1/applications/%d/review", id), nil)
	wantStatus(t, w, 200)
	for _, h := range decode(t, w)["history"].([]any) {
		if h := h.(map[string]any); h["sealed"] == true && h["seal_valid"] != true {
			t.Errorf("history item %v: seal invalid", h)
		}
	}

	// The audit trail holds every transition and is whole.
	recs, total, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Object: fmt.Sprintf("application:%d", id), Action: "transition:", Limit: 100})
	if err != nil || total < 10 {
		t.Fatalf("audit: %d records, %v", total, err)
	}
	if recs[0].Actor == "" || recs[0].Role == "" || recs[0].Address == "" {
		t.Errorf("audit record lacks actor, role or address: %+v", recs[0])
	}
	if n, err := f.db.VerifyAudit(context.Background()); err != nil || n == 0 {
		t.Fatalf("audit chain: %d %v", n, err)
	}
	// Notifications: the applicant was told of the return and of the recommendation.
	ns, err := f.db.Notifications(context.Background(), f.users["applicantA"].ID, false, 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, n := range ns {
		kinds[n.Kind]++
	}
	if kinds[kindReturned] == 0 || kinds[kindRecommended] == 0 || kinds[kindSentToProvince] == 0 {
		t.Errorf("applicant notifications %v", kinds)
	}
	if n, _ := f.db.UnreadCount(context.Background(), f.users["drcgz"].ID); n == 0 {
		t.Error("city_drc was not asked to co-sign")
	}
}

// TestReviewRace: two reviewers act on one application at once; exactly one
// wins, the other gets 409 with a Chinese message.
func TestReviewRace(t *testing.T) {
	f := newReviewFixture(t)
	f.user("citygz2", biopilot.RoleCityMIIT, 0, "440100", false)
	a, b := f.as("citygz"), f.as("citygz2")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	msgs := make([]string, 2)
	for i, c := range []*client{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"reason": "材料不全"}
			action := "city_return"
			if i == 1 {
				action, body = "city_reject", map[string]any{"reason": "不符合条件"}
			}
			w := c.do("POST", idPath("/api/v1/applications/%d/actions/", f.appSub.ID)+action, body)
			codes[i] = w.Code
			if w.Code != 200 {
				msgs[i] = fmt.Sprint(apiErr(t, w)["message"])
			}
		}()
	}
	wg.Wait()
	wins, losses := 0, 0
	for i, c := range codes {
		switch c {
		case 200:
			wins++
		case 409:
			losses++
			if !hasHan(msgs[i]) || !strings.Contains(msgs[i], "状态") {
				t.Errorf("conflict message %q", msgs[i])
			}
		default:
			t.Errorf("status %d", c)
		}
	}
	if wins != 1 || losses != 1 {
		t.Fatalf("codes %v", codes)
	}
	ts, _ := f.db.Transitions(context.Background(), f.appSub.ID)
	n := 0
	for _, tr := range ts {
		if tr.From == biopilot.StateSubmitted {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d transitions recorded from submitted, want 1", n)
	}
	recs, _, _ := f.db.AuditRecords(context.Background(), store.AuditFilter{Result: store.AuditFailed, Action: "transition:", Limit: 10})
	if len(recs) != 1 {
		t.Errorf("%d failed transition audit records, want 1", len(recs))
	}
}

// TestReviewIsolation: a reviewer of 广州 cannot reach 佛山's application by URL,
// through the UI or the API; every refusal is audited.
func TestReviewIsolation(t *testing.T) {
	f := newReviewFixture(t)
	gz := f.as("citygz")
	id := f.appFS.ID
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/applications/%d"}, {"GET", "/api/v1/applications/%d/review"},
		{"GET", "/api/v1/applications/%d/actions"}, {"GET", "/api/v1/applications/%d/history"},
		{"POST", "/api/v1/applications/%d/actions/city_return"},
		{"GET", "/review/applications/%d"}, {"GET", "/applications/%d"},
		{"POST", "/review/applications/%d/actions/city_propose"},
		{"GET", "/review/applications/%d/evidence/1"},
	} {
		var body any
		if tc.method == "POST" {
			if strings.HasPrefix(tc.path, "/api/") {
				body = map[string]any{"reason": "x"}
			} else {
				body = url.Values{"reason": {"x"}}
			}
		}
		w := gz.do(tc.method, idPath(tc.path, id), body)
		if w.Code != 404 {
			t.Errorf("%s %s: %d, want 404", tc.method, tc.path, w.Code)
		}
		if strings.Contains(w.Body.String(), "佛山平台") {
			t.Errorf("%s %s reveals the application", tc.method, tc.path)
		}
	}
	if f.state(id) != biopilot.StateSubmitted {
		t.Fatal("佛山's application changed")
	}
	// Not in the workbench either, not even when searched for or filtered by city.
	for _, q := range []string{"", "?q=佛山", "?city=440600"} {
		w := gz.do("GET", "/review"+q, nil)
		if strings.Contains(w.Body.String(), "佛山平台") {
			t.Errorf("/review%s lists 佛山's application", q)
		}
		w = gz.do("GET", "/api/v1/applications"+q, nil)
		if strings.Contains(w.Body.String(), "佛山平台") {
			t.Errorf("API list%s shows 佛山's application", q)
		}
	}
	// And 佛山 sees its own.
	w := f.as("cityfs").do("GET", "/review", nil)
	if !strings.Contains(w.Body.String(), "佛山平台") {
		t.Error("佛山's workbench lacks its application")
	}
	recs, _, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Action: "denied", Actor: "citygz", Limit: 100})
	if err != nil || len(recs) < 9 {
		t.Errorf("%d refusals audited, want ≥ 9 (%v)", len(recs), err)
	}
}

// TestReviewPages: the workbench and the review page work through forms.
func TestReviewPages(t *testing.T) {
	f := newReviewFixture(t)
	gz := f.as("citygz")
	w := gz.do("GET", "/review?state=submitted&sort=id", nil)
	wantStatus(t, w, 200)
	body := w.Body.String()
	for _, s := range []string{"审核工作台", "已提交平台", "距地市报送截止还有", "已提交，待地市审核"} {
		if !strings.Contains(body, s) {
			t.Errorf("workbench lacks %q", s)
		}
	}
	w = gz.do("GET", idPath("/review/applications/%d", f.appSub.ID), nil)
	wantStatus(t, w, 200)
	for _, s := range []string{"退回修改", "不予推荐", "推荐（提请会签）", "真实性", "资格条件审查", "办理记录"} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("review page lacks %q", s)
		}
	}
	// A proposal without the checks is shown again with the message.
	w = gz.do("POST", idPath("/review/applications/%d/actions/city_propose", f.appSub.ID),
		url.Values{"checks_present": {"1"}, "authenticity": {"on"}, "opinion": {"同意"}})
	wantStatus(t, w, 422)
	if !strings.Contains(w.Body.String(), "完整性") {
		t.Errorf("error page lacks the check's name")
	}
	w = gz.do("POST", idPath("/review/applications/%d/actions/city_return", f.appSub.ID),
		url.Values{"reason": {"请补充"}, "field": {"platform.name", ""}, "field_reason": {"名称有误", ""}})
	wantStatus(t, w, 303)
	if f.state(f.appSub.ID) != biopilot.StateReturned {
		t.Fatal("not returned")
	}
	_, frs, _ := f.srv.ReturnReasons(context.Background(), f.appSub.ID)
	if len(frs) != 1 || frs[0].Reason != "名称有误" {
		t.Errorf("field reasons %+v", frs)
	}
}

// TestAuditUI: the auditor filters, exports and verifies; logins and failed
// logins are recorded; a tampered record is found.
func TestAuditUI(t *testing.T) {
	f := newReviewFixture(t)
	anon := f.anon()
	wantStatus(t, anon.do("POST", "/api/v1/login", map[string]string{"username": "citygz", "password": "wrong"}), 401)
	wantStatus(t, anon.do("POST", "/api/v1/login", map[string]string{"username": "citygz", "password": testPassword}), 200)
	au := f.as("auditor")
	w := au.do("GET", "/api/v1/audit?action=login_failed", nil)
	wantStatus(t, w, 200)
	m := decode(t, w)
	if m["total"].(float64) != 1 {
		t.Fatalf("failed logins: %v", m)
	}
	w = au.do("GET", "/api/v1/audit?action=login&result=ok", nil)
	if items := decode(t, w)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["address"] == "" {
		t.Fatalf("logins: %v", items)
	}
	wantStatus(t, au.do("GET", "/api/v1/audit?from=2025-13-01", nil), 422)
	w = au.do("GET", "/audit/export.csv?result=failed", nil)
	wantStatus(t, w, 200)
	if csv := w.Body.String(); !strings.HasPrefix(csv, "\ufeff序号") || !strings.Contains(csv, "login_failed") {
		t.Errorf("csv:\n%s", csv)
	}
	w = au.do("POST", "/audit/verify", url.Values{})
	wantStatus(t, w, 200)
	if !strings.Contains(w.Body.String(), "审计日志完整") {
		t.Error("verify page does not say the chain is whole")
	}
	// An attacker with database access edits a record: the verify button says so.
	ctx := context.Background()
	if _, err := f.db.SQL().ExecContext(ctx, `DROP TRIGGER audit_log_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL().ExecContext(ctx, `UPDATE audit_log SET address = '10.0.0.1' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	w = au.do("GET", "/api/v1/audit/verify", nil)
	wantStatus(t, w, 200)
	if m := decode(t, w); m["ok"] != false || !strings.Contains(fmt.Sprint(m["message"]), "篡改") {
		t.Errorf("tampered chain: %v", m)
	}
}

// TestDeadlineExtension: the administrator extends the city deadline with a
// reason (audited); sending then works after the original deadline.
func TestDeadlineExtension(t *testing.T) {
	f := newReviewFixture(t)
	f.clock.Set(time.Date(2025, 7, 6, 9, 0, 0, 0, biopilot.Beijing))
	ad := f.as("admin")
	wantStatus(t, ad.do("PUT", "/api/v1/admin/deadlines", map[string]any{"applicant": "2025-07-04", "city": "2025-07-20", "reason": ""}), 422)
	wantStatus(t, ad.do("PUT", "/api/v1/admin/deadlines", map[string]any{"applicant": "7月4日", "city": "2025-07-20", "reason": "x"}), 422)
	// After the applicant deadline nobody submits.
	app := f.appDraft
	if _, err := f.srv.transition(context.Background(), f.users["applicantA"], app, TransitionInput{Action: "submit", Snapshot: app.Document, SnapshotHash: "h"}); biopilot.ErrorCode(err) != biopilot.EDEADLINE {
		t.Fatalf("submit after the deadline: %v", err)
	}
	wantStatus(t, ad.do("PUT", "/api/v1/admin/deadlines", map[string]any{"applicant": "2025-07-08", "city": "2025-07-20", "reason": "系统维护，统一延期"}), 200)
	hash, _ := seal.CanonicalHash(map[string]any{"document": json.RawMessage(app.Document), "evidence": []any{}})
	if _, err := f.srv.transition(context.Background(), f.users["applicantA"], app, TransitionInput{Action: "submit", Snapshot: app.Document, SnapshotHash: hash}); err != nil {
		t.Fatalf("submit after the extension: %v", err)
	}
	recs, _, _ := f.db.AuditRecords(context.Background(), store.AuditFilter{Action: "deadline_extend", Limit: 10})
	if len(recs) != 1 || !strings.Contains(string(recs[0].Detail), "统一延期") {
		t.Fatalf("extension audit: %+v", recs)
	}
	w := ad.do("GET", "/admin/deadlines", nil)
	wantStatus(t, w, 200)
	if !strings.Contains(w.Body.String(), "2025年7月8日 24:00") {
		t.Error("page does not show the extended deadline")
	}
}

// TestNotificationsUI: the bell's list, mark read, mute per kind.
func TestNotificationsUI(t *testing.T) {
	f := newReviewFixture(t)
	if code, _ := f.act("citygz", f.appSub.ID, "city_return", map[string]any{"reason": "请补充"}); code != 200 {
		t.Fatal(code)
	}
	c := f.as("applicantA")
	w := c.do("GET", "/api/v1/notifications", nil)
	m := decode(t, w)
	if m["unread"].(float64) < 1 {
		t.Fatalf("no unread: %v", m)
	}
	nid := int64(m["items"].([]any)[0].(map[string]any)["id"].(float64))
	// Another person cannot mark it read.
	wantStatus(t, f.as("colleagueA").do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", nid), nil), 404)
	wantStatus(t, c.do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", nid), nil), 204)
	wantStatus(t, c.do("PUT", "/api/v1/notifications/mutes", map[string]any{"muted": []string{"nonsense"}}), 422)
	w = c.do("PUT", "/api/v1/notifications/mutes", map[string]any{"muted": []string{kindReturned}})
	wantStatus(t, w, 200)
	if mu := decode(t, w)["muted"].([]any); len(mu) != 1 || mu[0] != kindReturned {
		t.Errorf("muted %v", mu)
	}
	w = c.do("GET", "/notifications", nil)
	wantStatus(t, w, 200)
	if !strings.Contains(w.Body.String(), "申请被退回修改") {
		t.Error("notifications page lacks the return")
	}
}
