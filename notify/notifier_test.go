package notify_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
	"biopilot/notify"
	"biopilot/store"
	"biopilot/store/storetest"
)

// t0 is a fixed time in Beijing.
var t0 = time.Date(2025, 7, 1, 10, 0, 0, 0, biopilot.Beijing)

// fakeMailer records what it was asked to send; it fails for addresses in fail.
type fakeMailer struct {
	mu   sync.Mutex
	sent []mailSent
	fail map[string]bool
}

type mailSent struct{ to, subject, body string }

func (m *fakeMailer) Send(ctx context.Context, to, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail[to] {
		return errors.New("mailbox unavailable")
	}
	m.sent = append(m.sent, mailSent{to, subject, body})
	return nil
}

func (m *fakeMailer) recipients() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var to []string
	for _, s := range m.sent {
		to = append(to, s.to)
	}
	sort.Strings(to)
	return to
}

func (m *fakeMailer) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is a small population: two organisations in Guangzhou (440100) and
// Foshan (440600), and the authorities of both cities and the province.
type world struct {
	db         *store.DB
	orgGZ      *biopilot.Organisation
	orgFS      *biopilot.Organisation
	users      map[string]*biopilot.User
	appGZ      *biopilot.Application
	appFS      *biopilot.Application
	mailer     *fakeMailer
	notifier   *notify.Notifier
	programID  string
	nextUSCCNo int
}

func newWorld(t *testing.T, db *store.DB, programID string) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, users: map[string]*biopilot.User{}, mailer: &fakeMailer{}, programID: programID}
	org := func(name, city string) *biopilot.Organisation {
		w.nextUSCCNo++
		o := &biopilot.Organisation{Name: name, USCC: fmt.Sprintf("91440100MA5%07d", w.nextUSCCNo), CityCode: city}
		must(t, db.CreateOrganisation(ctx, o))
		return o
	}
	w.orgGZ, w.orgFS = org("广东示例酶工程有限公司", "440100"), org("佛山示例生物有限公司", "440600")
	user := func(name string, role biopilot.Role, orgID int64, jurisdiction, email string, disabled bool) {
		u := &biopilot.User{Username: name, DisplayName: name, Role: role, OrgID: orgID,
			Jurisdiction: jurisdiction, Email: email, Disabled: disabled, PasswordHash: "x"}
		must(t, db.CreateUser(ctx, u))
		w.users[name] = u
	}
	user("chen", biopilot.RoleApplicant, w.orgGZ.ID, "", "chen@example.com", false)
	user("li", biopilot.RoleApplicant, w.orgGZ.ID, "", "li@example.com", false)
	user("gone", biopilot.RoleApplicant, w.orgGZ.ID, "", "gone@example.com", true)
	user("nomail", biopilot.RoleApplicant, w.orgGZ.ID, "", "", false)
	user("fs", biopilot.RoleApplicant, w.orgFS.ID, "", "fs@example.com", false)
	user("gzmiit", biopilot.RoleCityMIIT, 0, "440100", "gzmiit@example.gov.cn", false)
	user("gzdrc", biopilot.RoleCityDRC, 0, "440100", "gzdrc@example.gov.cn", false)
	user("fsmiit", biopilot.RoleCityMIIT, 0, "440600", "fsmiit@example.gov.cn", false)
	user("provmiit", biopilot.RoleProvMIIT, 0, "440000", "provmiit@example.gov.cn", false)
	user("provdrc", biopilot.RoleProvDRC, 0, "440000", "provdrc@example.gov.cn", false)
	app := func(o *biopilot.Organisation, by *biopilot.User, name string) *biopilot.Application {
		a := &biopilot.Application{ProgramID: programID, OrgID: o.ID, CreatedBy: by.ID,
			Document: []byte(`{}`), PlatformName: name}
		must(t, db.CreateApplication(ctx, a))
		return a
	}
	w.appGZ = app(w.orgGZ, w.users["chen"], "示例酶制剂中试平台")
	w.appFS = app(w.orgFS, w.users["fs"], "佛山发酵中试平台")
	w.notifier = notify.New(db, w.mailer, nil, "https://biopilot.example.cn/")
	return w
}

// inbox returns the usernames that have a notification of kind, sorted.
func (w *world) inbox(t *testing.T, kind notify.Kind) []string {
	t.Helper()
	var names []string
	for name, u := range w.users {
		ns, err := w.db.Notifications(context.Background(), u.ID, false, 500)
		must(t, err)
		for _, n := range ns {
			if n.Kind == string(kind) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names
}

func TestTransitionRecipients(t *testing.T) {
	tests := []struct {
		name     string
		from, to biopilot.State
		actor    string
		kind     notify.Kind
		inbox    string // usernames notified
		mail     string // addresses e-mailed
		title    string
	}{
		{"submitted", biopilot.StateDraft, biopilot.StateSubmitted, "chen", notify.KindSubmitted,
			"[gzmiit]", "[gzmiit@example.gov.cn]", "已提交，待审核"},
		{"resubmitted", biopilot.StateReturned, biopilot.StateSubmitted, "chen", notify.KindSubmitted,
			"[gzmiit]", "[gzmiit@example.gov.cn]", "修改后重新提交"},
		// li muted "returned"; gone is disabled; nomail has no address.
		{"returned", biopilot.StateSubmitted, biopilot.StateReturned, "gzmiit", notify.KindReturned,
			"[chen li nomail]", "[chen@example.com]", "被退回修改"},
		{"city proposes", biopilot.StateSubmitted, biopilot.StateCityProposed, "gzmiit", notify.KindCosignRequested,
			"[gzdrc]", "[gzdrc@example.gov.cn]", "待会签"},
		{"city recommends", biopilot.StateCityProposed, biopilot.StateCityRecommended, "gzdrc", notify.KindRecommended,
			"[chen li nomail]", "[chen@example.com]", "已获地市推荐"},
		{"city rejects", biopilot.StateSubmitted, biopilot.StateCityRejected, "gzmiit", notify.KindRejected,
			"[chen li nomail]", "[chen@example.com li@example.com]", "未获地市推荐"},
		{"sent to province", biopilot.StateCityRecommended, biopilot.StateAtProvince, "gzmiit", notify.KindSentToProvince,
			"[chen li nomail provmiit]", "[chen@example.com li@example.com provmiit@example.gov.cn]", "报送省级"},
		{"province returns to city", biopilot.StateAtProvince, biopilot.StateCityRecommended, "provmiit", notify.KindReturnedToCity,
			"[gzdrc gzmiit]", "[gzdrc@example.gov.cn gzmiit@example.gov.cn]", "省级退回"},
		{"province proposes", biopilot.StateAtProvince, biopilot.StateProvProposed, "provmiit", notify.KindCosignRequested,
			"[provdrc]", "[provdrc@example.gov.cn]", "省级推荐意见待会签"},
		{"province rejects", biopilot.StateAtProvince, biopilot.StateProvinceRejected, "provmiit", notify.KindRejected,
			"[chen gzmiit li nomail]", "[chen@example.com gzmiit@example.gov.cn li@example.com]", "未获省级推荐"},
		{"to the ministry", biopilot.StateProvProposed, biopilot.StateRecommendedToMinistry, "provdrc", notify.KindRecommendedToMinistry,
			"[chen gzmiit li nomail]", "[chen@example.com gzmiit@example.gov.cn li@example.com]", "推荐至工业和信息化部"},
		{"listed", biopilot.StatePublicized, biopilot.StateListed, "provmiit", notify.KindStatusChanged,
			"[chen li nomail]", "[chen@example.com li@example.com]", "已入库"},
		// The actor is not told of their own action.
		{"actor excluded", biopilot.StateSubmitted, biopilot.StateReturned, "chen", notify.KindReturned,
			"[li nomail]", "[]", "被退回修改"},
		{"withdrawn", biopilot.StateSubmitted, biopilot.StateDraft, "chen", "", "[]", "[]", ""},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, "gd-2025-biomfg-pilot")
		ctx := context.Background()
		must(t, db.SetMute(ctx, w.users["li"].ID, string(notify.KindReturned), true))
		must(t, db.SetMute(ctx, w.users["li"].ID, string(notify.KindRecommended), true))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Each case starts with empty inboxes.
				if _, err := db.SQL().Exec(`DELETE FROM notifications`); err != nil {
					t.Fatal(err)
				}
				w.mailer.reset()
				actor := w.users[tt.actor]
				tr := &biopilot.Transition{ApplicationID: w.appGZ.ID, From: tt.from, To: tt.to, ActorID: actor.ID,
					ActorRole: actor.Role, ActorName: actor.DisplayName, Reason: "营业执照复印件不清晰", At: t0}
				n, err := w.notifier.Transition(ctx, w.appGZ, tr)
				must(t, err)
				var got []string
				if tt.kind != "" {
					got = w.inbox(t, tt.kind)
				}
				if fmt.Sprint(got) != tt.inbox && !(len(got) == 0 && tt.inbox == "[]") {
					t.Errorf("notified %v, want %s", got, tt.inbox)
				}
				if n != len(got) {
					t.Errorf("Transition returned %d, %d notified", n, len(got))
				}
				if mail := w.mailer.recipients(); fmt.Sprint(mail) != tt.mail && !(len(mail) == 0 && tt.mail == "[]") {
					t.Errorf("e-mailed %v, want %s", mail, tt.mail)
				}
				if tt.kind == "" {
					return
				}
				u := w.users[strings.Fields(strings.Trim(tt.inbox, "[]"))[0]]
				ns, err := db.Notifications(ctx, u.ID, true, 0)
				must(t, err)
				if len(ns) != 1 || !strings.Contains(ns[0].Title, tt.title) || !strings.Contains(ns[0].Title, "示例酶制剂中试平台") ||
					ns[0].Link != fmt.Sprintf("/applications/%d", w.appGZ.ID) || !strings.Contains(ns[0].Body, "原因：营业执照复印件不清晰") {
					t.Errorf("notification %+v", ns)
				}
				for _, m := range w.mailer.sent {
					if !strings.Contains(m.body, fmt.Sprintf("https://biopilot.example.cn/applications/%d", w.appGZ.ID)) ||
						m.subject != ns[0].Title {
						t.Errorf("e-mail %+v", m)
					}
				}
			})
		}
	})
}

func TestNotifyMailFailureKeepsNotification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, "p")
		w.mailer.fail = map[string]bool{"chen@example.com": true}
		ctx := context.Background()
		must(t, w.notifier.Notify(ctx, w.users["chen"], notify.Message{Kind: notify.KindReturned, Title: "退回"}))
		if n, _ := db.UnreadCount(ctx, w.users["chen"].ID); n != 1 {
			t.Fatalf("%d notifications", n)
		}
		// An invalid notification is an error and sends nothing.
		if err := w.notifier.Notify(ctx, w.users["li"], notify.Message{Kind: notify.KindReturned}); biopilot.ErrorCode(err) != biopilot.EINVALID {
			t.Fatalf("err = %v", err)
		}
		if len(w.mailer.sent) != 0 {
			t.Fatalf("sent %v", w.mailer.sent)
		}
		// Without a mailer: in-app only.
		n := notify.New(db, nil, nil, "")
		must(t, n.Notify(ctx, w.users["li"], notify.Message{Kind: notify.KindReturned, Title: "退回"}))
		if n, _ := db.UnreadCount(ctx, w.users["li"].ID); n != 1 {
			t.Fatalf("%d notifications", n)
		}
	})
}

func TestKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range notify.Kinds {
		if !k.Valid() || k.Label() == string(k) || seen[k.Label()] {
			t.Errorf("kind %q: label %q", k, k.Label())
		}
		seen[k.Label()] = true
	}
	for _, k := range []notify.Kind{notify.KindReturned, notify.KindRecommended, notify.KindCosignRequested,
		notify.KindDeadline3d, notify.KindDeadline24h, notify.KindRejected, notify.KindSentToProvince} {
		if !slices.Contains(notify.Kinds, k) {
			t.Errorf("%q not listed", k)
		}
	}
	if notify.Kind("nope").Valid() {
		t.Error("unknown kind valid")
	}
}
