package web

import (
	"context"
	"encoding/json"
	"testing"

	"biopilot"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
)

// PUBLIC: the data of the public pages' tests, made through the store directly.

// confidential are values the test applications' documents hold outside the
// program's public fields: none may ever appear on a public page or in the
// public API.
var confidential = []string{
	"91440101MA5XECRET", // the applicant's USCC (prefix; completed with its check character)
	"机密法人代表甲",           // legal representative
	"13911112222",       // legal representative's mobile
	"机密负责人乙",            // platform head
	"head-secret@example.cn",
	"987654",  // 3-year service revenue (万元)
	"保密客户丙公司", // a contract's client
	"机密菌种库双人双锁管理制度XYZ", // IP protection (strains)
	"4321.5",     // an equipment's price
	"自控精度机密差距说明", // an equipment's gap detail
	"机密升级计划",     // upgrade plan
}

// pubFixture is the fixture with a ministry account and two proposed platforms
// (orgA in 广州, orgB in 佛山) on an open public notice.
type pubFixture struct {
	*fixture
	appA, appB *biopilot.Application
	notice     *store.PublicNotice
}

// publicDoc is the spec's eligible example renamed, with the confidential values
// above in non-public fields.
func publicDoc(t *testing.T, name, org, equipment string) []byte {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(example(t), &d); err != nil {
		t.Fatal(err)
	}
	set := func(path string, v any) {
		t.Helper()
		program.Set(program.Document(d), path, v)
	}
	set("platform.name", name)
	set("applicant.name", org)
	set("applicant.uscc", makeUSCC(t, "91440101MA5XECRET"))
	set("applicant.legal_rep.name", "机密法人代表甲")
	set("applicant.legal_rep.mobile", "13911112222")
	set("platform.head.name", "机密负责人乙")
	set("platform.head.email", "head-secret@example.cn")
	set("service_3y.revenue_10k_yuan", 987654)
	set("ip.strains", "机密菌种库双人双锁管理制度XYZ")
	set("goals.upgrade_plan", "机密升级计划：新增发酵罐")
	market := d["market"].(map[string]any)
	market["contracts"].([]any)[0].(map[string]any)["client"] = "保密客户丙公司"
	eq := d["equipment"].(map[string]any)
	eq["fermentation"].([]any)[0].(map[string]any)["price_10k_yuan"] = 4321.5
	eq["fermentation"].([]any)[0].(map[string]any)["gap_detail"] = "自控精度机密差距说明"
	eq["testing"].([]any)[0].(map[string]any)["name"] = equipment
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// submitted creates an application of org from doc and submits it (its snapshot
// is doc).
func (f *fixture) submitted(org *biopilot.Organisation, doc []byte) *biopilot.Application {
	f.t.Helper()
	app := f.app(org, string(doc))
	app, err := f.db.Transition(context.Background(), store.TransitionRequest{ApplicationID: app.ID,
		From: biopilot.StateDraft, To: biopilot.StateSubmitted,
		Transition: &biopilot.Transition{ActorID: f.users["applicantA"].ID, ActorRole: biopilot.RoleApplicant, ActorName: "applicantA"},
		Snapshot:   app.Document, SnapshotHash: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	return app
}

func newPublicFixture(t *testing.T) *pubFixture {
	t.Helper()
	f := &pubFixture{fixture: newFixture(t)}
	f.withFiles()
	f.user("ministry", biopilot.RoleMinistry, 0, biopilot.CountryCode, false)
	f.appA = f.submitted(f.orgA, publicDoc(t, "广州酶制剂公示中试平台", "广州某生物科技有限公司", "超高效液相色谱仪"))
	f.appB = f.submitted(f.orgB, publicDoc(t, "佛山食品配料公示中试平台", "佛山某酶制剂有限公司", "冷冻干燥机"))
	now := f.clock.Now()
	f.notice = &store.PublicNotice{ProgramID: f.prog.ID, Round: store.RoundSelection,
		Title: "2025年生物制造中试能力建设平台拟入选名单公示", Body: "公示期内如有异议，请通过本页面提出。",
		ApplicationIDs: []int64{f.appA.ID, f.appB.ID}, StartsAt: now,
		EndsAt:    national.NoticeEnd(now, f.prog.Eval().NoticeWorkingDays, national.CalendarOf(f.prog)),
		CreatedBy: f.users["ministry"].ID}
	// The store does not check the workflow's graph: the applications go straight
	// to publicized (the national stage's earlier steps are H4's tests).
	if err := f.db.OpenNotice(context.Background(), store.OpenNoticeRequest{Notice: f.notice,
		Transitions: f.moves(biopilot.StateSubmitted, biopilot.StatePublicized, f.appA, f.appB)}); err != nil {
		t.Fatal(err)
	}
	return f
}

// entryOf is the directory entry of a proposed application, from the public view
// of its snapshot (as publication makes it).
func (f *pubFixture) entryOf(app *biopilot.Application) *store.DirectoryEntry {
	f.t.Helper()
	pub, err := f.srv.publicViewOf(app)
	if err != nil {
		f.t.Fatal(err)
	}
	raw, err := json.Marshal(pub)
	if err != nil {
		f.t.Fatal(err)
	}
	return &store.DirectoryEntry{ApplicationID: app.ID, ProgramID: f.prog.ID, PlatformName: lookupString(pub, "platform.name"),
		OrgName: lookupString(pub, "applicant.name"), CityCode: app.CityCode, ProvinceCode: f.srv.provinceOf(app.CityCode),
		Domains: lookupStrings(pub, "domains"), ChassisCells: lookupStrings(pub, "chassis_cells"),
		Equipment: f.srv.equipmentNames(pub), Public: raw}
}

// publish ends the notice (the clock moves past its end) and publishes both
// platforms into the directory; 广州's gets a star rating.
func (f *pubFixture) publish() {
	f.t.Helper()
	ctx := context.Background()
	f.clock.Set(f.notice.EndsAt)
	if err := f.db.Publish(ctx, store.PublishRequest{NoticeID: f.notice.ID, By: f.users["ministry"].ID, At: f.notice.EndsAt,
		Entries:     []*store.DirectoryEntry{f.entryOf(f.appA), f.entryOf(f.appB)},
		Transitions: f.moves(biopilot.StatePublicized, biopilot.StateListed, f.appA, f.appB)}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.SetStars(ctx, &store.StarRating{ApplicationID: f.appA.ID, Year: 2025, Stars: 4,
		Reason: "机密评级意见", SetBy: f.users["ministry"].ID}); err != nil {
		f.t.Fatal(err)
	}
}

// moves are the ministry's transitions of apps from one state to another.
func (f *pubFixture) moves(from, to biopilot.State, apps ...*biopilot.Application) []store.TransitionRequest {
	var out []store.TransitionRequest
	for _, a := range apps {
		out = append(out, store.TransitionRequest{ApplicationID: a.ID, From: from, To: to,
			Transition: &biopilot.Transition{ActorID: f.users["ministry"].ID, ActorRole: biopilot.RoleMinistry, ActorName: "ministry"}})
	}
	return out
}

// remove removes a listed platform (除名).
func (f *pubFixture) remove(app *biopilot.Application) {
	f.t.Helper()
	tr := f.moves(biopilot.StateListed, biopilot.StateRemoved, app)[0]
	if err := f.db.RemovePlatform(context.Background(), store.RemovalRequest{ApplicationID: app.ID,
		Grounds: store.RemovalViolation, Detail: "严重违规", Transition: tr}); err != nil {
		f.t.Fatal(err)
	}
}
