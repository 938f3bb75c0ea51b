package notify

import (
	"context"
	"fmt"
	"time"

	"biopilot"
	"biopilot/program"
	"biopilot/store"
)

// DeadlineReminders reminds the applicants of every application of prog that is
// still a draft or returned for revision when the applicant deadline is near: once
// when it is 3 days away or less (deadline_3d), once more when it is 24 hours away
// or less (deadline_24h). The deadline is the one an administrator set for the
// program (store.Deadlines), else the program's.
//
// It is idempotent and safe to run from several instances at once: each reminder
// (kind, program, application, person, deadline) is recorded in notification_sent
// in the transaction that records it, so running it every few minutes sends each
// reminder once; a deadline that is extended is reminded of again. It returns the
// number of reminders it sent.
func (n *Notifier) DeadlineReminders(ctx context.Context, prog *program.Program, now time.Time) (int, error) {
	deadline := prog.ApplicantDeadline()
	if d, err := n.DB.Deadlines(ctx, prog.ID); err != nil {
		return 0, err
	} else if d != nil {
		p, err := prog.WithDeadlines(*d)
		if err != nil {
			return 0, fmt.Errorf("notify: deadlines of %s: %w", prog.ID, err)
		}
		deadline = p.ApplicantDeadline()
	}
	left := deadline.Sub(now)
	if deadline.IsZero() || left <= 0 || left > 72*time.Hour {
		return 0, nil
	}
	kind := KindDeadline3d
	if left <= 24*time.Hour {
		kind = KindDeadline24h
	}
	due := deadline.In(biopilot.Beijing).Format("2006-01-02 15:04")

	sent := 0
	f := store.ApplicationFilter{ProgramID: prog.ID, Sort: "id", Limit: 500,
		States: []biopilot.State{biopilot.StateDraft, biopilot.StateReturned}}
	for {
		apps, _, err := n.DB.Applications(ctx, f)
		if err != nil {
			return sent, err
		}
		for _, app := range apps {
			k, err := n.remind(ctx, app, kind, prog.ID, deadline, due)
			sent += k
			if err != nil {
				return sent, err
			}
		}
		if len(apps) < f.Limit {
			return sent, nil
		}
		f.Offset += len(apps)
	}
}

// remind reminds the applicants of one application.
func (n *Notifier) remind(ctx context.Context, app *biopilot.Application, kind Kind, programID string,
	deadline time.Time, due string) (int, error) {
	name := app.PlatformName
	if name == "" {
		name = fmt.Sprintf("第 %d 号申请", app.ID)
	}
	m := Message{Kind: kind, Link: fmt.Sprintf("/applications/%d", app.ID)}
	if kind == KindDeadline24h {
		m.Title = fmt.Sprintf("距申报截止不足 24 小时：「%s」尚未提交", name)
	} else {
		m.Title = fmt.Sprintf("距申报截止不足 3 天：「%s」尚未提交", name)
	}
	m.Body = fmt.Sprintf("「%s」当前状态为「%s」，申报截止时间为 %s（北京时间）。截止后将无法提交，请尽快完善并提交。",
		name, app.State.Label(), due)
	users, err := n.DB.Users(ctx, store.UserFilter{OrgID: app.OrgID, Role: biopilot.RoleApplicant, Limit: 500})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, u := range users {
		if u.Disabled {
			continue
		}
		key := fmt.Sprintf("%s:%s:%d:%d:%s", kind, programID, app.ID, u.ID, deadline.UTC().Format(time.RFC3339))
		ok, err := n.NotifyOnce(ctx, key, u, m)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}
