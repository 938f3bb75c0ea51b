package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/national"
	"biopilot/store"
	"biopilot/store/storetest"
)

// inReview creates an application of org in expert_review.
func inReview(t *testing.T, db *store.DB, org *biopilot.Organisation, by *biopilot.User, name string) *biopilot.Application {
	t.Helper()
	a := atMinistry(t, db, org, by, name)
	a, err := db.Transition(context.Background(), toReview(a.ID))
	must(t, err)
	return a
}

func move(id int64, from, to biopilot.State) store.TransitionRequest {
	return store.TransitionRequest{ApplicationID: id, From: from, To: to,
		Transition: &biopilot.Transition{ActorRole: biopilot.RoleMinistry}}
}

// entry is the directory entry of a listed application.
func entry(a *biopilot.Application, province string, equipment, chassis []string, public string) *store.DirectoryEntry {
	return &store.DirectoryEntry{ApplicationID: a.ID, PlatformName: a.PlatformName, OrgName: a.OrgName,
		CityCode: a.CityCode, ProvinceCode: province, Domains: []string{"enzyme"}, Equipment: equipment,
		ChassisCells: chassis, Public: json.RawMessage(public)}
}

func TestNoticeObjectionsPublish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := biopilot.NewFakeClock(t0)
		db.SetClock(clock)
		gz := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, gz, "a1")
		a1, a2, a3, a4 := inReview(t, db, gz, u, "酶工程平台"), inReview(t, db, gz, u, "发酵平台"),
			inReview(t, db, gz, u, "不入选平台"), inReview(t, db, gz, u, "另一平台")

		ends := t0.Add(5 * 24 * time.Hour)
		n := &store.PublicNotice{ProgramID: "gd-2025", Round: store.RoundSelection, Title: "拟入选名单公示",
			Body: "异议请于公示期内提出", ApplicationIDs: []int64{a1.ID, a2.ID}, StartsAt: t0, EndsAt: ends}
		wantCode(t, db.OpenNotice(ctx, store.OpenNoticeRequest{Notice: &store.PublicNotice{ProgramID: "gd-2025",
			Round: store.RoundSelection, Title: "x", StartsAt: ends, EndsAt: t0}}), biopilot.EINVALID)
		must(t, db.OpenNotice(ctx, store.OpenNoticeRequest{Notice: n, Transitions: []store.TransitionRequest{
			move(a1.ID, biopilot.StateExpertReview, biopilot.StatePublicized),
			move(a2.ID, biopilot.StateExpertReview, biopilot.StatePublicized),
			move(a3.ID, biopilot.StateExpertReview, biopilot.StateNotListed)}}))
		if n.ID == 0 || n.State != store.NoticeOpen {
			t.Fatalf("notice %+v", n)
		}
		wantState(t, db, a1.ID, biopilot.StatePublicized)
		wantState(t, db, a3.ID, biopilot.StateNotListed)

		// One open notice per program and round; the second's transitions roll back.
		second := &store.PublicNotice{ProgramID: "gd-2025", Round: store.RoundSelection, Title: "第二份",
			ApplicationIDs: []int64{a4.ID}, StartsAt: t0, EndsAt: ends}
		wantCode(t, db.OpenNotice(ctx, store.OpenNoticeRequest{Notice: second, Transitions: []store.TransitionRequest{
			move(a4.ID, biopilot.StateExpertReview, biopilot.StatePublicized)}}), biopilot.ECONFLICT)
		wantState(t, db, a4.ID, biopilot.StateExpertReview)
		// Another round may have its own.
		must(t, db.OpenNotice(ctx, store.OpenNoticeRequest{Notice: &store.PublicNotice{ProgramID: "gd-2025",
			Round: store.AnnualRound(2026), Title: "年度", StartsAt: t0, EndsAt: ends}}))
		ns, err := db.Notices(ctx, "gd-2025")
		must(t, err)
		if len(ns) != 2 || ns[1].ID != n.ID || len(ns[1].ApplicationIDs) != 2 || !ns[1].EndsAt.Equal(ends.Truncate(time.Millisecond)) {
			t.Fatalf("notices %+v", ns)
		}

		// Objections: on the notice's platforms only, with files, counted by sender.
		clock.Add(time.Hour)
		obj := &store.Objection{NoticeID: n.ID, ApplicationID: a1.ID, Name: "赵六", Contact: "13800000000",
			Grounds: "设备清单与实际不符", ClientKey: "k1",
			Files: []store.ObjectionFile{{SHA256: strings.Repeat("a", 64), Filename: "证据.pdf", Size: 10, MediaType: "application/pdf"}}}
		must(t, db.CreateObjection(ctx, obj))
		if obj.ID == 0 || obj.Files[0].ID == 0 || !obj.CreatedAt.Equal(clock.Now().Truncate(time.Millisecond)) {
			t.Fatalf("objection %+v", obj)
		}
		wantCode(t, db.CreateObjection(ctx, &store.Objection{NoticeID: n.ID, ApplicationID: a3.ID, Name: "x",
			Contact: "y", Grounds: "z"}), biopilot.EINVALID)
		wantCode(t, db.CreateObjection(ctx, &store.Objection{NoticeID: n.ID, ApplicationID: a2.ID, Name: "x",
			Contact: "y"}), biopilot.EINVALID)
		wantCode(t, db.CreateObjection(ctx, &store.Objection{NoticeID: 999, ApplicationID: a2.ID, Name: "x",
			Contact: "y", Grounds: "z"}), biopilot.ENOTFOUND)
		second2 := &store.Objection{NoticeID: n.ID, ApplicationID: a2.ID, Name: "钱七", Contact: "q@example.com",
			Grounds: "场地租期不足", ClientKey: "k1"}
		must(t, db.CreateObjection(ctx, second2))
		if c, err := db.CountObjectionsSince(ctx, "k1", t0); err != nil || c != 2 {
			t.Fatalf("count k1 = %d, %v", c, err)
		}
		if c, _ := db.CountObjectionsSince(ctx, "k1", clock.Now().Add(time.Minute)); c != 0 {
			t.Fatalf("count since later = %d", c)
		}
		if c, _ := db.CountObjectionsSince(ctx, "k2", t0); c != 0 {
			t.Fatalf("count k2 = %d", c)
		}
		// At EndsAt the notice no longer takes objections.
		clock.Set(ends)
		late := &store.Objection{NoticeID: n.ID, ApplicationID: a1.ID, Name: "x", Contact: "y", Grounds: "z"}
		if e := wantCode(t, db.CreateObjection(ctx, late), biopilot.ECONFLICT); !strings.Contains(e.Message, "公示期已结束") {
			t.Fatalf("message %q", e.Message)
		}

		// Publishing with an open objection is refused, and changes nothing.
		pub := func() store.PublishRequest {
			return store.PublishRequest{NoticeID: n.ID,
				Entries: []*store.DirectoryEntry{entry(a1, "440000", []string{"50L 发酵罐"}, []string{"大肠杆菌"}, `{"services":"酶制剂中试"}`)},
				Transitions: []store.TransitionRequest{
					move(a1.ID, biopilot.StatePublicized, biopilot.StateListed),
					move(a2.ID, biopilot.StatePublicized, biopilot.StateNotListed)}}
		}
		r, err := db.ResolveObjection(ctx, store.ResolveRequest{ObjectionID: obj.ID, Outcome: national.ObjectionRejected,
			Reason: "经核实设备在位"})
		must(t, err)
		if r.Outcome != national.ObjectionRejected || r.HandledAt.IsZero() || len(r.Files) != 1 {
			t.Fatalf("resolved %+v", r)
		}
		_, err = db.ResolveObjection(ctx, store.ResolveRequest{ObjectionID: obj.ID, Outcome: national.ObjectionUpheld, Reason: "改判"})
		wantCode(t, err, biopilot.ECONFLICT)
		_, err = db.ResolveObjection(ctx, store.ResolveRequest{ObjectionID: second2.ID, Outcome: national.ObjectionUpheld})
		wantCode(t, err, biopilot.EINVALID)
		if e := wantCode(t, db.Publish(ctx, pub()), biopilot.ECONFLICT); !strings.Contains(e.Message, "仍有异议未处理") {
			t.Fatalf("message %q", e.Message)
		}
		wantState(t, db, a1.ID, biopilot.StatePublicized)
		if _, err := db.DirectoryEntry(ctx, a1.ID); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
			t.Fatalf("directory entry after a refused publication: %v", err)
		}
		_, err = db.ResolveObjection(ctx, store.ResolveRequest{ObjectionID: second2.ID, Outcome: national.ObjectionUpheld,
			Reason: "场地确实不足"})
		must(t, err)
		objs, err := db.Objections(ctx, n.ID)
		must(t, err)
		if len(objs) != 2 || objs[0].ID != obj.ID || len(objs[0].Files) != 1 || objs[0].Files[0].Filename != "证据.pdf" ||
			len(objs[1].Files) != 0 || objs[1].Outcome != national.ObjectionUpheld {
			t.Fatalf("objections %+v", objs)
		}

		// Before EndsAt publication is refused.
		early := pub()
		early.At = ends.Add(-time.Minute)
		wantCode(t, db.Publish(ctx, early), biopilot.ECONFLICT)
		// An entry not on the notice is refused.
		stray := pub()
		stray.Entries = append(stray.Entries, entry(a4, "440000", nil, nil, `{}`))
		wantCode(t, db.Publish(ctx, stray), biopilot.EINVALID)
		wantState(t, db, a1.ID, biopilot.StatePublicized)

		clock.Add(time.Hour)
		ok := pub()
		must(t, db.Publish(ctx, ok))
		wantState(t, db, a1.ID, biopilot.StateListed)
		wantState(t, db, a2.ID, biopilot.StateNotListed)
		if ok.Transitions[1].Transition.ID == 0 {
			t.Fatal("transition record id not set")
		}
		got, err := db.Notice(ctx, n.ID)
		must(t, err)
		if got.State != store.NoticePublished || got.PublishedAt.IsZero() {
			t.Fatalf("published notice %+v", got)
		}
		e, err := db.DirectoryEntry(ctx, a1.ID)
		must(t, err)
		if e.NoticeID != n.ID || e.ProgramID != "gd-2025" || e.Stars != 0 || !e.ListedAt.Equal(clock.Now().Truncate(time.Millisecond)) ||
			e.Equipment[0] != "50L 发酵罐" || string(e.Public) != `{"services":"酶制剂中试"}` {
			t.Fatalf("directory entry %+v", e)
		}
		wantCode(t, db.Publish(ctx, pub()), biopilot.ECONFLICT) // published already
		_, err = db.Notice(ctx, 999)
		wantCode(t, err, biopilot.ENOTFOUND)
	})
}

// listed publishes a notice of apps (in expert_review) with their entries.
func listed(t *testing.T, db *store.DB, entries []*store.DirectoryEntry) {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	var toPub, toList []store.TransitionRequest
	for _, e := range entries {
		ids = append(ids, e.ApplicationID)
		toPub = append(toPub, move(e.ApplicationID, biopilot.StateExpertReview, biopilot.StatePublicized))
		toList = append(toList, move(e.ApplicationID, biopilot.StatePublicized, biopilot.StateListed))
	}
	n := &store.PublicNotice{ProgramID: "gd-2025", Round: store.RoundSelection, Title: "公示",
		ApplicationIDs: ids, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	must(t, db.OpenNotice(ctx, store.OpenNoticeRequest{Notice: n, Transitions: toPub}))
	must(t, db.Publish(ctx, store.PublishRequest{NoticeID: n.ID, At: t0.Add(2 * time.Hour), Entries: entries, Transitions: toList}))
}

func TestDirectorySearchStarsRemoval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gz, nj := newOrg(t, db, 1, "广州酶科技有限公司", "440100"), newOrg(t, db, 2, "南京合成生物研究院", "320100")
		u, v := newApplicant(t, db, gz, "a1"), newApplicant(t, db, nj, "b1")
		a1, a2, a3 := inReview(t, db, gz, u, "酶工程中试平台"), inReview(t, db, nj, v, "合成生物中试基地"),
			inReview(t, db, gz, u, "Pichia Pilot 平台")
		e1 := entry(a1, "440000", []string{"500L 发酵罐", "膜分离系统"}, []string{"大肠杆菌"}, `{"services":["酶制剂放大"],"scope":"酶制剂"}`)
		e2 := entry(a2, "320000", []string{"喷雾干燥塔"}, []string{"酿酒酵母"}, `{"services":["合成生物放大","100%_转化"]}`)
		e2.Domains = []string{"synbio"}
		e3 := entry(a3, "440000", []string{"Bioreactor 1000L"}, []string{"Pichia pastoris"}, `{}`)
		listed(t, db, []*store.DirectoryEntry{e1, e2, e3})

		names := func(f store.DirectoryFilter) ([]string, int) {
			t.Helper()
			list, total, err := db.Directory(ctx, f)
			must(t, err)
			var out []string
			for _, e := range list {
				out = append(out, e.PlatformName)
			}
			return out, total
		}
		for _, c := range []struct {
			name string
			f    store.DirectoryFilter
			want string
		}{
			{"all, by province then city then name", store.DirectoryFilter{ProgramID: "gd-2025"},
				"合成生物中试基地,Pichia Pilot 平台,酶工程中试平台"},
			{"equipment filter", store.DirectoryFilter{Equipment: "发酵罐"}, "酶工程中试平台"},
			{"equipment, case-insensitive", store.DirectoryFilter{Equipment: "bioreactor"}, "Pichia Pilot 平台"},
			{"query matches equipment", store.DirectoryFilter{Query: "喷雾"}, "合成生物中试基地"},
			{"query matches services", store.DirectoryFilter{Query: "酶制剂放大"}, "酶工程中试平台"},
			{"query matches organisation", store.DirectoryFilter{Query: "研究院"}, "合成生物中试基地"},
			{"query matches chassis, case-insensitive", store.DirectoryFilter{Query: "PICHIA PASTORIS"}, "Pichia Pilot 平台"},
			{"wildcards are literal", store.DirectoryFilter{Query: "100%_"}, "合成生物中试基地"},
			{"a wildcard is not a wildcard", store.DirectoryFilter{Query: "酶%放大"}, ""},
			{"domain", store.DirectoryFilter{Domain: "synbio"}, "合成生物中试基地"},
			{"domain is a whole key", store.DirectoryFilter{Domain: "syn"}, ""},
			{"province", store.DirectoryFilter{ProvinceCode: "440000"}, "Pichia Pilot 平台,酶工程中试平台"},
			{"city and chassis", store.DirectoryFilter{CityCode: "440100", Chassis: "大肠"}, "酶工程中试平台"},
			{"another program", store.DirectoryFilter{ProgramID: "cn-2025"}, ""},
		} {
			got, total := names(c.f)
			if strings.Join(got, ",") != c.want || total != len(got) {
				t.Errorf("%s: %v (total %d), want %s", c.name, got, total, c.want)
			}
		}
		page, total := names(store.DirectoryFilter{Limit: 1, Offset: 1})
		if total != 3 || len(page) != 1 || page[0] != "Pichia Pilot 平台" {
			t.Fatalf("page %v total %d", page, total)
		}

		// Stars: history kept, the directory shows the latest.
		wantCode(t, db.SetStars(ctx, &store.StarRating{ApplicationID: a1.ID, Year: 2026, Stars: 6}), biopilot.EINVALID)
		wantCode(t, db.SetStars(ctx, &store.StarRating{ApplicationID: 999, Year: 2026, Stars: 3}), biopilot.ENOTFOUND)
		first := &store.StarRating{ApplicationID: a1.ID, Year: 2026, Stars: 3, Reason: "服务量一般"}
		must(t, db.SetStars(ctx, first))
		must(t, db.SetStars(ctx, &store.StarRating{ApplicationID: a1.ID, Year: 2027, Stars: 5, Reason: "服务量大"}))
		hist, err := db.StarRatings(ctx, a1.ID)
		must(t, err)
		if len(hist) != 2 || hist[0].ID != first.ID || hist[0].Stars != 3 || hist[1].Year != 2027 || first.SetAt.IsZero() {
			t.Fatalf("history %+v", hist)
		}
		if e, _ := db.DirectoryEntry(ctx, a1.ID); e.Stars != 5 {
			t.Fatalf("directory stars %d", e.Stars)
		}

		// Removal: hidden from the directory, the record stays.
		rm := store.RemovalRequest{ApplicationID: a1.ID, Grounds: store.RemovalViolation, Detail: "发生重大安全事故",
			Transition: move(a1.ID, biopilot.StateListed, biopilot.StateRemoved)}
		bad := rm
		bad.Grounds = "dislike"
		wantCode(t, db.RemovePlatform(ctx, bad), biopilot.EINVALID)
		wrongState := rm
		wrongState.Transition = move(a1.ID, biopilot.StatePublicized, biopilot.StateRemoved)
		wantCode(t, db.RemovePlatform(ctx, wrongState), biopilot.ECONFLICT)
		if e, _ := db.DirectoryEntry(ctx, a1.ID); !e.RemovedAt.IsZero() {
			t.Fatal("removal kept although its transition failed")
		}
		must(t, db.RemovePlatform(ctx, rm))
		wantState(t, db, a1.ID, biopilot.StateRemoved)
		if got, total := names(store.DirectoryFilter{}); total != 2 || strings.Contains(strings.Join(got, ","), "酶工程") {
			t.Fatalf("public directory after removal %v", got)
		}
		if got, total := names(store.DirectoryFilter{IncludeRemoved: true, Query: "酶工程"}); total != 1 || len(got) != 1 {
			t.Fatalf("ministry's directory after removal %v", got)
		}
		e, err := db.DirectoryEntry(ctx, a1.ID)
		must(t, err)
		if e.RemovedAt.IsZero() || e.RemovalGrounds != store.RemovalViolation || e.RemovalDetail != "发生重大安全事故" || e.Stars != 5 {
			t.Fatalf("removed entry %+v", e)
		}
		wantCode(t, db.RemovePlatform(ctx, store.RemovalRequest{ApplicationID: a1.ID, Grounds: store.RemovalViolation,
			Detail: "x", Transition: move(a1.ID, biopilot.StateListed, biopilot.StateRemoved)}), biopilot.ECONFLICT)
		wantCode(t, db.SetStars(ctx, &store.StarRating{ApplicationID: a1.ID, Year: 2028, Stars: 1}), biopilot.ECONFLICT)
		if hist, _ := db.StarRatings(ctx, a1.ID); len(hist) != 2 {
			t.Fatalf("history after removal %d", len(hist))
		}
	})
}
