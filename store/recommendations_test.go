package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

// recommended creates an application of org and moves it to city_recommended.
func recommended(t *testing.T, db *store.DB, org *biopilot.Organisation, by *biopilot.User, name string) *biopilot.Application {
	t.Helper()
	a := newApp(t, db, org, by, name)
	ctx := context.Background()
	for _, st := range [][2]biopilot.State{
		{biopilot.StateDraft, biopilot.StateSubmitted},
		{biopilot.StateSubmitted, biopilot.StateCityProposed},
		{biopilot.StateCityProposed, biopilot.StateCityRecommended},
	} {
		var err error
		a, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: st[0], To: st[1]})
		must(t, err)
	}
	return a
}

func TestRecommendationLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gz := newOrg(t, db, 1, "广州甲", "440100")
		fs := newOrg(t, db, 2, "佛山乙", "440600")
		u := newApplicant(t, db, gz, "a1")
		a1 := recommended(t, db, gz, u, "平台一")
		a2 := recommended(t, db, gz, u, "平台二")
		b1 := recommended(t, db, fs, newApplicant(t, db, fs, "b1"), "佛山平台")
		// The store test helpers file applications to program "gd-2025".
		r := &store.Recommendation{ProgramID: "gd-2025", Level: store.LevelCity, Jurisdiction: "440100",
			Number: "穗工信函〔2025〕1号", ApplicationIDs: []int64{a2.ID, a1.ID}, Opinion: "同意推荐", CreatedBy: u.ID}
		must(t, db.SaveRecommendation(ctx, r, 0))
		if r.ID == 0 || r.State != store.RecDraft || r.Version != 1 {
			t.Fatalf("created %+v", r)
		}
		// A second open letter of the same city is refused.
		dup := &store.Recommendation{ProgramID: "gd-2025", Level: store.LevelCity, Jurisdiction: "440100"}
		wantCode(t, db.SaveRecommendation(ctx, dup, 0), biopilot.ECONFLICT)
		// Duplicate ids are refused.
		bad := *r
		bad.ApplicationIDs = []int64{a1.ID, a1.ID}
		wantCode(t, db.SaveRecommendation(ctx, &bad, r.Version), biopilot.EINVALID)
		// A stale save is refused.
		stale := *r
		wantCode(t, db.SaveRecommendation(ctx, &stale, r.Version+5), biopilot.ECONFLICT)

		got, err := db.OpenRecommendation(ctx, "gd-2025", store.LevelCity, "440100")
		must(t, err)
		if got.ID != r.ID || len(got.ApplicationIDs) != 2 || got.ApplicationIDs[0] != a2.ID {
			t.Fatalf("open letter %+v", got)
		}
		_, err = db.OpenRecommendation(ctx, "gd-2025", store.LevelCity, "440600")
		wantCode(t, err, biopilot.ENOTFOUND)

		// Propose, then a stale co-seal loses, then co-seal.
		p, err := db.ChangeRecommendation(ctx, store.RecommendationChange{ID: r.ID, From: store.RecDraft,
			To: store.RecProposed, Version: r.Version, Signatures: json.RawMessage(`[{"purpose":"send"}]`)})
		must(t, err)
		_, err = db.ChangeRecommendation(ctx, store.RecommendationChange{ID: r.ID, From: store.RecDraft,
			To: store.RecProposed, Version: r.Version})
		wantCode(t, err, biopilot.ECONFLICT)
		// Content is frozen once proposed.
		frozen := *p
		wantCode(t, db.SaveRecommendation(ctx, &frozen, p.Version), biopilot.ECONFLICT)
		s, err := db.ChangeRecommendation(ctx, store.RecommendationChange{ID: r.ID, From: store.RecProposed,
			To: store.RecSealed, Version: p.Version, Signatures: json.RawMessage(`[{"a":1},{"b":2}]`)})
		must(t, err)
		if s.State != store.RecSealed || string(s.Signatures) != `[{"a":1},{"b":2}]` {
			t.Fatalf("sealed %+v", s)
		}

		// Sending fails as a whole when one application moved meanwhile.
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a1.ID,
			From: biopilot.StateCityRecommended, To: biopilot.StateSubmitted})
		must(t, err)
		trs := map[int64]*biopilot.Transition{a1.ID: {ActorRole: biopilot.RoleCityMIIT}, a2.ID: {ActorRole: biopilot.RoleCityMIIT}}
		_, _, err = db.SendRecommendation(ctx, store.SendRequest{ID: r.ID, Version: s.Version,
			Signatures: json.RawMessage(`[]`), Transitions: trs, At: t0})
		wantCode(t, err, biopilot.ECONFLICT)
		cur, err := db.Application(ctx, a2.ID)
		must(t, err)
		if cur.State != biopilot.StateCityRecommended {
			t.Fatalf("a2 moved to %s although the send failed", cur.State)
		}
		if again, _ := db.Recommendation(ctx, r.ID); again.State != store.RecSealed {
			t.Fatalf("letter state %s after a failed send", again.State)
		}

		// Back to recommended: now the send moves both at once.
		for _, st := range [][2]biopilot.State{{biopilot.StateSubmitted, biopilot.StateCityProposed},
			{biopilot.StateCityProposed, biopilot.StateCityRecommended}} {
			_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a1.ID, From: st[0], To: st[1]})
			must(t, err)
		}
		trs[a1.ID].Data = json.RawMessage(`{"letter_id":1}`)
		sent, apps, err := db.SendRecommendation(ctx, store.SendRequest{ID: r.ID, Version: s.Version,
			Signatures: json.RawMessage(`[{"x":1}]`), Transitions: trs, At: t0})
		must(t, err)
		if sent.State != store.RecSent || !sent.SentAt.Equal(t0.Truncate(1e6)) || len(apps) != 2 || apps[0].ID != a2.ID {
			t.Fatalf("sent %+v apps %d", sent, len(apps))
		}
		for _, a := range apps {
			if a.State != biopilot.StateAtProvince {
				t.Errorf("application %d is %s", a.ID, a.State)
			}
		}
		ts, err := db.Transitions(ctx, a1.ID)
		must(t, err)
		last := ts[len(ts)-1]
		if last.To != biopilot.StateAtProvince || string(last.Data) != `{"letter_id":1}` {
			t.Errorf("last transition %+v", last)
		}
		// Sent twice: conflict. A new letter can be opened now.
		_, _, err = db.SendRecommendation(ctx, store.SendRequest{ID: r.ID, Version: s.Version,
			Signatures: json.RawMessage(`[]`), Transitions: trs})
		wantCode(t, err, biopilot.ECONFLICT)
		must(t, db.SaveRecommendation(ctx, &store.Recommendation{ProgramID: "gd-2025", Level: store.LevelCity, Jurisdiction: "440100"}, 0))
		list, err := db.Recommendations(ctx, "gd-2025", store.LevelCity, "440100")
		must(t, err)
		if len(list) != 2 || list[1].ID != r.ID {
			t.Fatalf("list %d", len(list))
		}

		// Another city's application cannot be sent in Guangzhou's letter.
		fsLetter := &store.Recommendation{ProgramID: "gd-2025", Level: store.LevelCity, Jurisdiction: "440600",
			ApplicationIDs: []int64{b1.ID}}
		must(t, db.SaveRecommendation(ctx, fsLetter, 0))
		gzLetter := list[0]
		gzLetter.ApplicationIDs = []int64{b1.ID}
		must(t, db.SaveRecommendation(ctx, gzLetter, gzLetter.Version))
		for _, st := range [][2]string{{store.RecDraft, store.RecProposed}, {store.RecProposed, store.RecSealed}} {
			gzLetter, err = db.ChangeRecommendation(ctx, store.RecommendationChange{ID: gzLetter.ID, From: st[0], To: st[1], Version: gzLetter.Version})
			must(t, err)
		}
		_, _, err = db.SendRecommendation(ctx, store.SendRequest{ID: gzLetter.ID, Version: gzLetter.Version,
			Signatures: json.RawMessage(`[]`), Transitions: map[int64]*biopilot.Transition{b1.ID: {}}})
		wantCode(t, err, biopilot.ECONFLICT)
	})
}

// TestRecommendationRace: two people act on one letter at once; exactly one wins.
func TestRecommendationRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gz := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, gz, "a1")
		a := recommended(t, db, gz, u, "平台")
		r := &store.Recommendation{ProgramID: "gd-2025", Level: store.LevelCity, Jurisdiction: "440100", ApplicationIDs: []int64{a.ID}}
		must(t, db.SaveRecommendation(ctx, r, 0))
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = db.ChangeRecommendation(ctx, store.RecommendationChange{ID: r.ID, From: store.RecDraft, To: store.RecProposed, Version: r.Version})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch biopilot.ErrorCode(err) {
			case "":
				wins++
			case biopilot.ECONFLICT:
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d winners, want 1", wins)
		}
	})
}
