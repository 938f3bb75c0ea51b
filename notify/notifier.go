package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"biopilot"
	"biopilot/store"
)

// Message is one notification, before it is addressed.
type Message struct {
	Kind  Kind
	Title string
	Body  string
	Link  string // a path in the application, e.g. /applications/12
}

// Notifier records in-app notifications through the store and sends them by
// e-mail to people who have an address and did not mute the kind.
//
// E-mail is sent synchronously after the notification is recorded; a failed
// delivery is logged, never returned: the in-app notification is what counts.
type Notifier struct {
	DB     *store.DB
	Mailer Mailer // nil: no e-mail
	Logger *slog.Logger
	// BaseURL is put before links in e-mails ("https://biopilot.example.cn");
	// empty: e-mails carry no link.
	BaseURL string
}

// New returns a notifier. mailer may be nil (no e-mail); logger nil means
// slog.Default().
func New(db *store.DB, mailer Mailer, logger *slog.Logger, baseURL string) *Notifier {
	if logger == nil {
		logger = slog.Default()
	}
	return &Notifier{DB: db, Mailer: mailer, Logger: logger, BaseURL: strings.TrimSuffix(baseURL, "/")}
}

// Notify records m for u and e-mails it unless u has no address, is disabled, or
// muted m.Kind. Only the recording can fail.
func (n *Notifier) Notify(ctx context.Context, u *biopilot.User, m Message) error {
	rec := m.record(u.ID)
	if err := n.DB.AddNotification(ctx, rec); err != nil {
		return err
	}
	n.mail(ctx, u, m)
	return nil
}

// NotifyOnce is Notify for reminders: it does nothing when key was used before
// (by any instance), and reports whether it notified.
func (n *Notifier) NotifyOnce(ctx context.Context, key string, u *biopilot.User, m Message) (bool, error) {
	first, err := n.DB.AddNotificationOnce(ctx, key, m.record(u.ID))
	if err != nil || !first {
		return false, err
	}
	n.mail(ctx, u, m)
	return true, nil
}

func (m Message) record(userID int64) *store.Notification {
	return &store.Notification{UserID: userID, Kind: string(m.Kind), Title: m.Title, Body: m.Body, Link: m.Link}
}

// mail sends m to u by e-mail when that is wanted, logging failures.
func (n *Notifier) mail(ctx context.Context, u *biopilot.User, m Message) {
	if n.Mailer == nil || u.Email == "" || u.Disabled {
		return
	}
	mutes, err := n.DB.Mutes(ctx, u.ID)
	if err != nil {
		n.logger().WarnContext(ctx, "notify: mutes", "user", u.ID, "err", err)
		return
	}
	if mutes[string(m.Kind)] {
		return
	}
	body := m.Body
	if m.Link != "" && n.BaseURL != "" {
		body += "\n\n查看详情：" + n.BaseURL + m.Link
	}
	body += "\n\n（本邮件由系统自动发送，请勿回复。如不希望收到此类邮件，可在系统的“通知设置”中关闭。）"
	if err := n.Mailer.Send(ctx, u.Email, m.Title, body); err != nil {
		n.logger().WarnContext(ctx, "notify: e-mail failed", "user", u.ID, "kind", string(m.Kind), "err", err)
	}
}

func (n *Notifier) logger() *slog.Logger {
	if n.Logger == nil {
		return slog.Default()
	}
	return n.Logger
}

// Transition notifies the people a transition of app concerns and returns how
// many it notified:
//
//	→ submitted                   the city's city_miit: an application awaits review
//	→ returned                    the applicants: returned, with the reason
//	→ city_proposed               the city's city_drc: co-sign the recommendation
//	city_proposed → city_recommended  the applicants: recommended by the city
//	at_province → city_recommended    the city's city_miit and city_drc: returned by the province
//	→ city_rejected, province_rejected  the applicants (and for the province, the city_miit)
//	→ at_province                 the applicants, and the province's prov_miit
//	→ prov_proposed               the province's prov_drc: co-sign
//	→ recommended_to_ministry     the applicants and the city's city_miit
//	→ any later state             the applicants: the state changed
//
// Withdrawing to a draft notifies nobody. The actor is never notified of their own
// action, and disabled accounts are skipped.
func (n *Notifier) Transition(ctx context.Context, app *biopilot.Application, tr *biopilot.Transition) (int, error) {
	type audience struct {
		role         biopilot.Role
		jurisdiction string
	}
	applicants := audience{biopilot.RoleApplicant, ""}
	city := func(r biopilot.Role) audience { return audience{r, app.CityCode} }
	province := func(r biopilot.Role) audience { return audience{r, provinceOf(app.CityCode)} }

	name := app.PlatformName
	if name == "" {
		name = fmt.Sprintf("第 %d 号申请", app.ID)
	}
	who := tr.ActorRole.Label()
	if tr.ActorName != "" {
		who += tr.ActorName
	}
	at := tr.At
	if at.IsZero() {
		at = time.Now()
	}
	when := at.In(biopilot.Beijing).Format("2006-01-02 15:04")
	m := Message{Link: fmt.Sprintf("/applications/%d", app.ID)}
	var to []audience
	switch {
	case tr.To == biopilot.StateSubmitted:
		m.Kind, to = KindSubmitted, []audience{city(biopilot.RoleCityMIIT)}
		verb := "提交"
		if tr.From == biopilot.StateReturned {
			verb = "修改后重新提交"
		}
		m.Title = fmt.Sprintf("「%s」已%s，待审核", name, verb)
		m.Body = fmt.Sprintf("%s于 %s %s了「%s」，请及时审核。", orgOf(app), when, verb, name)
	case tr.To == biopilot.StateReturned:
		m.Kind, to = KindReturned, []audience{applicants}
		m.Title = fmt.Sprintf("「%s」被退回修改", name)
		m.Body = fmt.Sprintf("%s于 %s 将「%s」退回修改。", who, when, name)
	case tr.To == biopilot.StateCityProposed:
		m.Kind, to = KindCosignRequested, []audience{city(biopilot.RoleCityDRC)}
		m.Title = fmt.Sprintf("「%s」的推荐意见待会签", name)
		m.Body = fmt.Sprintf("%s于 %s 拟推荐「%s」，请会同审核并会签。", who, when, name)
	case tr.To == biopilot.StateCityRecommended && tr.From == biopilot.StateAtProvince:
		m.Kind, to = KindReturnedToCity, []audience{city(biopilot.RoleCityMIIT), city(biopilot.RoleCityDRC)}
		m.Title = fmt.Sprintf("省级退回「%s」的推荐", name)
		m.Body = fmt.Sprintf("%s于 %s 将「%s」的推荐退回地市，可修改后重新报送或撤回推荐。", who, when, name)
	case tr.To == biopilot.StateCityRecommended:
		m.Kind, to = KindRecommended, []audience{applicants}
		m.Title = fmt.Sprintf("「%s」已获地市推荐", name)
		m.Body = fmt.Sprintf("「%s」已于 %s 获地市工业和信息化主管部门与发展改革部门联合推荐。", name, when)
	case tr.To == biopilot.StateCityRejected:
		m.Kind, to = KindRejected, []audience{applicants}
		m.Title = fmt.Sprintf("「%s」未获地市推荐", name)
		m.Body = fmt.Sprintf("%s于 %s 决定不推荐「%s」。", who, when, name)
	case tr.To == biopilot.StateProvinceRejected:
		m.Kind, to = KindRejected, []audience{applicants, city(biopilot.RoleCityMIIT)}
		m.Title = fmt.Sprintf("「%s」未获省级推荐", name)
		m.Body = fmt.Sprintf("%s于 %s 决定不向工业和信息化部推荐「%s」。", who, when, name)
	case tr.To == biopilot.StateAtProvince:
		m.Kind, to = KindSentToProvince, []audience{applicants, province(biopilot.RoleProvMIIT)}
		m.Title = fmt.Sprintf("「%s」已报送省级复核", name)
		m.Body = fmt.Sprintf("%s于 %s 将「%s」报送省级复核。", who, when, name)
	case tr.To == biopilot.StateProvProposed:
		m.Kind, to = KindCosignRequested, []audience{province(biopilot.RoleProvDRC)}
		m.Title = fmt.Sprintf("「%s」的省级推荐意见待会签", name)
		m.Body = fmt.Sprintf("%s于 %s 拟向工业和信息化部推荐「%s」，请联合复核并会签。", who, when, name)
	case tr.To == biopilot.StateRecommendedToMinistry:
		m.Kind, to = KindRecommendedToMinistry, []audience{applicants, city(biopilot.RoleCityMIIT)}
		m.Title = fmt.Sprintf("「%s」已推荐至工业和信息化部", name)
		m.Body = fmt.Sprintf("「%s」已于 %s 由省工业和信息化厅、省发展改革委联合推荐至工业和信息化部。", name, when)
	case tr.To == biopilot.StateDraft:
		return 0, nil
	default:
		m.Kind, to = KindStatusChanged, []audience{applicants}
		m.Title = fmt.Sprintf("「%s」状态变更为「%s」", name, tr.To.Label())
		m.Body = fmt.Sprintf("「%s」于 %s 由「%s」变更为「%s」。", name, when, tr.From.Label(), tr.To.Label())
	}
	if r := strings.TrimSpace(tr.Reason); r != "" {
		m.Body += "\n原因：" + r
	}

	sent := 0
	seen := map[int64]bool{tr.ActorID: true}
	for _, a := range to {
		f := store.UserFilter{Role: a.role, Jurisdiction: a.jurisdiction, Limit: 500}
		if a.role == biopilot.RoleApplicant {
			f = store.UserFilter{OrgID: app.OrgID, Role: biopilot.RoleApplicant, Limit: 500}
		} else if a.jurisdiction == "" {
			continue
		}
		users, err := n.DB.Users(ctx, f)
		if err != nil {
			return sent, err
		}
		for _, u := range users {
			if u.Disabled || seen[u.ID] {
				continue
			}
			seen[u.ID] = true
			if err := n.Notify(ctx, u, m); err != nil {
				return sent, err
			}
			sent++
		}
	}
	return sent, nil
}

// orgOf names the applying organisation of app when it is known.
func orgOf(app *biopilot.Application) string {
	if app.OrgName != "" {
		return app.OrgName
	}
	return "申报单位"
}

// provinceOf returns the province of a GB/T 2260 division code: its first two
// digits followed by 0000.
func provinceOf(code string) string {
	if len(code) != 6 {
		return ""
	}
	return code[:2] + "0000"
}
