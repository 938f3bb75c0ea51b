package notify_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"biopilot"
	"biopilot/notify"
	"biopilot/program"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestDeadlineReminders(t *testing.T) {
	prog := program.MustDefault()
	deadline := prog.ApplicantDeadline() // 2025-07-05 00:00 Beijing
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, prog.ID)
		// Guangzhou's application is returned; Foshan's stays a draft; a third,
		// submitted, and one of another program are not reminded.
		move := func(app *biopilot.Application, from, to biopilot.State) {
			_, err := db.Transition(ctx, store.TransitionRequest{ApplicationID: app.ID, From: from, To: to})
			must(t, err)
		}
		move(w.appGZ, biopilot.StateDraft, biopilot.StateSubmitted)
		move(w.appGZ, biopilot.StateSubmitted, biopilot.StateReturned)
		done := &biopilot.Application{ProgramID: prog.ID, OrgID: w.orgFS.ID, Document: []byte(`{}`), PlatformName: "已提交平台"}
		must(t, db.CreateApplication(ctx, done))
		move(done, biopilot.StateDraft, biopilot.StateSubmitted)
		must(t, db.CreateApplication(ctx, &biopilot.Application{ProgramID: "another", OrgID: w.orgFS.ID, Document: []byte(`{}`)}))
		// chen muted the 3-day reminder by e-mail (not in-app).
		must(t, db.SetMute(ctx, w.users["chen"].ID, string(notify.KindDeadline3d), true))

		remind := func(now time.Time) int {
			t.Helper()
			n, err := w.notifier.DeadlineReminders(ctx, prog, now)
			must(t, err)
			return n
		}
		// Applicants: chen, li, nomail of Guangzhou (gone is disabled), fs of Foshan.
		const applicants = 4
		if n := remind(deadline.Add(-73 * time.Hour)); n != 0 {
			t.Fatalf("73 h before: %d reminders", n)
		}
		if n := remind(deadline.Add(-71 * time.Hour)); n != applicants {
			t.Fatalf("71 h before: %d reminders, want %d", n, applicants)
		}
		if got := w.inbox(t, notify.KindDeadline3d); strings.Join(got, " ") != "chen fs li nomail" {
			t.Fatalf("3-day reminders to %v", got)
		}
		if mail := w.mailer.recipients(); strings.Join(mail, " ") != "fs@example.com li@example.com" {
			t.Fatalf("3-day e-mails to %v", mail)
		}
		ns, err := db.Notifications(ctx, w.users["li"].ID, false, 0)
		must(t, err)
		if len(ns) != 1 || !strings.Contains(ns[0].Title, "示例酶制剂中试平台") || !strings.Contains(ns[0].Body, "已退回修改") ||
			!strings.Contains(ns[0].Body, "2025-07-05 00:00") {
			t.Fatalf("reminder %+v", ns[0])
		}
		// Idempotent: later runs in the same window send nothing.
		if n := remind(deadline.Add(-48 * time.Hour)); n != 0 {
			t.Fatalf("second run: %d", n)
		}
		w.mailer.reset()
		if n := remind(deadline.Add(-23 * time.Hour)); n != applicants {
			t.Fatalf("23 h before: %d reminders", n)
		}
		if mail := w.mailer.recipients(); len(mail) != 3 {
			t.Fatalf("24-hour e-mails to %v (chen did not mute these)", mail)
		}
		if n := remind(deadline.Add(-time.Hour)); n != 0 {
			t.Fatalf("second 24-hour run: %d", n)
		}
		if n := remind(deadline.Add(time.Minute)); n != 0 {
			t.Fatalf("after the deadline: %d", n)
		}

		// An extension is reminded of again, relative to the new deadline, and
		// several instances running at once send each reminder once.
		must(t, db.SetDeadlines(ctx, prog.ID, program.Deadlines{Applicant: "2025-07-14", City: "2025-07-20"}, 0,
			"系统维护顺延", time.Time{}))
		newDeadline := time.Date(2025, 7, 15, 0, 0, 0, 0, biopilot.Beijing)
		if n := remind(deadline.Add(-time.Hour)); n != 0 {
			t.Fatalf("10 days before the new deadline: %d", n)
		}
		var total atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := w.notifier.DeadlineReminders(ctx, prog, newDeadline.Add(-50*time.Hour))
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			}()
		}
		wg.Wait()
		if total.Load() != applicants {
			t.Fatalf("concurrent runs sent %d reminders, want %d", total.Load(), applicants)
		}
		ns, err = db.Notifications(ctx, w.users["li"].ID, false, 0)
		must(t, err)
		if len(ns) != 3 || !strings.Contains(ns[0].Body, "2025-07-15 00:00") {
			t.Fatalf("after the extension: %+v", ns[0])
		}
	})
}
