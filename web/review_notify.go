package web

import (
	"context"
	"fmt"

	"biopilot"
	"biopilot/authz"
	"biopilot/notify"
	"biopilot/store"
	"biopilot/workflow"
)

// Notification kinds of the review workflow (package notify lists them with their
// labels; a person mutes e-mail per kind).
const (
	kindSubmitted       = string(notify.KindSubmitted)
	kindWithdrawn       = string(notify.KindStatusChanged)
	kindReturned        = string(notify.KindReturned)
	kindReturnedToCity  = string(notify.KindReturnedToCity)
	kindRejected        = string(notify.KindRejected)
	kindRecommended     = string(notify.KindRecommended)
	kindToMinistry      = string(notify.KindRecommendedToMinistry)
	kindCosignRequested = string(notify.KindCosignRequested)
	kindDeclined        = string(notify.KindStatusChanged)
	kindRevoked         = string(notify.KindStatusChanged)
	kindSentToProvince  = string(notify.KindSentToProvince)
)

// audience is who a transition concerns.
type audience struct {
	org       bool          // the applicant's organisation
	role      biopilot.Role // an authority role …
	jur       string        // … in this jurisdiction
	kind      string
	titleFmt  string // with the platform name
	withCause bool   // the body carries the reason
}

// concerned lists, per action, who is told and how.
func (s *Server) concerned(act workflow.Action, app *biopilot.Application) []audience {
	city, prov := app.CityCode, authz.ProvinceOf(app.CityCode) // the application's own province
	switch act {
	case workflow.Submit:
		return []audience{{role: biopilot.RoleCityMIIT, jur: city, kind: kindSubmitted, titleFmt: "新提交的申请：%s"}}
	case workflow.Withdraw:
		return []audience{{role: biopilot.RoleCityMIIT, jur: city, kind: kindWithdrawn, titleFmt: "申请已被申报单位撤回：%s"}}
	case workflow.CityReturn:
		return []audience{{org: true, kind: kindReturned, titleFmt: "申请被退回修改：%s", withCause: true}}
	case workflow.CityReject:
		return []audience{{org: true, kind: kindRejected, titleFmt: "地市不予推荐：%s", withCause: true}}
	case workflow.CityPropose:
		return []audience{{role: biopilot.RoleCityDRC, jur: city, kind: kindCosignRequested, titleFmt: "请会签推荐意见：%s"}}
	case workflow.CityDecline:
		return []audience{{role: biopilot.RoleCityMIIT, jur: city, kind: kindDeclined, titleFmt: "发展改革部门未会签，已退回：%s", withCause: true}}
	case workflow.CityCosign:
		return []audience{{org: true, kind: kindRecommended, titleFmt: "地市已推荐：%s"},
			{role: biopilot.RoleCityMIIT, jur: city, kind: kindRecommended, titleFmt: "会签完成，已推荐：%s"}}
	case workflow.CityRevoke:
		return []audience{{role: biopilot.RoleCityDRC, jur: city, kind: kindRevoked, titleFmt: "推荐已撤销：%s", withCause: true}}
	case workflow.CitySend:
		return []audience{{org: true, kind: kindSentToProvince, titleFmt: "已报送省工业和信息化厅：%s"},
			{role: biopilot.RoleProvMIIT, jur: prov, kind: kindSentToProvince, titleFmt: "地市报送的申请：%s"}}
	case workflow.ProvReturn:
		return []audience{{role: biopilot.RoleCityMIIT, jur: city, kind: kindReturnedToCity, titleFmt: "省级退回地市：%s", withCause: true}}
	case workflow.ProvReject:
		return []audience{{org: true, kind: kindRejected, titleFmt: "省级不予推荐：%s", withCause: true},
			{role: biopilot.RoleCityMIIT, jur: city, kind: kindRejected, titleFmt: "省级不予推荐：%s", withCause: true}}
	case workflow.ProvPropose:
		return []audience{{role: biopilot.RoleProvDRC, jur: prov, kind: kindCosignRequested, titleFmt: "请会签省级推荐意见：%s"}}
	case workflow.ProvDecline:
		return []audience{{role: biopilot.RoleProvMIIT, jur: prov, kind: kindDeclined, titleFmt: "省发展改革委未会签，已退回：%s", withCause: true}}
	case workflow.ProvCosign:
		return []audience{{org: true, kind: kindToMinistry, titleFmt: "已推荐至工业和信息化部：%s"},
			{role: biopilot.RoleCityMIIT, jur: city, kind: kindToMinistry, titleFmt: "省级已推荐至工业和信息化部：%s"}}
	}
	return nil
}

// notifyTransition tells the people a transition concerns, in the application
// (站内消息). The actor is not told of their own action. A failure is logged: the
// transition has happened.
func (s *Server) notifyTransition(ctx context.Context, actor *biopilot.User, app *biopilot.Application, act workflow.Action, reason string) {
	name := app.PlatformName
	if name == "" {
		name = fmt.Sprintf("申请 %d", app.ID)
	}
	for _, a := range s.concerned(act, app) {
		f := store.UserFilter{Role: a.role, Jurisdiction: a.jur, Limit: 500}
		if a.org {
			f = store.UserFilter{OrgID: app.OrgID, Role: biopilot.RoleApplicant, Limit: 500}
		}
		users, err := s.db.Users(ctx, f)
		if err != nil {
			s.logger.ErrorContext(ctx, "notify: users", "err", err)
			continue
		}
		body := ""
		if a.withCause && reason != "" {
			body = "理由：" + reason
		}
		for _, u := range users {
			if u.Disabled || (actor != nil && u.ID == actor.ID) {
				continue
			}
			n := &store.Notification{UserID: u.ID, Kind: a.kind, Title: fmt.Sprintf(a.titleFmt, name),
				Body: body, Link: fmt.Sprintf("/applications/%d", app.ID), CreatedAt: s.now()}
			if err := s.deliver(ctx, u, n); err != nil {
				s.logger.ErrorContext(ctx, "notify: deliver", "user_id", u.ID, "kind", a.kind, "err", err)
			}
		}
	}
}

// deliver records an in-app notification for u and, through the notifier when
// one is configured, e-mails it unless u muted the kind.
func (s *Server) deliver(ctx context.Context, u *biopilot.User, n *store.Notification) error {
	if s.notifier != nil {
		return s.notifier.Notify(ctx, u, notify.Message{Kind: notify.Kind(n.Kind), Title: n.Title, Body: n.Body, Link: n.Link})
	}
	return s.db.AddNotification(ctx, n)
}
