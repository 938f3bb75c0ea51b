package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"biopilot"
	"biopilot/store"
)

// natFixture is the national stage's fixture: the ministry, a pool of experts with
// logins (none in the applicants' cities), and three applications recommended to
// the ministry: 甲 (orgA, 广州), 乙 (orgB, 佛山), 丙 (orgC, 深圳), all 酶制剂.
type natFixture struct {
	*fixture
	apps    []*biopilot.Application
	experts []*store.ExpertRecord
	byUser  map[int64]string // expert record ID → username
}

// expertNames are the pool's names (distinctive: they must never reach an applicant).
var expertNames = []string{"王建国", "李明华", "张卫东", "刘晓燕", "陈志强", "杨丽萍", "赵振刚", "黄海涛"}

// expertCities are the experts' cities, away from 广州, 佛山 and 深圳.
var expertCities = []string{"440500", "440700", "440800", "440900", "441200", "441300", "441400", "441500"}

func newNatFixture(t *testing.T, nExperts int) *natFixture {
	t.Helper()
	f := newFixture(t)
	f.user("ministry", biopilot.RoleMinistry, 0, biopilot.CountryCode, false)
	f.user("provdrc", biopilot.RoleProvDRC, 0, "440000", false)
	orgC := f.org("深圳某合成生物有限公司", makeUSCC(t, "91440300MA5CCCCC3"), "440300")
	nf := &natFixture{fixture: f, byUser: map[int64]string{}}
	for i, o := range []*biopilot.Organisation{f.orgA, f.orgB, orgC} {
		name := []string{"甲", "乙", "丙"}[i] + "中试平台"
		nf.apps = append(nf.apps, nf.recommended(o, name, []string{"200L 发酵罐", "高效液相色谱仪", "冻干机"}[i]))
	}
	ctx := context.Background()
	for i := 0; i < nExperts; i++ {
		name := fmt.Sprintf("expert%d", i+1)
		u := f.user(name, biopilot.RoleExpert, 0, "", false)
		e := &store.ExpertRecord{ProgramID: f.prog.ID, UserID: u.ID, Name: expertNames[i%len(expertNames)],
			OrgName: fmt.Sprintf("某大学%d", i+1), CityCode: expertCities[i%len(expertCities)],
			Domains: []string{"enzymes"}, Active: true}
		if err := f.db.CreateExpert(ctx, e); err != nil {
			t.Fatal(err)
		}
		nf.experts = append(nf.experts, e)
		nf.byUser[e.ID] = name
	}
	return nf
}

// recommended creates an application of org moved straight to
// recommended_to_ministry with its snapshot.
func (f *natFixture) recommended(org *biopilot.Organisation, platform, equipment string) *biopilot.Application {
	f.t.Helper()
	doc := fmt.Sprintf(`{"applicant":{"name":%q,"uscc":%q},"platform":{"name":%q,"contact":{"name":"联系人","mobile":"13800138000"}},
		"domains":["enzymes"],"chassis_cells":["大肠杆菌"],"overview":"机密的基本情况%s",
		"equipment":{"testing":[{"name":%q,"brand":"某品牌"}]}}`, org.Name, org.USCC, platform, platform, equipment)
	app := f.app(org, doc)
	out, err := f.db.Transition(context.Background(), store.TransitionRequest{ApplicationID: app.ID,
		From: biopilot.StateDraft, To: biopilot.StateRecommendedToMinistry, Snapshot: app.Document, SnapshotHash: "h"})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// live returns the live assignments of an application.
func (f *natFixture) live(appID int64) []*store.ReviewAssignment {
	f.t.Helper()
	list, err := f.db.Assignments(context.Background(), store.AssignmentFilter{ProgramID: f.prog.ID,
		Round: store.RoundSelection, ApplicationID: appID, States: liveStates})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

// autoAssign runs the automatic assignment through the ministry's page.
func (f *natFixture) autoAssign() string {
	f.t.Helper()
	w := f.as("ministry").do("POST", "/ministry/assignments/auto", url.Values{})
	wantStatus(f.t, w, see)
	loc := w.Header().Get("Location")
	page := f.as("ministry").do("GET", loc, nil)
	wantStatus(f.t, page, ok)
	return page.Body.String()
}

// score has an expert declare no conflict and submit the same points on every
// criterion's share: share × max points.
func (f *natFixture) score(a *store.ReviewAssignment, share float64) map[string]any {
	f.t.Helper()
	c := f.as(f.byUser[a.ExpertID])
	wantStatus(f.t, c.do("POST", idPath("/api/v1/expert/assignments/%d/declaration", a.ID), map[string]any{"conflict": false}), ok)
	points, comments := map[string]float64{}, map[string]string{}
	for _, cr := range f.prog.Eval().ScoreSheet {
		points[cr.Key] = cr.MaxPoints * share
		comments[cr.Key] = "评语：" + cr.Label
	}
	w := c.do("POST", idPath("/api/v1/expert/assignments/%d/score", a.ID), map[string]any{"points": points, "comments": comments})
	wantStatus(f.t, w, ok)
	return decode(f.t, w)
}

// names are the pool's names: none may reach an applicant.
func (f *natFixture) names() []string {
	var out []string
	for _, e := range f.experts {
		out = append(out, e.Name)
	}
	return out
}

func containsAny(s string, subs []string) string {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return x
		}
	}
	return ""
}
