package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// identities are the callers of the route-walking table, in its column order.
var identities = []string{"anonymous", "applicantA", "applicantB", "citygz", "cityfs", "province", "admin", "secadmin"}

// want is one expected status per identity, in the order of identities.
type want [8]int

// routeCase is how the table calls one route: the concrete path, a body per caller
// (nil for none), and the status each caller must get. The application routes
// target appSub: orgA's submitted application, filed to 广州.
type routeCase struct {
	path func(f *fixture) string
	body func(f *fixture, who string, i int) any
	want want
}

func fixed(p string) func(*fixture) string { return func(*fixture) string { return p } }

func appPath(format string) func(*fixture) string {
	return func(f *fixture) string { return fmt.Sprintf(format, f.appSub.ID) }
}

func jsonBody(v any) func(*fixture, string, int) any {
	return func(*fixture, string, int) any { return v }
}

const (
	ok      = 200
	created = 201
	nocont  = 204
	see     = 303
	unauth  = 401
	forbid  = 403
	notfnd  = 404
)

// routeTable names every route of routes.go. TestRouteAuthorization fails when a
// route is missing here or an entry names no route.
var routeTable = map[string]routeCase{
	// DOCUMENTS: the 申请表 PDF, Excel exports, packages, the 推荐函 (docApp: orgA's
	// application submitted with evidence and its seal, filed to 广州).
	"GET /applications/{id}/form.pdf": {docAppPath("/applications/%d/form.pdf"), nil,
		want{see, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/applications/{id}/form.pdf": {docAppPath("/api/v1/applications/%d/form.pdf"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/applications/export.xlsx": {fixed("/api/v1/applications/export.xlsx"), nil,
		want{unauth, ok, ok, ok, ok, ok, forbid, forbid}},
	"GET /api/v1/reports/summary.xlsx": {fixed("/api/v1/reports/summary.xlsx"), nil,
		want{unauth, forbid, forbid, forbid, forbid, ok, forbid, forbid}},
	"GET /api/v1/reports/equipment-gaps.xlsx": {fixed("/api/v1/reports/equipment-gaps.xlsx"), nil,
		want{unauth, forbid, forbid, forbid, forbid, ok, forbid, forbid}},
	"GET /api/v1/applications/{id}/package.zip": {docAppPath("/api/v1/applications/%d/package.zip"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/recommendations/{id}/letter.pdf": {fixed("/api/v1/recommendations/999999/letter.pdf"), nil,
		want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/recommendations/{id}/package.zip": {fixed("/api/v1/recommendations/999999/package.zip"), nil,
		want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},

	// ANNUAL (annual_*.go): appSub is no platform (submitted, never listed), so its
	// annual pages are not found for everyone; the ministry's pages refuse anyone
	// else (annual_test.go and annual_decisions_test.go cover listed platforms).
	"GET /annual":               {fixed("/annual"), nil, want{see, ok, ok, forbid, forbid, forbid, forbid, forbid}},
	"GET /platform/{id}/annual": {appPath("/platform/%d/annual"), nil, want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /platform/{id}/annual/{year}": {appPath("/platform/%d/annual/2026"), nil,
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /platform/{id}/annual/{year}": {appPath("/platform/%d/annual/2026"), natForm(url.Values{"base_version": {"1"}}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /platform/{id}/annual/{year}/submit": {appPath("/platform/%d/annual/2026/submit"), natForm(url.Values{"base_version": {"1"}}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /platform/{id}/annual/{year}/evidence": {appPath("/platform/%d/annual/2026/evidence"), natForm(url.Values{"category": {"contracts"}}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /platform/{id}/annual/{year}/evidence/{aid}/remove": {appPath("/platform/%d/annual/2026/evidence/1/remove"), natForm(url.Values{}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /ministry/annual": {fixed("/ministry/annual"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/annual": {fixed("/ministry/annual"), natForm(url.Values{"year": {"2026"}, "title": {"年度评价"}, "due_at": {"2027-03-31T17:00"}}),
		want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/annual/{year}/assign": {fixed("/ministry/annual/2026/assign"), natForm(url.Values{}),
		want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/annual/{year}/platforms/{id}/experts": {appPath("/ministry/annual/2026/platforms/%d/experts"), natForm(url.Values{"expert": {"1"}}),
		want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /ministry/platforms/{id}": {appPath("/ministry/platforms/%d"), nil, want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /ministry/platforms/{id}/stars": {appPath("/ministry/platforms/%d/stars"), natForm(url.Values{"year": {"2026"}, "stars": {"4"}, "reason": {"好"}}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /ministry/platforms/{id}/remove": {appPath("/ministry/platforms/%d/remove"), natForm(url.Values{"grounds": {"violation"}, "detail": {"违法"}}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/annual/platforms/{id}/reports/{year}": {appPath("/api/v1/annual/platforms/%d/reports/2026"), nil,
		want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"PUT /api/v1/annual/platforms/{id}/reports/{year}": {appPath("/api/v1/annual/platforms/%d/reports/2026"),
		jsonBody(map[string]any{"base_version": 1, "document": map[string]any{}}), want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/annual/platforms/{id}/reports/{year}/submit": {appPath("/api/v1/annual/platforms/%d/reports/2026/submit"),
		jsonBody(map[string]any{"base_version": 1}), want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/annual/evaluations": {fixed("/api/v1/annual/evaluations"),
		jsonBody(map[string]any{"year": 2026, "title": "年度评价", "due_at": "2027-03-31T17:00:00+08:00"}),
		want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/annual/evaluations/{year}": {fixed("/api/v1/annual/evaluations/2026"), nil,
		want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/annual/evaluations/{year}/assign": {fixed("/api/v1/annual/evaluations/2026/assign"), nil,
		want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"PUT /api/v1/annual/evaluations/{year}/platforms/{id}/experts": {appPath("/api/v1/annual/evaluations/2026/platforms/%d/experts"),
		jsonBody(map[string]any{"experts": []int{1}}), want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/annual/platforms/{id}/stars": {appPath("/api/v1/annual/platforms/%d/stars"),
		jsonBody(map[string]any{"year": 2026, "stars": 4, "reason": "好"}), want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/annual/platforms/{id}/removal": {appPath("/api/v1/annual/platforms/%d/removal"),
		jsonBody(map[string]any{"grounds": "violation", "detail": "违法"}), want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},

	"GET /healthz":             {fixed("/healthz"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"GET /readyz":              {fixed("/readyz"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"GET /static/":             {fixed("/static/app.css"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"GET /api/v1/openapi.json": {fixed("/api/v1/openapi.json"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"GET /api/v1/program":      {fixed("/api/v1/program"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"POST /api/v1/login": {fixed("/api/v1/login"),
		jsonBody(map[string]string{"username": "applicantA", "password": testPassword}),
		want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"POST /api/v1/logout": {fixed("/api/v1/logout"), nil, want{unauth, nocont, nocont, nocont, nocont, nocont, nocont, nocont}},
	"GET /api/v1/me":      {fixed("/api/v1/me"), nil, want{unauth, ok, ok, ok, ok, ok, ok, ok}},
	"POST /api/v1/me/password": {fixed("/api/v1/me/password"),
		jsonBody(map[string]string{"old_password": testPassword, "new_password": "Brand-New-Pw-2025"}),
		want{unauth, ok, ok, ok, ok, ok, ok, ok}},
	"POST /api/v1/register": {fixed("/api/v1/register"), func(f *fixture, who string, i int) any {
		return map[string]any{
			"organisation": map[string]any{"name": "新单位" + who, "uscc": makeUSCC(f.t, fmt.Sprintf("91440300MA5CC%04d", i)), "kind": "private", "city_code": "440300"},
			"user":         map[string]any{"username": "reg" + strings.ToLower(who), "display_name": "注册人", "phone": "13900139000", "password": "Register-Pw-2025"},
		}
	}, want{created, created, created, created, created, created, created, created}},
	"GET /api/v1/uscc/{code}": {func(f *fixture) string { return "/api/v1/uscc/" + f.orgA.USCC }, nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},

	"GET /api/v1/applications": {fixed("/api/v1/applications"), nil, want{unauth, ok, ok, ok, ok, ok, ok, ok}},
	"POST /api/v1/applications": {fixed("/api/v1/applications"), jsonBody(map[string]any{}),
		want{unauth, created, created, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/applications/{id}": {appPath("/api/v1/applications/%d"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"PUT /api/v1/applications/{id}/document": {appPath("/api/v1/applications/%d/document"),
		func(f *fixture, _ string, _ int) any {
			return map[string]any{"base_version": f.appSub.Version, "document": map[string]any{}}
		}, want{unauth, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/applications/{id}/export": {appPath("/api/v1/applications/%d/export"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/applications/{id}/import": {appPath("/api/v1/applications/%d/import?base_version=1"), jsonBody(map[string]any{}),
		want{unauth, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/applications/{id}/eligibility": {appPath("/api/v1/applications/%d/eligibility"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/applications/{id}/history": {appPath("/api/v1/applications/%d/history"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/eligibility/preview": {fixed("/api/v1/eligibility/preview"), jsonBody(map[string]any{}),
		want{unauth, ok, ok, ok, ok, ok, ok, ok}},

	"GET /api/v1/organisation/members": {fixed("/api/v1/organisation/members"), nil,
		want{unauth, ok, ok, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/organisation/members": {fixed("/api/v1/organisation/members"), func(f *fixture, who string, i int) any {
		return map[string]any{"username": fmt.Sprintf("invited%d", i), "display_name": "同事", "phone": "13700137000"}
	}, want{unauth, created, created, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/organisation/members/{id}/disable": {func(f *fixture) string {
		return fmt.Sprintf("/api/v1/organisation/members/%d/disable", f.users["colleagueA"].ID)
	}, nil, want{unauth, ok, notfnd, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/admin/users": {fixed("/api/v1/admin/users"), func(f *fixture, who string, i int) any {
		return map[string]any{"username": fmt.Sprintf("szcity%d", i), "display_name": "深圳市工信局", "phone": "13600136000", "role": "city_miit", "jurisdiction": "440300"}
	}, want{unauth, forbid, forbid, forbid, forbid, forbid, created, forbid}},
	"POST /api/v1/admin/users/{id}/disable": {victimPath("disable"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
	"POST /api/v1/admin/users/{id}/enable":  {victimPath("enable"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
	"POST /api/v1/admin/users/{id}/reset-password": {victimPath("reset-password"), nil,
		want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, ok}},
	// REVIEW: review actions, the city's letter, audit, notifications, deadlines.
	"GET /api/v1/applications/{id}/review":  {appPath("/api/v1/applications/%d/review"), nil, want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/applications/{id}/actions": {appPath("/api/v1/applications/%d/actions"), nil, want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/applications/{id}/actions/{action}": {appPath("/api/v1/applications/%d/actions/city_return"),
		jsonBody(map[string]any{"reason": "材料不全"}), want{unauth, forbid, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/recommendation": {fixed("/api/v1/recommendation"), nil, want{unauth, forbid, forbid, ok, ok, forbid, forbid, forbid}},
	"PUT /api/v1/recommendation": {fixed("/api/v1/recommendation"), jsonBody(map[string]any{"application_ids": []int{}}),
		want{unauth, forbid, forbid, ok, ok, forbid, forbid, forbid}},
	"POST /api/v1/recommendation/{action}": {fixed("/api/v1/recommendation/propose"), jsonBody(map[string]any{}),
		want{unauth, forbid, forbid, conflct, conflct, forbid, forbid, forbid}},
	"GET /api/v1/audit":         {fixed("/api/v1/audit"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/audit/export":  {fixed("/api/v1/audit/export"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/audit/verify":  {fixed("/api/v1/audit/verify"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/notifications": {fixed("/api/v1/notifications"), nil, want{unauth, ok, ok, ok, ok, ok, ok, ok}},
	"POST /api/v1/notifications/{id}/read": {fixed("/api/v1/notifications/all/read"), nil,
		want{unauth, nocont, nocont, nocont, nocont, nocont, nocont, nocont}},
	"PUT /api/v1/notifications/mutes": {fixed("/api/v1/notifications/mutes"), jsonBody(map[string]any{"muted": []string{"returned"}}),
		want{unauth, ok, ok, ok, ok, ok, ok, ok}},
	"GET /api/v1/admin/deadlines": {fixed("/api/v1/admin/deadlines"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, ok, forbid}},
	"PUT /api/v1/admin/deadlines": {fixed("/api/v1/admin/deadlines"),
		jsonBody(map[string]any{"applicant": "2025-07-10", "city": "2025-07-20", "reason": "系统故障，统一延期"}),
		want{unauth, forbid, forbid, forbid, forbid, forbid, ok, forbid}},
	"GET /review":                   {fixed("/review"), nil, want{see, forbid, forbid, ok, ok, ok, forbid, forbid}},
	"GET /review/applications/{id}": {appPath("/review/applications/%d"), nil, want{see, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"POST /review/applications/{id}/actions/{action}": {appPath("/review/applications/%d/actions/city_return"),
		func(*fixture, string, int) any { return url.Values{"reason": {"材料不全"}} },
		want{see, forbid, notfnd, see, notfnd, notfnd, notfnd, notfnd}},
	"GET /review/applications/{id}/evidence/{aid}": {appPath("/review/applications/%d/evidence/999"), nil,
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /recommendation": {fixed("/recommendation"), nil, want{see, forbid, forbid, ok, ok, forbid, forbid, forbid}},
	"POST /recommendation/{action}": {fixed("/recommendation/save"), func(*fixture, string, int) any { return url.Values{} },
		want{see, forbid, forbid, see, see, forbid, forbid, forbid}},
	"GET /audit":            {fixed("/audit"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /audit/export.csv": {fixed("/audit/export.csv"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /audit/verify": {fixed("/audit/verify"), func(*fixture, string, int) any { return url.Values{} },
		want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /notifications": {fixed("/notifications"), nil, want{see, ok, ok, ok, ok, ok, ok, ok}},
	"POST /notifications/{id}/read": {fixed("/notifications/all/read"), func(*fixture, string, int) any { return url.Values{} },
		want{see, see, see, see, see, see, see, see}},
	"POST /notifications/mutes": {fixed("/notifications/mutes"), func(*fixture, string, int) any { return url.Values{"email": {"returned"}} },
		want{see, see, see, see, see, see, see, see}},
	// DEMO: no demo clock in the fixture, so the pages do not exist (demo_clock_test).
	"GET /demo/clock":      {fixed("/demo/clock"), nil, want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /demo/clock":     {fixed("/demo/clock"), jsonBody(url.Values{"days": {"8"}}), want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /admin/deadlines": {fixed("/admin/deadlines"), nil, want{see, forbid, forbid, forbid, forbid, forbid, ok, forbid}},
	"POST /admin/deadlines": {fixed("/admin/deadlines"), func(*fixture, string, int) any {
		return url.Values{"applicant": {"2025-07-10"}, "city": {"2025-07-20"}, "reason": {"统一延期"}}
	}, want{see, forbid, forbid, forbid, forbid, forbid, see, forbid}},

	// PUBLIC: the public notice, objection form and directory need no login (the
	// fixture has no notice and no listed platform: the form and a platform are 404);
	// objections are the ministry's alone (no ministry column here: see
	// TestMinistryObjections).
	"GET /public/notice":         {fixed("/public/notice"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"GET /public/objections/new": {fixed("/public/objections/new"), nil, want{notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /public/objections": {fixed("/public/objections"), func(*fixture, string, int) any { return url.Values{"name": {"张三"}} },
		want{notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /public/directory":        {fixed("/public/directory"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"GET /public/platforms/{id}":   {fixed("/public/platforms/999999"), nil, want{notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/public/directory": {fixed("/api/v1/public/directory"), nil, want{ok, ok, ok, ok, ok, ok, ok, ok}},
	"GET /ministry/objections":     {fixed("/ministry/objections"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/objections/{id}/resolve": {fixed("/ministry/objections/1/resolve"),
		func(*fixture, string, int) any {
			return url.Values{"outcome": {"rejected"}, "reason": {"经核实不成立"}}
		},
		want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /ministry/objections/{id}/files/{fid}": {fixed("/ministry/objections/1/files/1"), nil,
		want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/national/objections": {fixed("/api/v1/national/objections"), nil,
		want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/national/objections/{id}/resolve": {fixed("/api/v1/national/objections/1/resolve"),
		jsonBody(map[string]any{"outcome": "rejected", "reason": "经核实不成立"}),
		want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},

	// NATIONAL: the ministry's and the experts' pages and API. None of the table's
	// callers is the ministry or an expert: the ministry's routes are refused (403),
	// an assignment is not found (404) for anyone but its expert (national_test.go
	// covers the ministry and the experts).
	"GET /ministry":                   {fixed("/ministry"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /ministry/experts":           {fixed("/ministry/experts"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/experts":          {fixed("/ministry/experts"), natForm(url.Values{"name": {"张三"}}), want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/experts/{id}":     {fixed("/ministry/experts/999999"), natForm(url.Values{"name": {"张三"}}), want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /ministry/assignments":       {fixed("/ministry/assignments"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/assignments/auto": {fixed("/ministry/assignments/auto"), natForm(url.Values{}), want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/assignments/{id}": {appPath("/ministry/assignments/%d"), natForm(url.Values{"expert": {"1"}}), want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /ministry/results":           {fixed("/ministry/results"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/results/{id}/decision": {appPath("/ministry/results/%d/decision"), natForm(url.Values{"outcome": {"recommend"}, "reason": {"优秀"}}),
		want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /ministry/notice":                   {fixed("/ministry/notice"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/notice":                  {fixed("/ministry/notice"), natForm(url.Values{"title": {"公示"}}), want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /ministry/notice/publish":          {fixed("/ministry/notice/publish"), natForm(url.Values{}), want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/national/overview":          {fixed("/api/v1/national/overview"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/national/experts":           {fixed("/api/v1/national/experts"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/national/experts":          {fixed("/api/v1/national/experts"), jsonBody(map[string]any{"name": "张三"}), want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"PUT /api/v1/national/experts/{id}":      {fixed("/api/v1/national/experts/999999"), jsonBody(map[string]any{"name": "张三"}), want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/national/assignments":       {fixed("/api/v1/national/assignments"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/national/assignments/auto": {fixed("/api/v1/national/assignments/auto"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"PUT /api/v1/national/assignments/{id}": {appPath("/api/v1/national/assignments/%d"), jsonBody(map[string]any{"experts": []int{1}}),
		want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/national/results": {fixed("/api/v1/national/results"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/national/decisions": {fixed("/api/v1/national/decisions"), func(f *fixture, _ string, _ int) any {
		return map[string]any{"application_id": f.appSub.ID, "outcome": "recommend", "reason": "优秀"}
	}, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/national/notice":          {fixed("/api/v1/national/notice"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/national/notice":         {fixed("/api/v1/national/notice"), jsonBody(map[string]any{"title": "公示"}), want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"POST /api/v1/national/notice/publish": {fixed("/api/v1/national/notice/publish"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /expert":                          {fixed("/expert"), nil, want{see, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /expert/assignments/{id}":         {fixed("/expert/assignments/999999"), nil, want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /expert/assignments/{id}/declaration": {fixed("/expert/assignments/999999/declaration"), natForm(url.Values{"conflict": {"no"}}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /expert/assignments/{id}/score": {fixed("/expert/assignments/999999/score"), natForm(url.Values{"points.equipment": {"20"}}),
		want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /expert/assignments/{id}/evidence/{aid}": {fixed("/expert/assignments/999999/evidence/1"), nil, want{see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/expert/assignments":              {fixed("/api/v1/expert/assignments"), nil, want{unauth, forbid, forbid, forbid, forbid, forbid, forbid, forbid}},
	"GET /api/v1/expert/assignments/{id}":         {fixed("/api/v1/expert/assignments/999999"), nil, want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/expert/assignments/{id}/declaration": {fixed("/api/v1/expert/assignments/999999/declaration"), jsonBody(map[string]any{"conflict": false}),
		want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/expert/assignments/{id}/score": {fixed("/api/v1/expert/assignments/999999/score"), jsonBody(map[string]any{"points": map[string]float64{}}),
		want{unauth, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},

	// ANNUAL: the progress dashboard — the ministry (see dashboard_test.go) and the
	// provinces, each over its own province; nobody else.
	"GET /dashboard":        {fixed("/dashboard"), nil, want{see, forbid, forbid, forbid, forbid, ok, forbid, forbid}},
	"GET /dashboard.xlsx":   {fixed("/dashboard.xlsx"), nil, want{see, forbid, forbid, forbid, forbid, ok, forbid, forbid}},
	"GET /api/v1/dashboard": {fixed("/api/v1/dashboard"), nil, want{unauth, forbid, forbid, forbid, forbid, ok, forbid, forbid}},

	"/api/": {fixed("/api/v1/no-such-thing"), nil, want{notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},

	"GET /login": {fixed("/login"), nil, want{ok, see, see, see, see, see, see, see}},
	"POST /login": {fixed("/login"), func(*fixture, string, int) any {
		return url.Values{"username": {"applicantA"}, "password": {testPassword}}
	}, want{see, see, see, see, see, see, see, see}},
	"POST /logout":  {fixed("/logout"), func(*fixture, string, int) any { return url.Values{} }, want{see, see, see, see, see, see, see, see}},
	"GET /password": {fixed("/password"), nil, want{see, ok, ok, ok, ok, ok, ok, ok}},
	"POST /password": {fixed("/password"), func(*fixture, string, int) any {
		return url.Values{"old_password": {testPassword}, "new_password": {"Brand-New-Pw-2025"}, "confirm_password": {"Brand-New-Pw-2025"}}
	}, want{see, see, see, see, see, see, see, see}},
	"GET /{$}": {fixed("/"), nil, want{see, ok, ok, ok, ok, ok, ok, ok}},
	"POST /applications": {fixed("/applications"), func(*fixture, string, int) any { return url.Values{} },
		want{see, see, see, forbid, forbid, forbid, forbid, forbid}},
	"GET /applications/{id}": {appPath("/applications/%d"), nil, want{see, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},

	// APPLICANT: the applicant's portal (issue 4). appSub is submitted: nobody may
	// edit it; its organisation may withdraw it; its city may view it.
	"POST /api/v1/applications/{id}/submit": {appPath("/api/v1/applications/%d/submit"), jsonBody(map[string]any{"base_version": 1}),
		want{unauth, stale, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/applications/{id}/withdraw": {appPath("/api/v1/applications/%d/withdraw"), nil,
		want{unauth, ok, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}}, // withdrawn: a draft again, out of the city's sight
	"GET /api/v1/applications/{id}/evidence": {appPath("/api/v1/applications/%d/evidence"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"POST /api/v1/applications/{id}/evidence/{category}": {appPath("/api/v1/applications/%d/evidence/license"), nil,
		want{unauth, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/attachments/{aid}": {attachmentPath("/api/v1/attachments/%d"), nil,
		want{unauth, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"DELETE /api/v1/attachments/{aid}": {attachmentPath("/api/v1/attachments/%d"), nil,
		want{unauth, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"GET /api/v1/tables/{key}/template": {fixed("/api/v1/tables/equipment.fermentation/template"), nil,
		want{unauth, ok, ok, ok, ok, ok, ok, ok}},
	"POST /api/v1/applications/{id}/tables/{key}/import": {appPath("/api/v1/applications/%d/tables/equipment.fermentation/import?base_version=1"), nil,
		want{unauth, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"GET /register": {fixed("/register"), nil, want{ok, see, see, see, see, see, see, see}},
	"POST /register": {fixed("/register"), func(f *fixture, who string, i int) any {
		return url.Values{"organisation.name": {"页面注册单位" + who}, "organisation.uscc": {makeUSCC(f.t, fmt.Sprintf("91440300MA5DD%04d", i))},
			"organisation.kind": {"private"}, "organisation.city_code": {"440300"}, "user.username": {"page" + strings.ToLower(who)},
			"user.display_name": {"注册人"}, "user.phone": {"13900139000"}, "user.password": {"Register-Pw-2025"}, "confirm_password": {"Register-Pw-2025"}}
	}, want{see, see, see, see, see, see, see, see}},
	"GET /organisation/members": {fixed("/organisation/members"), nil, want{see, ok, ok, forbid, forbid, forbid, forbid, forbid}},
	"POST /organisation/members": {fixed("/organisation/members"), func(f *fixture, who string, i int) any {
		return url.Values{"username": {fmt.Sprintf("pageinvited%d", i)}, "display_name": {"同事"}, "phone": {"13700137000"}}
	}, want{see, created, created, forbid, forbid, forbid, forbid, forbid}},
	"POST /organisation/members/{id}/disable": {func(f *fixture) string {
		return fmt.Sprintf("/organisation/members/%d/disable", f.users["colleagueA"].ID)
	}, func(*fixture, string, int) any { return url.Values{} }, want{see, see, notfnd, forbid, forbid, forbid, forbid, forbid}},
	"GET /applications/{id}/edit": {appPath("/applications/%d/edit"), nil, want{see, see, notfnd, see, notfnd, notfnd, notfnd, notfnd}},
	"POST /applications/{id}/edit": {appPath("/applications/%d/edit"), func(*fixture, string, int) any {
		return url.Values{"section": {"basic"}, "base_version": {"1"}}
	}, want{see, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"POST /applications/{id}/evidence": {appPath("/applications/%d/evidence"), func(*fixture, string, int) any {
		return url.Values{"category": {"license"}}
	}, want{see, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"POST /applications/{id}/evidence/{aid}/remove": {attachmentPath("/applications/0/evidence/%d/remove"), func(*fixture, string, int) any { return url.Values{} },
		want{see, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"POST /applications/{id}/import": {appPath("/applications/%d/import"), func(*fixture, string, int) any { return url.Values{} },
		want{see, forbid, notfnd, forbid, notfnd, notfnd, notfnd, notfnd}},
	"GET /applications/{id}/submit": {appPath("/applications/%d/submit"), nil, want{see, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
	"POST /applications/{id}/submit": {appPath("/applications/%d/submit"), func(*fixture, string, int) any {
		return url.Values{"action": {"withdraw"}}
	}, want{see, see, notfnd, notfnd, notfnd, notfnd, notfnd, notfnd}},
	"GET /applications/{id}/preview": {appPath("/applications/%d/preview"), nil, want{see, ok, notfnd, ok, notfnd, notfnd, notfnd, notfnd}},
}

func victimPath(action string) func(*fixture) string {
	return func(f *fixture) string {
		return fmt.Sprintf("/api/v1/admin/users/%d/%s", f.users["victim"].ID, action)
	}
}

// TestRouteAuthorization walks every registered route with every kind of caller.
func TestRouteAuthorization(t *testing.T) {
	f0 := newFixture(t)
	registered := map[string]bool{}
	for _, rt := range f0.srv.Routes() {
		registered[rt.Pattern] = true
		if _, ok := routeTable[rt.Pattern]; !ok {
			t.Errorf("route %q is not in the authorization table", rt.Pattern)
		}
	}
	for p := range routeTable {
		if !registered[p] {
			t.Errorf("table entry %q names no registered route", p)
		}
	}
	for _, rt := range f0.srv.Routes() {
		tc, ok := routeTable[rt.Pattern]
		if !ok {
			continue
		}
		t.Run(rt.Pattern, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t) // each route gets fresh data: routes change things
			method := rt.Method
			if method == "" {
				method = "GET"
			}
			for i, who := range identities {
				c := f.anon()
				if who != "anonymous" {
					c = f.as(who)
				}
				var body any
				if tc.body != nil {
					body = tc.body(f, who, i)
				}
				w := c.do(method, tc.path(f), body)
				if w.Code != tc.want[i] {
					t.Errorf("%s %s as %s: status %d, want %d; body: %.300s", method, tc.path(f), who, w.Code, tc.want[i], w.Body.String())
					continue
				}
				isAPIPath := strings.HasPrefix(tc.path(f), "/api/")
				switch {
				case w.Code == unauth:
					if e := apiErr(t, w); e["code"] != "unauthorized" || e["message"] == "" {
						t.Errorf("%s as %s: 401 body %s", rt.Pattern, who, w.Body.String())
					}
				case w.Code >= 400 && isAPIPath:
					e := apiErr(t, w)
					if msg, _ := e["message"].(string); !hasHan(msg) {
						t.Errorf("%s as %s: message %q is not Chinese", rt.Pattern, who, msg)
					}
				case w.Code == see && who == "anonymous" && rt.Method == "GET":
					if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/login") {
						t.Errorf("%s as anonymous: redirect to %q, want the login page", rt.Pattern, loc)
					}
				}
			}
		})
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
