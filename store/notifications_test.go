package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "单位", "440100")
		a := newApplicant(t, db, org, "chen")
		b := newApplicant(t, db, org, "li")
		var ids []int64
		for i := 0; i < 3; i++ {
			n := &store.Notification{UserID: a.ID, Kind: "returned", Title: fmt.Sprintf("申请已退回 %d", i),
				Body: "请按意见修改", Link: "/applications/1", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
			must(t, db.AddNotification(ctx, n))
			if n.ID == 0 || !n.CreatedAt.Equal(t0.Add(time.Duration(i)*time.Second).Truncate(time.Millisecond)) {
				t.Fatalf("added %+v", n)
			}
			ids = append(ids, n.ID)
		}
		must(t, db.AddNotification(ctx, &store.Notification{UserID: b.ID, Kind: "recommended", Title: "已推荐"}))

		list, err := db.Notifications(ctx, a.ID, false, 0)
		must(t, err)
		if len(list) != 3 || list[0].ID != ids[2] || list[2].ID != ids[0] || list[0].Body != "请按意见修改" ||
			list[0].Link != "/applications/1" || list[0].Kind != "returned" || !list[0].ReadAt.IsZero() {
			t.Fatalf("Notifications = %+v", list)
		}
		if list, _ := db.Notifications(ctx, a.ID, false, 2); len(list) != 2 {
			t.Fatalf("limit 2: %d", len(list))
		}
		if n, _ := db.UnreadCount(ctx, a.ID); n != 3 {
			t.Fatalf("UnreadCount = %d", n)
		}

		// Only one's own notifications can be marked read.
		wantCode(t, db.MarkRead(ctx, b.ID, ids[1]), biopilot.ENOTFOUND)
		wantCode(t, db.MarkRead(ctx, a.ID, 9999), biopilot.ENOTFOUND)
		db.SetClock(biopilot.NewFakeClock(t0.Add(time.Hour)))
		must(t, db.MarkRead(ctx, a.ID, ids[1]))
		db.SetClock(biopilot.NewFakeClock(t0.Add(2 * time.Hour)))
		must(t, db.MarkRead(ctx, a.ID, ids[1])) // again: keeps the first time
		list, err = db.Notifications(ctx, a.ID, false, 0)
		must(t, err)
		if !list[1].ReadAt.Equal(t0.Add(time.Hour).Truncate(time.Millisecond)) {
			t.Fatalf("read at %v", list[1].ReadAt)
		}
		unread, err := db.Notifications(ctx, a.ID, true, 0)
		must(t, err)
		if len(unread) != 2 || unread[0].ID != ids[2] || unread[1].ID != ids[0] {
			t.Fatalf("unread = %+v", unread)
		}
		if n, _ := db.UnreadCount(ctx, a.ID); n != 2 {
			t.Fatalf("UnreadCount = %d", n)
		}
		if n, err := db.MarkAllRead(ctx, a.ID); err != nil || n != 2 {
			t.Fatalf("MarkAllRead = %d, %v", n, err)
		}
		if n, _ := db.UnreadCount(ctx, a.ID); n != 0 {
			t.Fatalf("UnreadCount = %d", n)
		}
		if n, _ := db.UnreadCount(ctx, b.ID); n != 1 {
			t.Fatalf("b's UnreadCount = %d", n)
		}

		e := wantCode(t, db.AddNotification(ctx, &store.Notification{UserID: 9999, Kind: "returned", Title: "x"}), biopilot.EINVALID)
		if e.Field != "user_id" {
			t.Errorf("field %q", e.Field)
		}
		wantCode(t, db.AddNotification(ctx, &store.Notification{UserID: a.ID, Title: "x"}), biopilot.EINVALID)
		wantCode(t, db.AddNotification(ctx, &store.Notification{UserID: a.ID, Kind: "returned"}), biopilot.EINVALID)
	})
}

func TestNotificationMutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "单位", "440100")
		a := newApplicant(t, db, org, "chen")
		must(t, db.SetMute(ctx, a.ID, "deadline_3d", true))
		must(t, db.SetMute(ctx, a.ID, "deadline_3d", true)) // idempotent
		must(t, db.SetMute(ctx, a.ID, "returned", true))
		must(t, db.SetMute(ctx, a.ID, "returned", false))
		must(t, db.SetMute(ctx, a.ID, "recommended", false)) // not muted: nothing to do
		m, err := db.Mutes(ctx, a.ID)
		must(t, err)
		if len(m) != 1 || !m["deadline_3d"] {
			t.Fatalf("Mutes = %v", m)
		}
		wantCode(t, db.SetMute(ctx, 9999, "returned", true), biopilot.ENOTFOUND)
		wantCode(t, db.SetMute(ctx, a.ID, "", true), biopilot.EINVALID)
	})
}

func TestMarkSentOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "单位", "440100")
		a := newApplicant(t, db, org, "chen")
		first, err := db.MarkSent(ctx, "k1")
		must(t, err)
		again, err := db.MarkSent(ctx, "k1")
		must(t, err)
		if !first || again {
			t.Fatalf("MarkSent: first %v, again %v", first, again)
		}
		wantCode(t, func() error { _, err := db.MarkSent(ctx, ""); return err }(), biopilot.EINVALID)

		// Concurrent reminders with one key: exactly one notification.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.AddNotificationOnce(ctx, "deadline_3d:x", &store.Notification{UserID: a.ID,
					Kind: "deadline_3d", Title: "距截止还有 3 天"})
				if err != nil {
					t.Error(err)
				} else if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d winners", wins.Load())
		}
		if n, _ := db.UnreadCount(ctx, a.ID); n != 1 {
			t.Fatalf("%d notifications", n)
		}
		// A failed insert does not record the key: the reminder can be sent later.
		if _, err := db.AddNotificationOnce(ctx, "k2", &store.Notification{UserID: 9999, Kind: "x", Title: "x"}); err == nil {
			t.Fatal("notification to nobody added")
		}
		if first, _ := db.MarkSent(ctx, "k2"); !first {
			t.Fatal("the key of a failed notification was kept")
		}
	})
}
