package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestNationalExpertPool: the ministry adds experts through the page (linked to an
// existing expert account or without one) and the API, edits relations and
// domains; bad input is refused with a Chinese message naming the field; every
// change is audited.
func TestNationalExpertPool(t *testing.T) {
	f := newNatFixture(t, 0)
	f.user("newexpert", "expert", 0, "", false)
	m := f.as("ministry")
	ctx := context.Background()
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {""}, "org_name": {"某大学"}, "domains": {"enzymes"}}, "请填写专家姓名"},
		{url.Values{"name": {"孙专家"}, "org_name": {"某大学"}}, "请至少选择一个评审领域"},
		{url.Values{"name": {"孙专家"}, "org_name": {"某大学"}, "domains": {"enzymes"}, "org_uscc": {"123"}}, "统一社会信用代码无效"},
		{url.Values{"name": {"孙专家"}, "org_name": {"某大学"}, "domains": {"enzymes"}, "username": {"applicantA"}}, "不是评审专家账号"},
		{url.Values{"name": {"孙专家"}, "org_name": {"某大学"}, "domains": {"nonsense"}}, "评审领域无效"},
	} {
		w := m.do("POST", "/ministry/experts", tc.form)
		if w.Code != 422 || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%v: %d, want 422 with %q", tc.form, w.Code, tc.want)
		}
		if !strings.Contains(w.Body.String(), tc.form.Get("org_name")) {
			t.Errorf("%v: the input is lost", tc.form)
		}
	}
	w := m.do("POST", "/ministry/experts", url.Values{"name": {"孙专家"}, "org_name": {"某大学"}, "city_code": {"440500"},
		"domains": {"enzymes", "biopharma"}, "username": {"newexpert"}, "active": {"on"},
		"relations": {f.orgA.USCC + "｜近三年合作项目\n佛山某酶制剂有限公司｜亲属任职"}})
	wantStatus(t, w, see)
	rows, err := f.db.Experts(ctx, f.prog.ID)
	if err != nil || len(rows) != 1 {
		t.Fatalf("pool %v %v", rows, err)
	}
	e := rows[0]
	if e.UserID != f.users["newexpert"].ID || !e.Active || len(e.Domains) != 2 || len(e.Relations) != 2 ||
		e.Relations[0].USCC != f.orgA.USCC || e.Relations[1].OrgName != "佛山某酶制剂有限公司" || e.Relations[1].Kind != "亲属任职" {
		t.Fatalf("expert %+v", e)
	}
	// Edit: drop a relation and a domain, deactivate.
	w = m.do("POST", fmt.Sprintf("/ministry/experts/%d", e.ID), url.Values{"name": {"孙专家"}, "org_name": {"某大学"},
		"domains": {"enzymes"}, "username": {"newexpert"}, "relations": {f.orgA.USCC + "｜近三年合作项目"}})
	wantStatus(t, w, see)
	e, _ = f.db.Expert(ctx, e.ID)
	if e.Active || len(e.Domains) != 1 || len(e.Relations) != 1 {
		t.Errorf("after the edit %+v", e)
	}
	// The API: a pool member without a login.
	w = m.do("POST", "/api/v1/national/experts", map[string]any{"name": "周专家", "org_name": "某研究院", "domains": []string{"enzymes"}, "active": true})
	wantStatus(t, w, 201)
	w = m.do("GET", "/api/v1/national/experts", nil)
	if items := decode(t, w)["items"].([]any); len(items) != 2 {
		t.Errorf("API pool %v", items)
	}
	page := m.do("GET", "/ministry/experts", nil).Body.String()
	for _, s := range []string{"孙专家", "周专家", "近三年合作项目", "newexpert", "已停用"} {
		if !strings.Contains(page, s) {
			t.Errorf("pool page lacks %q", s)
		}
	}
	recs, _, _ := f.db.AuditRecords(ctx, storeAuditFilter("national:"))
	n := 0
	for _, r := range recs {
		if strings.HasPrefix(r.Action, "national:expert_") && r.Result == "ok" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d pool changes audited, want 3", n)
	}
}
