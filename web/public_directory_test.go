package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"biopilot"
)

// PUBLIC: the directory of listed platforms and the absence of confidential data.

func TestDirectorySearch(t *testing.T) {
	f := newPublicFixture(t)
	f.publish()
	gz, fs := "广州酶制剂公示中试平台", "佛山食品配料公示中试平台"
	cases := []struct {
		name  string
		query url.Values
		want  []string
		not   []string
	}{
		{"all", nil, []string{gz, fs}, nil},
		{"equipment", url.Values{"equipment": {"超高效液相色谱"}}, []string{gz}, []string{fs}},
		{"equipment other", url.Values{"equipment": {"冷冻干燥机"}}, []string{fs}, []string{gz}},
		{"keyword on equipment", url.Values{"q": {"冷冻干燥"}}, []string{fs}, []string{gz}},
		{"domain", url.Values{"domain": {"enzymes"}}, []string{gz, fs}, nil},
		{"domain none", url.Values{"domain": {"energy"}}, nil, []string{gz, fs}},
		{"province", url.Values{"province": {"440000"}}, []string{gz, fs}, nil},
		{"city", url.Values{"city": {"440600"}}, []string{fs}, []string{gz}},
		{"chassis", url.Values{"chassis": {"毕赤酵母"}}, []string{gz, fs}, nil},
		{"nothing", url.Values{"equipment": {"不存在的设备"}}, nil, []string{gz, fs}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := f.anon().do("GET", "/public/directory?"+tc.query.Encode(), nil)
			wantStatus(t, w, http.StatusOK)
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %s", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(body, s) {
					t.Errorf("page shows %s", s)
				}
			}
			if len(tc.want) == 0 && !strings.Contains(body, "没有符合条件的平台") {
				t.Error("no empty-result message")
			}
			assertNoConfidential(t, "directory", body)

			w = f.anon().do("GET", "/api/v1/public/directory?"+tc.query.Encode(), nil)
			wantStatus(t, w, http.StatusOK)
			m := decode(t, w)
			if int(m["total"].(float64)) != len(tc.want) || len(m["items"].([]any)) != len(tc.want) {
				t.Errorf("API: total %v, items %d, want %d", m["total"], len(m["items"].([]any)), len(tc.want))
			}
			assertNoConfidential(t, "directory API", w.Body.String())
		})
	}
	// The stars show; a bad domain is refused naming the field.
	if body := f.anon().do("GET", "/public/directory", nil).Body.String(); !strings.Contains(body, "★★★★☆") {
		t.Error("the star rating is not shown")
	}
	w := f.anon().do("GET", "/api/v1/public/directory?domain=nope", nil)
	if w.Code != http.StatusUnprocessableEntity || apiErr(t, w)["field"] != "domain" {
		t.Errorf("bad domain: %d %s", w.Code, w.Body.String())
	}
}

func TestDirectoryPagination(t *testing.T) {
	f := newPublicFixture(t)
	f.publish()
	w := f.anon().do("GET", "/api/v1/public/directory?limit=1", nil)
	m := decode(t, w)
	items := m["items"].([]any)
	if m["total"].(float64) != 2 || len(items) != 1 {
		t.Fatalf("page 1: %s", w.Body.String())
	}
	first := items[0].(map[string]any)["platform_name"]
	m2 := decode(t, f.anon().do("GET", "/api/v1/public/directory?limit=1&offset=1", nil))
	if second := m2["items"].([]any)[0].(map[string]any)["platform_name"]; second == first {
		t.Errorf("page 2 repeats %v", first)
	}
	// The page links to the next one.
	body := f.anon().do("GET", "/public/directory?limit=1", nil).Body.String()
	if !strings.Contains(body, "下一页") || !strings.Contains(body, "page=2") {
		t.Errorf("no link to the next page: %.300s", body)
	}
}

func TestPublicPlatformPage(t *testing.T) {
	f := newPublicFixture(t)
	f.publish()
	w := f.anon().do("GET", idPath("/public/platforms/%d", f.appA.ID), nil)
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	for _, want := range []string{"广州酶制剂公示中试平台", "广州某生物科技有限公司", "酶制剂菌种发酵放大", // services
		"李晓燕", "13700137000", "li@example.cn", // contact
		"超高效液相色谱仪", "板框过滤机", "发酵罐", "毕赤酵母", "2025 年度", "★★★★☆"} {
		if !strings.Contains(body, want) {
			t.Errorf("platform page lacks %q", want)
		}
	}
	if strings.Contains(body, "机密评级意见") {
		t.Error("the rating's internal reason is shown")
	}
	assertNoConfidential(t, "platform page", body)

	// Removed: not found, saying why; gone from the search.
	f.remove(f.appA)
	w = f.anon().do("GET", idPath("/public/platforms/%d", f.appA.ID), nil)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "已除名的平台不在名录中") {
		t.Errorf("removed platform: %d %.300s", w.Code, w.Body.String())
	}
	if body := f.anon().do("GET", "/public/directory", nil).Body.String(); strings.Contains(body, "广州酶制剂公示中试平台") {
		t.Error("the removed platform is still listed")
	}
	for _, p := range []string{"/public/platforms/abc", "/public/platforms/999999"} {
		if w := f.anon().do("GET", p, nil); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "退出登录") {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
}

// TestPublicNoConfidential renders every public page and the API for platforms
// whose documents hold distinctive confidential values (USCC, legal
// representative, revenue, clients, prices, IP rules …) and finds none of them.
func TestPublicNoConfidential(t *testing.T) {
	f := newPublicFixture(t)
	// The values are really in the snapshots: the test would see them if leaked.
	for _, app := range []*biopilot.Application{f.appA, f.appB} {
		snap := string(app.Snapshot)
		for _, c := range confidential {
			if !strings.Contains(snap, c) {
				t.Fatalf("the snapshot of %d lacks %q: the test proves nothing", app.ID, c)
			}
		}
	}
	pages := []string{"/public/notice", idPath("/public/objections/new?platform=%d", f.appA.ID)}
	for _, p := range pages {
		w := f.anon().do("GET", p, nil)
		wantStatus(t, w, http.StatusOK)
		assertNoConfidential(t, p, w.Body.String())
	}
	f.publish()
	pages = []string{"/public/notice", "/public/directory", "/public/directory?q=示例", "/api/v1/public/directory",
		idPath("/public/platforms/%d", f.appA.ID), idPath("/public/platforms/%d", f.appB.ID)}
	for _, p := range pages {
		w := f.anon().do("GET", p, nil)
		wantStatus(t, w, http.StatusOK)
		assertNoConfidential(t, p, w.Body.String())
	}
	// The API's public view holds only public fields.
	m := decode(t, f.anon().do("GET", "/api/v1/public/directory", nil))
	pub := m["items"].([]any)[0].(map[string]any)["public"].(map[string]any)
	for k := range pub {
		if !map[string]bool{"applicant": true, "platform": true, "domains": true, "chassis_cells": true, "equipment": true}[k] {
			t.Errorf("public view has %q", k)
		}
	}
	raw, _ := json.Marshal(pub)
	for _, key := range []string{"uscc", "legal_rep", "head", "price_10k_yuan", "gap_detail", "brand"} {
		if strings.Contains(string(raw), `"`+key+`"`) {
			t.Errorf("public view has the key %q: %s", key, raw)
		}
	}
	// After publication the notice says it has ended.
	if body := f.anon().do("GET", "/public/notice", nil).Body.String(); !strings.Contains(body, "本次公示已结束") {
		t.Error("the published notice does not say it has ended")
	}
}

func TestEquipmentBrief(t *testing.T) {
	all := []string{"发酵罐", "板框过滤机", "喷雾干燥机", "液相色谱仪", "酶标仪", "质构仪", "冷冻干燥机", "培养箱"}
	for _, tc := range []struct {
		all    []string
		search string
		want   string
	}{
		{all[:3], "", "发酵罐、板框过滤机、喷雾干燥机"},
		{all, "", "发酵罐、板框过滤机、喷雾干燥机、液相色谱仪、酶标仪、质构仪 等 8 项"},
		{all, "干燥 ", "喷雾干燥机、冷冻干燥机、发酵罐、板框过滤机、液相色谱仪、酶标仪 等 8 项"},
		{nil, "x", ""},
	} {
		if got := equipmentBrief(tc.all, tc.search); got != tc.want {
			t.Errorf("equipmentBrief(%v, %q) = %q, want %q", tc.all, tc.search, got, tc.want)
		}
	}
}
