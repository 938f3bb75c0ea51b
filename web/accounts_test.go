package web

import (
	"context"
	"strings"
	"testing"
)

func regBody(f *fixture, code, username string) map[string]any {
	return map[string]any{
		"organisation": map[string]any{"name": "深圳某合成生物有限公司", "uscc": code, "kind": "private", "city_code": "440300"},
		"user":         map[string]any{"username": username, "display_name": "王五", "email": "wang@example.cn", "phone": "13912345678", "password": "Sz-Synbio-2025"},
	}
}

func TestRegister(t *testing.T) {
	f := newFixture(t)
	code := makeUSCC(t, "91440300MA5DDDDD3")
	w := f.anon().do("POST", "/api/v1/register", regBody(f, code, "wangwu"))
	wantStatus(t, w, 201)
	m := decode(t, w)
	if o := m["organisation"].(map[string]any); o["uscc"] != code || o["city_name"] != "深圳市" {
		t.Errorf("organisation %v", o)
	}
	if u := m["user"].(map[string]any); u["org_admin"] != true || u["role"] != "applicant" {
		t.Errorf("user %v", u)
	}
	wantStatus(t, loginAPI(f.anon(), "wangwu", "Sz-Synbio-2025"), 200)

	// The same code again: 409 naming the organisation's administrator, masked.
	w = f.anon().do("POST", "/api/v1/register", regBody(f, code, "zhaoliu"))
	wantStatus(t, w, 409)
	e := apiErr(t, w)
	msg := e["message"].(string)
	if !strings.HasPrefix(msg, "该统一社会信用代码已注册，请联系本单位管理员（王*，139****5678）或所在地市工业和信息化局") {
		t.Errorf("duplicate: %q", msg)
	}
	// A taken username: 409 on the field.
	w = f.anon().do("POST", "/api/v1/register", regBody(f, makeUSCC(t, "91440300MA5DDDDD4"), "applicanta"))
	wantStatus(t, w, 409)
	if e := apiErr(t, w); e["field"] != "user.username" {
		t.Errorf("%v", e)
	}

	// Bad input: 422 naming every field, in Chinese.
	bad := regBody(f, "91440300MA5DDDDD3X", "x")
	bad["organisation"].(map[string]any)["kind"] = "alien"
	bad["organisation"].(map[string]any)["city_code"] = "110000"
	bad["user"].(map[string]any)["password"] = "weak"
	bad["user"].(map[string]any)["phone"] = "12345"
	w = f.anon().do("POST", "/api/v1/register", bad)
	wantStatus(t, w, 422)
	e = apiErr(t, w)
	got := map[string]bool{}
	for _, fe := range e["fields"].([]any) {
		got[fe.(map[string]any)["field"].(string)] = true
	}
	for _, k := range []string{"organisation.uscc", "organisation.kind", "organisation.city_code", "user.username", "user.phone", "user.password"} {
		if !got[k] {
			t.Errorf("no error on %s: %v", k, e["fields"])
		}
	}
	// A wrong check character is explained.
	wrong := code[:17] + string("0123456789ABCDEFGHJKLMNPQRTUWXY"[(strings.IndexByte("0123456789ABCDEFGHJKLMNPQRTUWXY", code[17])+1)%31])
	w = f.anon().do("POST", "/api/v1/register", regBody(f, wrong, "zhaoliu"))
	wantStatus(t, w, 422)
	if e := apiErr(t, w); e["field"] != "organisation.uscc" || !strings.Contains(e["message"].(string), "校验位") {
		t.Errorf("%v", e)
	}
}

func TestUSCCCheck(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		code  string
		valid bool
		city  string
	}{
		{makeUSCC(t, "91440606MA5ABCDE1"), true, "440600"},
		{makeUSCC(t, "91440000MA5ABCDE1"), true, ""},
		{"91440606MA5ABCDE1", false, ""},
		{"not-a-code", false, ""},
	} {
		w := f.anon().do("GET", "/api/v1/uscc/"+tc.code, nil)
		wantStatus(t, w, 200)
		m := decode(t, w)
		if m["valid"] != tc.valid || m["suggested_city"] != tc.city || !hasHan(m["message"].(string)) {
			t.Errorf("%s: %v", tc.code, m)
		}
	}
}

func TestMembers(t *testing.T) {
	f := newFixture(t)
	a := f.as("applicantA")
	w := a.do("GET", "/api/v1/organisation/members", nil)
	wantStatus(t, w, 200)
	names := map[string]bool{}
	for _, it := range decode(t, w)["items"].([]any) {
		names[it.(map[string]any)["username"].(string)] = true
	}
	if len(names) != 2 || !names["applicanta"] || !names["colleaguea"] {
		t.Errorf("members %v", names)
	}
	wantStatus(t, f.as("colleagueA").do("GET", "/api/v1/organisation/members", nil), 403)

	w = a.do("POST", "/api/v1/organisation/members", map[string]any{"username": "Bad Name", "display_name": "", "phone": "1"})
	wantStatus(t, w, 422)
	if n := len(apiErr(t, w)["fields"].([]any)); n != 3 {
		t.Errorf("%d field errors", n)
	}
	wantStatus(t, a.do("POST", "/api/v1/organisation/members", map[string]any{"username": "colleaguea", "display_name": "重名", "phone": "13500135000"}), 409)
	wantStatus(t, a.do("POST", "/api/v1/organisation/members", map[string]any{"username": "x1x", "display_name": "x", "phone": "13500135000", "role": "city_miit"}), 422)

	// Disabling a colleague ends their sessions; not oneself; not another org's.
	col := f.as("colleagueA")
	wantStatus(t, a.do("POST", idPath("/api/v1/organisation/members/%d/disable", f.users["colleagueA"].ID), nil), 200)
	wantStatus(t, col.do("GET", "/api/v1/me", nil), 401)
	wantStatus(t, loginAPI(f.anon(), "colleagueA", testPassword), 403)
	wantStatus(t, a.do("POST", idPath("/api/v1/organisation/members/%d/disable", f.users["applicantA"].ID), nil), 403)
	wantStatus(t, a.do("POST", idPath("/api/v1/organisation/members/%d/disable", f.users["victim"].ID), nil), 404)
	wantStatus(t, a.do("POST", "/api/v1/organisation/members/999999/disable", nil), 404)
}

func TestAdminAccounts(t *testing.T) {
	f := newFixture(t)
	admin := f.as("admin")
	for _, tc := range []struct {
		role, jur string
		status    int
		field     string
	}{
		{"city_miit", "440300", 201, ""},
		{"city_drc", "", 422, "jurisdiction"},
		{"city_miit", "110100", 422, "jurisdiction"},
		{"prov_drc", "", 201, ""},
		{"prov_miit", "450000", 422, "jurisdiction"},
		{"ministry", "", 201, ""},
		{"expert", "", 201, ""},
		{"expert", "440100", 422, "jurisdiction"},
		{"auditor", "", 201, ""},
		{"applicant", "", 422, "role"},
		{"emperor", "", 422, "role"},
	} {
		name := "u" + strings.ReplaceAll(tc.role, "_", "") + tc.jur
		w := admin.do("POST", "/api/v1/admin/users", map[string]any{"username": name, "display_name": "账号", "phone": "13600136000", "role": tc.role, "jurisdiction": tc.jur})
		if w.Code != tc.status {
			t.Errorf("%s %s: %d %s", tc.role, tc.jur, w.Code, w.Body.String())
			continue
		}
		if tc.status == 201 {
			m := decode(t, w)
			pw := m["initial_password"].(string)
			if u := m["user"].(map[string]any); u["must_change_password"] != true || u["role"] != tc.role {
				t.Errorf("created %v", u)
			}
			wantStatus(t, loginAPI(f.anon(), name, pw), 200)
		} else if e := apiErr(t, w); e["field"] != tc.field {
			t.Errorf("%s %s: %v", tc.role, tc.jur, e)
		}
	}

	sec := f.as("secadmin")
	victim := f.as("victim")
	vid := f.users["victim"].ID
	wantStatus(t, sec.do("POST", idPath("/api/v1/admin/users/%d/disable", vid), nil), 200)
	wantStatus(t, victim.do("GET", "/api/v1/me", nil), 401)
	wantStatus(t, loginAPI(f.anon(), "victim", testPassword), 403)
	wantStatus(t, sec.do("POST", idPath("/api/v1/admin/users/%d/enable", vid), nil), 200)
	wantStatus(t, loginAPI(f.anon(), "victim", testPassword), 200)

	// Enabling unlocks a throttled account.
	for i := 0; i < 5; i++ {
		c := f.anon()
		c.addr = "198.51.100.7:1"
		loginAPI(c, "victim", "Wrong-Passw0rd")
	}
	wantStatus(t, loginAPI(f.anon(), "victim", testPassword), 429)
	wantStatus(t, sec.do("POST", idPath("/api/v1/admin/users/%d/enable", vid), nil), 200)
	wantStatus(t, loginAPI(f.anon(), "victim", testPassword), 200)

	w := sec.do("POST", idPath("/api/v1/admin/users/%d/reset-password", vid), nil)
	wantStatus(t, w, 200)
	pw := decode(t, w)["initial_password"].(string)
	wantStatus(t, loginAPI(f.anon(), "victim", testPassword), 401)
	w = loginAPI(f.anon(), "victim", pw)
	wantStatus(t, w, 200)
	if decode(t, w)["user"].(map[string]any)["must_change_password"] != true {
		t.Error("a reset password need not be changed")
	}
	wantStatus(t, sec.do("POST", idPath("/api/v1/admin/users/%d/disable", f.users["secadmin"].ID), nil), 403)
	wantStatus(t, sec.do("POST", "/api/v1/admin/users/999999/disable", nil), 404)
	u, _ := f.db.User(context.Background(), vid)
	if u.Disabled {
		t.Error("victim left disabled")
	}
}
