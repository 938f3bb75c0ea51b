package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestCreateApplication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州酶工程有限公司", "440100")
		u := newApplicant(t, db, org, "li")
		a := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CreatedBy: u.ID,
			Document:     json.RawMessage(`{"platform":{"name":"酶制剂中试平台"}}`),
			PlatformName: "酶制剂中试平台", Domains: []string{"enzymes", "chemicals", "enzymes", ""},
			Verdict: "incomplete", CreatedAt: t0}
		must(t, db.CreateApplication(ctx, a))
		if a.ID == 0 || a.Version != 1 || a.State != biopilot.StateDraft || a.CityCode != "440100" ||
			a.OrgName != org.Name || !a.CreatedAt.Equal(a.UpdatedAt) || !a.SubmittedAt.IsZero() {
			t.Fatalf("after create: %+v", a)
		}
		got, err := db.Application(ctx, a.ID)
		must(t, err)
		if got.ProgramID != "gd-2025" || got.OrgID != org.ID || got.OrgName != org.Name ||
			got.State != biopilot.StateDraft || got.Version != 1 || string(got.Document) != string(a.Document) ||
			got.Snapshot != nil || got.SnapshotHash != "" || got.PlatformName != "酶制剂中试平台" ||
			got.Verdict != "incomplete" || got.CreatedBy != u.ID || got.UpdatedBy != u.ID ||
			!got.CreatedAt.Equal(t0.Truncate(time.Millisecond)) || !got.SubmittedAt.IsZero() {
			t.Errorf("Application = %+v", got)
		}
		if fmt.Sprint(got.Domains) != "[enzymes chemicals]" {
			t.Errorf("Domains = %q (order kept, repeats and blanks dropped)", got.Domains)
		}
		vs, err := db.ApplicationVersions(ctx, a.ID)
		must(t, err)
		if len(vs) != 1 || vs[0].Version != 1 || vs[0].UserID != u.ID {
			t.Errorf("versions after create: %+v", vs)
		}

		// An explicit city is kept; an empty document is {}.
		b := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CityCode: "440300"}
		must(t, db.CreateApplication(ctx, b))
		got, _ = db.Application(ctx, b.ID)
		if got.CityCode != "440300" || string(got.Document) != "{}" || got.CreatedBy != 0 || len(got.Domains) != 0 {
			t.Errorf("second application: %+v", got)
		}

		bad := []struct {
			name  string
			a     biopilot.Application
			field string
		}{
			{"state", biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, State: biopilot.StateSubmitted}, "state"},
			{"program", biopilot.Application{OrgID: org.ID}, "program_id"},
			{"org", biopilot.Application{ProgramID: "gd-2025", OrgID: 9999}, "org_id"},
			{"creator", biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CreatedBy: 9999}, "created_by"},
			{"json", biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, Document: json.RawMessage(`{"a":`)}, "document"},
		}
		for _, tt := range bad {
			e := wantCode(t, db.CreateApplication(ctx, &tt.a), biopilot.EINVALID)
			if e.Field != tt.field {
				t.Errorf("%s: field %q, want %q", tt.name, e.Field, tt.field)
			}
		}
		_, err = db.Application(ctx, 9999)
		wantCode(t, err, biopilot.ENOTFOUND)
	})
}

func TestApplicationsFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gz := newOrg(t, db, 1, "广州酶工程有限公司", "440100")
		sz := newOrg(t, db, 2, "Shenzhen BioFab 100% Ltd", "440300")
		ugz, usz := newApplicant(t, db, gz, "gz"), newApplicant(t, db, sz, "sz")
		clock := biopilot.NewFakeClock(t0)
		db.SetClock(clock)
		var apps []*biopilot.Application
		add := func(org *biopilot.Organisation, u *biopilot.User, platform string, domains ...string) *biopilot.Application {
			clock.Add(time.Minute)
			a := newApp(t, db, org, u, platform, domains...)
			apps = append(apps, a)
			return a
		}
		a1 := add(gz, ugz, "酶制剂中试平台", "enzymes")
		add(gz, ugz, "木质纤维素平台", "lignocellulose", "enzymes")
		a3 := add(sz, usz, "Cosmetics_Pilot", "cosmetics")
		a4 := add(sz, usz, "一碳平台", "c1_feedstock")
		// a3 is submitted, a4 returned after being submitted.
		clock.Add(time.Minute)
		_, err := db.Transition(ctx, store.TransitionRequest{ApplicationID: a3.ID, From: biopilot.StateDraft,
			To: biopilot.StateSubmitted, Snapshot: json.RawMessage(`{}`), SnapshotHash: "h"})
		must(t, err)
		for _, step := range [][2]biopilot.State{{biopilot.StateDraft, biopilot.StateSubmitted},
			{biopilot.StateSubmitted, biopilot.StateReturned}} {
			_, err := db.Transition(ctx, store.TransitionRequest{ApplicationID: a4.ID, From: step[0], To: step[1]})
			must(t, err)
		}
		clock.Add(time.Minute)
		_, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a1.ID, BaseVersion: 1,
			Document: a1.Document, PlatformName: a1.PlatformName, Domains: []string{"enzymes"},
			Verdict: "eligible", UserID: ugz.ID})
		must(t, err)
		// Updated order, newest first: a1 (saved last), a4, a3, a2.
		ids := func(as []*biopilot.Application) string {
			var s []int64
			for _, a := range as {
				for i, x := range apps {
					if x.ID == a.ID {
						s = append(s, int64(i+1))
					}
				}
			}
			return fmt.Sprint(s)
		}

		tests := []struct {
			name  string
			f     store.ApplicationFilter
			want  string
			total int
		}{
			{"all by updated", store.ApplicationFilter{}, "[1 4 3 2]", 4},
			{"by id", store.ApplicationFilter{Sort: "id"}, "[1 2 3 4]", 4},
			{"by org", store.ApplicationFilter{Sort: "org"}, "[3 4 1 2]", 4},     // "S" < "广"
			{"by state", store.ApplicationFilter{Sort: "state"}, "[1 2 3 4]", 4}, // draft, submitted, returned
			{"program", store.ApplicationFilter{ProgramID: "gd-2025"}, "[1 4 3 2]", 4},
			{"other program", store.ApplicationFilter{ProgramID: "gd-2026"}, "[]", 0},
			{"org", store.ApplicationFilter{OrgID: sz.ID, Sort: "id"}, "[3 4]", 2},
			{"city", store.ApplicationFilter{CityCode: "440100", Sort: "id"}, "[1 2]", 2},
			{"states", store.ApplicationFilter{States: []biopilot.State{biopilot.StateSubmitted, biopilot.StateReturned}, Sort: "id"}, "[3 4]", 2},
			{"one state", store.ApplicationFilter{States: []biopilot.State{biopilot.StateDraft}, Sort: "id"}, "[1 2]", 2},
			{"domain", store.ApplicationFilter{Domain: "enzymes", Sort: "id"}, "[1 2]", 2},
			{"domain none", store.ApplicationFilter{Domain: "energy"}, "[]", 0},
			{"verdict", store.ApplicationFilter{Verdict: "eligible"}, "[1]", 1},
			{"query org name", store.ApplicationFilter{Query: "酶工程", Sort: "id"}, "[1 2]", 2},
			{"query case-insensitive", store.ApplicationFilter{Query: "biofab", Sort: "id"}, "[3 4]", 2},
			{"query uscc", store.ApplicationFilter{Query: "91440100ma50000002", Sort: "id"}, "[3 4]", 2},
			{"query platform", store.ApplicationFilter{Query: "木质", Sort: "id"}, "[2]", 1},
			{"query percent literal", store.ApplicationFilter{Query: "100%", Sort: "id"}, "[3 4]", 2},
			{"query percent alone", store.ApplicationFilter{Query: "%", Sort: "id"}, "[3 4]", 2},
			{"query underscore literal", store.ApplicationFilter{Query: "_"}, "[3]", 1},
			{"query quote", store.ApplicationFilter{Query: "' OR 1=1 --"}, "[]", 0},
			{"combined", store.ApplicationFilter{CityCode: "440300", States: []biopilot.State{biopilot.StateReturned}, Query: "一碳"}, "[4]", 1},
			{"page 1", store.ApplicationFilter{Sort: "id", Limit: 3}, "[1 2 3]", 4},
			{"page 2", store.ApplicationFilter{Sort: "id", Limit: 3, Offset: 3}, "[4]", 4},
			{"past the end", store.ApplicationFilter{Offset: 10}, "[]", 4},
		}
		for _, tt := range tests {
			got, total, err := db.Applications(ctx, tt.f)
			must(t, err)
			if ids(got) != tt.want || total != tt.total {
				t.Errorf("%s: %s total %d, want %s total %d", tt.name, ids(got), total, tt.want, tt.total)
			}
		}

		// List rows carry the list columns and domains but not the documents.
		got, _, err := db.Applications(ctx, store.ApplicationFilter{Sort: "id"})
		must(t, err)
		if got[1].OrgName != gz.Name || fmt.Sprint(got[1].Domains) != "[lignocellulose enzymes]" ||
			got[1].PlatformName != "木质纤维素平台" || got[1].Document != nil || got[2].SnapshotHash != "h" ||
			got[2].SubmittedAt.IsZero() || got[0].Version != 2 || got[0].UpdatedBy != ugz.ID {
			t.Errorf("list rows: %+v %+v %+v", got[0], got[1], got[2])
		}

		counts, err := db.CountByState(ctx, store.ApplicationFilter{States: []biopilot.State{biopilot.StateListed}})
		must(t, err)
		want := map[biopilot.State]int{biopilot.StateDraft: 2, biopilot.StateSubmitted: 1, biopilot.StateReturned: 1}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Errorf("CountByState = %v, want %v", counts, want)
		}
		counts, err = db.CountByState(ctx, store.ApplicationFilter{CityCode: "440300"})
		must(t, err)
		want = map[biopilot.State]int{biopilot.StateSubmitted: 1, biopilot.StateReturned: 1}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Errorf("CountByState(440300) = %v, want %v", counts, want)
		}
	})
}

func TestApplicationsLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		u := newApplicant(t, db, org, "li")
		for i := 0; i < 55; i++ {
			newApp(t, db, org, u, fmt.Sprintf("平台%d", i))
		}
		for _, tt := range []struct{ limit, want int }{{0, 50}, {10, 10}, {1000, 55}} {
			got, total, err := db.Applications(ctx, store.ApplicationFilter{Limit: tt.limit})
			must(t, err)
			if len(got) != tt.want || total != 55 {
				t.Errorf("Limit %d: %d rows, total %d; want %d, 55", tt.limit, len(got), total, tt.want)
			}
		}
	})
}
