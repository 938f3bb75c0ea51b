package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestSaveDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		li, wang := newApplicant(t, db, org, "li"), newApplicant(t, db, org, "wang")
		a := newApp(t, db, org, li, "旧名称", "enzymes")

		doc2 := json.RawMessage(`{"platform":{"name":"新名称"}}`)
		got, err := db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 1,
			Document: doc2, PlatformName: "新名称", Domains: []string{"energy", "chemicals"},
			Verdict: "eligible", UserID: wang.ID, At: t0})
		must(t, err)
		if got.Version != 2 || string(got.Document) != string(doc2) || got.PlatformName != "新名称" ||
			fmt.Sprint(got.Domains) != "[energy chemicals]" || got.Verdict != "eligible" ||
			got.UpdatedBy != wang.ID || got.CreatedBy != li.ID || !got.UpdatedAt.Equal(t0.Truncate(time.Millisecond)) ||
			got.OrgName != org.Name {
			t.Errorf("after save: %+v", got)
		}
		if again, _ := db.Application(ctx, a.ID); again.Version != 2 || string(again.Document) != string(doc2) {
			t.Errorf("stored: %+v", again)
		}

		// li still edits version 1: refused, nothing changed, the current version in Detail.
		doc3 := json.RawMessage(`{"platform":{"name":"李的名称"}}`)
		_, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 1,
			Document: doc3, PlatformName: "李的名称", UserID: li.ID})
		e := wantCode(t, err, biopilot.ECONFLICT)
		if e.Message != "该申请已被他人修改（当前版本 2），请先查看对方的修改" {
			t.Errorf("stale message %q", e.Message)
		}
		cur, ok := e.Detail.(*biopilot.Application)
		if !ok || cur.Version != 2 || string(cur.Document) != string(doc2) || cur.UpdatedBy != wang.ID {
			t.Errorf("stale Detail = %#v", e.Detail)
		}
		if again, _ := db.Application(ctx, a.ID); again.Version != 2 || string(again.Document) != string(doc2) ||
			fmt.Sprint(again.Domains) != "[energy chemicals]" {
			t.Errorf("stale save changed the application: %+v", again)
		}

		// The history keeps every version, each with its author.
		vs, err := db.ApplicationVersions(ctx, a.ID)
		must(t, err)
		if len(vs) != 2 || vs[0].Version != 2 || vs[0].UserID != wang.ID || vs[1].Version != 1 || vs[1].UserID != li.ID {
			t.Errorf("versions: %+v %+v", vs[0], vs[1])
		}
		v1, err := db.ApplicationVersionDocument(ctx, a.ID, 1)
		must(t, err)
		if string(v1.Document) != string(a.Document) {
			t.Errorf("version 1 document %s", v1.Document)
		}
		_, err = db.ApplicationVersionDocument(ctx, a.ID, 3)
		wantCode(t, err, biopilot.ENOTFOUND)

		// Not editable once submitted, editable again once returned.
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft, To: biopilot.StateSubmitted})
		must(t, err)
		_, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 2, Document: doc3, UserID: li.ID})
		e = wantCode(t, err, biopilot.ECONFLICT)
		if e.Message != "申请当前状态为「已提交，待地市审核」，不能修改" || e.Detail != nil {
			t.Errorf("wrong-state save: %q %v", e.Message, e.Detail)
		}
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateSubmitted, To: biopilot.StateReturned})
		must(t, err)
		got, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 2, Document: doc3, UserID: li.ID})
		must(t, err)
		if got.Version != 3 || got.State != biopilot.StateReturned {
			t.Errorf("save when returned: %+v", got)
		}

		_, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: 9999, BaseVersion: 1, Document: doc3})
		wantCode(t, err, biopilot.ENOTFOUND)
		_, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 3, Document: json.RawMessage(`{`)})
		wantCode(t, err, biopilot.EINVALID)
		_, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 3, Document: doc3, UserID: 9999})
		wantCode(t, err, biopilot.EINVALID)
		if again, _ := db.Application(ctx, a.ID); again.Version != 3 {
			t.Errorf("failed saves changed the version: %d", again.Version)
		}
	})
}

// TestConcurrentSaves: colleagues saving the same version the night before the
// deadline. Exactly one wins; the others get the winner's version.
func TestConcurrentSaves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		const n = 8
		users := make([]*biopilot.User, n)
		for i := range users {
			users[i] = newApplicant(t, db, org, fmt.Sprintf("u%d", i))
		}
		a := newApp(t, db, org, users[0], "平台")
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 1,
					Document: json.RawMessage(fmt.Sprintf(`{"by":%d}`, i)), UserID: users[i].ID})
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch biopilot.ErrorCode(err) {
			case "":
				if winner >= 0 {
					t.Errorf("saves %d and %d both won", winner, i)
				}
				winner = i
			case biopilot.ECONFLICT:
				cur, _ := biopilot.AsError(err).Detail.(*biopilot.Application)
				if cur == nil || cur.Version != 2 {
					t.Errorf("save %d: conflict Detail %#v", i, biopilot.AsError(err).Detail)
				}
			default:
				t.Errorf("save %d: %v", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no save won")
		}
		got, _ := db.Application(ctx, a.ID)
		if got.Version != 2 || string(got.Document) != fmt.Sprintf(`{"by":%d}`, winner) || got.UpdatedBy != users[winner].ID {
			t.Errorf("stored %+v, winner %d", got, winner)
		}
		vs, _ := db.ApplicationVersions(ctx, a.ID)
		if len(vs) != 2 {
			t.Errorf("%d versions, want 2", len(vs))
		}
	})
}

func TestTransition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		li := newApplicant(t, db, org, "li")
		reviewer := &biopilot.User{Username: "gz-miit", DisplayName: "审核员", Role: biopilot.RoleCityMIIT, Jurisdiction: "440100"}
		must(t, db.CreateUser(ctx, reviewer))
		a := newApp(t, db, org, li, "平台")

		snap := json.RawMessage(`{"platform":{"name":"平台"},"frozen":true}`)
		tr := &biopilot.Transition{ActorID: li.ID, ActorRole: biopilot.RoleApplicant, ActorName: "li",
			Data: json.RawMessage(`{"confirm":true}`), At: t0}
		got, err := db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft,
			To: biopilot.StateSubmitted, Transition: tr, Snapshot: snap, SnapshotHash: "abc123", BaseVersion: 1})
		must(t, err)
		at := t0.Truncate(time.Millisecond)
		if got.State != biopilot.StateSubmitted || string(got.Snapshot) != string(snap) || got.SnapshotHash != "abc123" ||
			!got.SubmittedAt.Equal(at) || !got.UpdatedAt.Equal(at) || got.Version != 1 {
			t.Errorf("after submit: %+v", got)
		}
		if tr.ID == 0 || tr.ApplicationID != a.ID || tr.From != biopilot.StateDraft || tr.To != biopilot.StateSubmitted || !tr.At.Equal(at) {
			t.Errorf("transition record: %+v", tr)
		}

		// A second actor acting on the old state is refused with the current state named.
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft, To: biopilot.StateSubmitted})
		e := wantCode(t, err, biopilot.ECONFLICT)
		if e.Message != "该申请的状态已被他人更改（当前为「已提交，待地市审核」），请刷新后重试" {
			t.Errorf("message %q", e.Message)
		}

		// Without a snapshot the snapshot stays; without a record one is still kept.
		got, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateSubmitted,
			To: biopilot.StateCityProposed, Transition: &biopilot.Transition{ActorID: reviewer.ID,
				ActorRole: reviewer.Role, ActorName: "审核员", Reason: "符合条件", At: t0.Add(time.Hour)}})
		must(t, err)
		if string(got.Snapshot) != string(snap) || !got.SubmittedAt.Equal(at) {
			t.Errorf("snapshot changed by a later transition: %+v", got)
		}
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateCityProposed,
			To: biopilot.StateCityRecommended})
		must(t, err)

		ts, err := db.Transitions(ctx, a.ID)
		must(t, err)
		if len(ts) != 3 {
			t.Fatalf("%d transitions, want 3", len(ts))
		}
		if ts[0].ID != tr.ID || ts[0].ActorID != li.ID || ts[0].ActorRole != biopilot.RoleApplicant ||
			string(ts[0].Data) != `{"confirm":true}` || !ts[0].At.Equal(at) {
			t.Errorf("first transition: %+v", ts[0])
		}
		if ts[1].From != biopilot.StateSubmitted || ts[1].To != biopilot.StateCityProposed || ts[1].Reason != "符合条件" ||
			ts[1].ActorName != "审核员" || ts[1].Data != nil {
			t.Errorf("second transition: %+v", ts[1])
		}
		if ts[2].ActorID != 0 || ts[2].To != biopilot.StateCityRecommended {
			t.Errorf("third transition: %+v", ts[2])
		}
		if none, err := db.Transitions(ctx, 9999); err != nil || len(none) != 0 {
			t.Errorf("Transitions(9999) = %v, %v", none, err)
		}

		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: 9999, From: biopilot.StateDraft, To: biopilot.StateSubmitted})
		wantCode(t, err, biopilot.ENOTFOUND)
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: "limbo", To: biopilot.StateSubmitted})
		wantCode(t, err, biopilot.EINVALID)
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateCityRecommended, To: "heaven"})
		wantCode(t, err, biopilot.EINVALID)
	})
}

// TestTransitionStaleVersion: a submit that snapshotted version 1 while a
// colleague saved version 2 is refused, so the snapshot never misses the save.
func TestTransitionStaleVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		li := newApplicant(t, db, org, "li")
		a := newApp(t, db, org, li, "平台")
		_, err := db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 1,
			Document: json.RawMessage(`{"v":2}`), UserID: li.ID})
		must(t, err)
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft,
			To: biopilot.StateSubmitted, Snapshot: a.Document, SnapshotHash: "h1", BaseVersion: 1})
		e := wantCode(t, err, biopilot.ECONFLICT)
		if cur, _ := e.Detail.(*biopilot.Application); cur == nil || cur.Version != 2 || !strings.Contains(e.Message, "当前版本 2") {
			t.Errorf("stale submit: %q %#v", e.Message, e.Detail)
		}
		got, _ := db.Application(ctx, a.ID)
		if got.State != biopilot.StateDraft || got.Snapshot != nil {
			t.Errorf("stale submit changed the application: %+v", got)
		}
		if ts, _ := db.Transitions(ctx, a.ID); len(ts) != 0 {
			t.Errorf("stale submit recorded %d transitions", len(ts))
		}
	})
}

// TestConcurrentTransitions: two reviewers act at once; exactly one wins.
func TestConcurrentTransitions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		li := newApplicant(t, db, org, "li")
		a := newApp(t, db, org, li, "平台")
		_, err := db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft, To: biopilot.StateSubmitted})
		must(t, err)
		targets := []biopilot.State{biopilot.StateReturned, biopilot.StateCityRejected, biopilot.StateCityProposed,
			biopilot.StateReturned, biopilot.StateCityRejected, biopilot.StateCityProposed}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, len(targets))
		for i, to := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID,
					From: biopilot.StateSubmitted, To: to, Transition: &biopilot.Transition{Reason: fmt.Sprint(i)}})
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch biopilot.ErrorCode(err) {
			case "":
				if winner >= 0 {
					t.Errorf("transitions %d and %d both won", winner, i)
				}
				winner = i
			case biopilot.ECONFLICT:
				if !strings.HasPrefix(biopilot.ErrorMessage(err), "该申请的状态已被他人更改") {
					t.Errorf("loser %d: %q", i, biopilot.ErrorMessage(err))
				}
			default:
				t.Errorf("transition %d: %v", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no transition won")
		}
		got, _ := db.Application(ctx, a.ID)
		if got.State != targets[winner] {
			t.Errorf("state %s, winner wanted %s", got.State, targets[winner])
		}
		ts, _ := db.Transitions(ctx, a.ID)
		if len(ts) != 2 || ts[1].Reason != fmt.Sprint(winner) {
			t.Errorf("transitions recorded: %d, last %+v", len(ts), ts[len(ts)-1])
		}
	})
}

// TestTransitionFailureLeavesState: the state update runs first, then the record
// fails (an actor that does not exist); the whole transaction rolls back.
func TestTransitionFailureLeavesState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		li := newApplicant(t, db, org, "li")
		a := newApp(t, db, org, li, "平台")
		_, err := db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft,
			To: biopilot.StateSubmitted, Transition: &biopilot.Transition{ActorID: 424242},
			Snapshot: json.RawMessage(`{"x":1}`), SnapshotHash: "h"})
		if err == nil {
			t.Fatal("transition with a missing actor succeeded")
		}
		got, _ := db.Application(ctx, a.ID)
		if got.State != biopilot.StateDraft || got.Snapshot != nil || got.SnapshotHash != "" || !got.SubmittedAt.IsZero() ||
			!got.UpdatedAt.Equal(a.UpdatedAt) {
			t.Errorf("failed transition left %+v", got)
		}
		if ts, _ := db.Transitions(ctx, a.ID); len(ts) != 0 {
			t.Errorf("%d transitions recorded", len(ts))
		}
		// A cancelled context fails the same way and leaves the state too.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := db.Transition(cctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft,
			To: biopilot.StateSubmitted}); err == nil {
			t.Fatal("transition with a cancelled context succeeded")
		}
		if got, _ := db.Application(ctx, a.ID); got.State != biopilot.StateDraft {
			t.Errorf("state %s after cancelled transition", got.State)
		}
		// The application still moves normally afterwards.
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft, To: biopilot.StateSubmitted})
		must(t, err)
	})
}
