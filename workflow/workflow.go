// Package workflow is the state machine of an application: which role may take which
// action from which state, to which state, and which deadline applies. It is the one
// place that decides transitions; the web layer and the store only carry them out.
// Who may see an application at all (jurisdiction, organisation) is decided by authz.
package workflow

import (
	"fmt"
	"time"

	"biopilot"
)

// Action is something a person does to an application.
type Action string

// Actions. See ../shared/spec/workflow.md.
const (
	Submit   Action = "submit"   // applicant: draft/returned → submitted, before the applicant deadline
	Withdraw Action = "withdraw" // applicant: submitted → draft, while the city has not acted

	CityReturn  Action = "city_return"  // city_miit: submitted → returned, with reasons
	CityReject  Action = "city_reject"  // city_miit: submitted → city_rejected, with a reason
	CityPropose Action = "city_propose" // city_miit: submitted → city_proposed, with checks and opinion
	CityCosign  Action = "city_cosign"  // city_drc: city_proposed → city_recommended
	CityDecline Action = "city_decline" // city_drc: city_proposed → submitted, with a reason
	CityRevoke  Action = "city_revoke"  // city_miit: city_recommended → submitted (withdraw the recommendation before sending)
	CitySend    Action = "city_send"    // city_miit: city_recommended → at_province, before the city deadline (with the 推荐文件)

	ProvReturn  Action = "prov_return"  // prov_miit: at_province → city_recommended, with reasons
	ProvReject  Action = "prov_reject"  // prov_miit: at_province → province_rejected, with a reason
	ProvPropose Action = "prov_propose" // prov_miit: at_province → prov_proposed, with the opinion (section 五)
	ProvCosign  Action = "prov_cosign"  // prov_drc: prov_proposed → recommended_to_ministry
	ProvDecline Action = "prov_decline" // prov_drc: prov_proposed → at_province, with a reason

	// The national stage (issue 8): all by the ministry, in batches (see national.go).
	Assign    Action = "assign"    // ministry: recommended_to_ministry → expert_review (experts assigned)
	Publicize Action = "publicize" // ministry: expert_review → publicized (拟入选; the notice opened)
	NotList   Action = "not_list"  // ministry: expert_review → not_listed (不予入选), publicized → not_listed (upheld objection)
	List      Action = "list"      // ministry: publicized → listed (the list published)
	Remove    Action = "remove"    // ministry: listed → removed (除名, issue 9)
)

// Deadline names which program deadline limits an action.
type Deadline int

// Deadlines.
const (
	NoDeadline Deadline = iota
	ApplicantDeadline
	CityDeadline
)

// Rule is one allowed transition.
type Rule struct {
	Action   Action
	Role     biopilot.Role
	From     []biopilot.State
	To       biopilot.State
	Deadline Deadline
	// NeedsReason is set when the action must carry a reason text.
	NeedsReason bool
	Label       string // the button's Chinese label
}

// Rules is the whole state machine.
var Rules = []Rule{
	{Submit, biopilot.RoleApplicant, []biopilot.State{biopilot.StateDraft, biopilot.StateReturned}, biopilot.StateSubmitted, ApplicantDeadline, false, "提交至地市"},
	{Withdraw, biopilot.RoleApplicant, []biopilot.State{biopilot.StateSubmitted}, biopilot.StateDraft, NoDeadline, false, "撤回申请"},
	{CityReturn, biopilot.RoleCityMIIT, []biopilot.State{biopilot.StateSubmitted}, biopilot.StateReturned, NoDeadline, true, "退回修改"},
	{CityReject, biopilot.RoleCityMIIT, []biopilot.State{biopilot.StateSubmitted}, biopilot.StateCityRejected, NoDeadline, true, "不予推荐"},
	{CityPropose, biopilot.RoleCityMIIT, []biopilot.State{biopilot.StateSubmitted}, biopilot.StateCityProposed, NoDeadline, false, "推荐（提请会签）"},
	{CityCosign, biopilot.RoleCityDRC, []biopilot.State{biopilot.StateCityProposed}, biopilot.StateCityRecommended, NoDeadline, false, "会签同意推荐"},
	{CityDecline, biopilot.RoleCityDRC, []biopilot.State{biopilot.StateCityProposed}, biopilot.StateSubmitted, NoDeadline, true, "退回工业和信息化局"},
	{CityRevoke, biopilot.RoleCityMIIT, []biopilot.State{biopilot.StateCityRecommended}, biopilot.StateSubmitted, NoDeadline, true, "撤销推荐"},
	{CitySend, biopilot.RoleCityMIIT, []biopilot.State{biopilot.StateCityRecommended}, biopilot.StateAtProvince, CityDeadline, false, "报送省工业和信息化厅"},
	{ProvReturn, biopilot.RoleProvMIIT, []biopilot.State{biopilot.StateAtProvince}, biopilot.StateCityRecommended, NoDeadline, true, "退回地市"},
	{ProvReject, biopilot.RoleProvMIIT, []biopilot.State{biopilot.StateAtProvince}, biopilot.StateProvinceRejected, NoDeadline, true, "不予推荐"},
	{ProvPropose, biopilot.RoleProvMIIT, []biopilot.State{biopilot.StateAtProvince}, biopilot.StateProvProposed, NoDeadline, false, "推荐（提请会签）"},
	{ProvCosign, biopilot.RoleProvDRC, []biopilot.State{biopilot.StateProvProposed}, biopilot.StateRecommendedToMinistry, NoDeadline, false, "会签同意推荐"},
	{ProvDecline, biopilot.RoleProvDRC, []biopilot.State{biopilot.StateProvProposed}, biopilot.StateAtProvince, NoDeadline, true, "退回工业和信息化厅"},
	{Assign, biopilot.RoleMinistry, []biopilot.State{biopilot.StateRecommendedToMinistry}, biopilot.StateExpertReview, NoDeadline, false, "分配评审专家"},
	{Publicize, biopilot.RoleMinistry, []biopilot.State{biopilot.StateExpertReview}, biopilot.StatePublicized, NoDeadline, false, "拟入选并公示"},
	{NotList, biopilot.RoleMinistry, []biopilot.State{biopilot.StateExpertReview, biopilot.StatePublicized}, biopilot.StateNotListed, NoDeadline, true, "不予入选"},
	{List, biopilot.RoleMinistry, []biopilot.State{biopilot.StatePublicized}, biopilot.StateListed, NoDeadline, false, "发布入选名单"},
	{Remove, biopilot.RoleMinistry, []biopilot.State{biopilot.StateListed}, biopilot.StateRemoved, NoDeadline, true, "除名"},
}

// Deadlines are the instants from which deadline-bound actions are refused.
type Deadlines struct {
	Applicant time.Time
	City      time.Time
}

// Next decides whether role may take action on an application in state from at now,
// and returns the state it moves to. The error is a *biopilot.Error: EFORBIDDEN when
// the role may never take the action, ECONFLICT when the state does not allow it,
// EDEADLINE when the deadline has passed.
func Next(from biopilot.State, action Action, role biopilot.Role, now time.Time, d Deadlines) (biopilot.State, error) {
	r := Find(action)
	if r == nil {
		return "", biopilot.Errorf(biopilot.EBADREQUEST, "未知的操作 %q", action)
	}
	if r.Role != role {
		return "", biopilot.Errorf(biopilot.EFORBIDDEN, "「%s」只能由%s办理", r.Label, r.Role.Label())
	}
	if !contains(r.From, from) {
		return "", biopilot.Errorf(biopilot.ECONFLICT, "申请当前状态为「%s」，不能%s", from.Label(), r.Label)
	}
	switch r.Deadline {
	case ApplicantDeadline:
		if !now.Before(d.Applicant) {
			return "", biopilot.Errorf(biopilot.EDEADLINE, "申报已于 %s 截止，不能再提交", fmtDeadline(d.Applicant))
		}
	case CityDeadline:
		if !now.Before(d.City) {
			return "", biopilot.Errorf(biopilot.EDEADLINE, "地市报送已于 %s 截止，不能再报送", fmtDeadline(d.City))
		}
	}
	return r.To, nil
}

// Available lists the actions role may take on an application in state at now
// (deadlines included), in the order of Rules: the buttons to show on one
// application. Batch actions (Rule.Batch) are left out: they have their own pages.
func Available(state biopilot.State, role biopilot.Role, now time.Time, d Deadlines) []Rule {
	var out []Rule
	for _, r := range Rules {
		if r.Batch() {
			continue
		}
		if _, err := Next(state, r.Action, role, now, d); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the rule of an action, or nil.
func Find(a Action) *Rule {
	for i := range Rules {
		if Rules[i].Action == a {
			return &Rules[i]
		}
	}
	return nil
}

func contains(list []biopilot.State, s biopilot.State) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fmtDeadline prints an exclusive deadline as the end of its last day, Beijing time:
// 2025-07-05 00:00 prints as "2025年7月4日 24:00".
func fmtDeadline(t time.Time) string {
	t = t.In(biopilot.Beijing)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		d := t.AddDate(0, 0, -1)
		return fmt.Sprintf("%d年%d月%d日 24:00（北京时间）", d.Year(), d.Month(), d.Day())
	}
	return t.Format("2006年1月2日 15:04") + "（北京时间）"
}
