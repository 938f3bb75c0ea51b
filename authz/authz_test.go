package authz

import (
	"time"

	"biopilot/workflow"
	"testing"

	"biopilot"
)

// Fixtures: organisation 1 in 广州 (440100), organisation 2 in 佛山 (440600).
var (
	applicantA = &biopilot.User{ID: 1, Role: biopilot.RoleApplicant, OrgID: 1, OrgAdmin: true}
	applicantB = &biopilot.User{ID: 2, Role: biopilot.RoleApplicant, OrgID: 2}
	cityGZ     = &biopilot.User{ID: 3, Role: biopilot.RoleCityMIIT, Jurisdiction: "440100"}
	cityGZDRC  = &biopilot.User{ID: 4, Role: biopilot.RoleCityDRC, Jurisdiction: "440100"}
	cityFS     = &biopilot.User{ID: 5, Role: biopilot.RoleCityMIIT, Jurisdiction: "440600"}
	province   = &biopilot.User{ID: 6, Role: biopilot.RoleProvMIIT, Jurisdiction: "440000"}
	provDRC    = &biopilot.User{ID: 7, Role: biopilot.RoleProvDRC, Jurisdiction: "440000"}
	otherProv  = &biopilot.User{ID: 8, Role: biopilot.RoleProvMIIT, Jurisdiction: "450000"}
	ministry   = &biopilot.User{ID: 9, Role: biopilot.RoleMinistry, Jurisdiction: biopilot.CountryCode}
	expert     = &biopilot.User{ID: 10, Role: biopilot.RoleExpert}
	admin      = &biopilot.User{ID: 11, Role: biopilot.RoleAdmin}
	secAdmin   = &biopilot.User{ID: 12, Role: biopilot.RoleSecurityAdmin}
	auditor    = &biopilot.User{ID: 13, Role: biopilot.RoleAuditor}
)

func app(state biopilot.State) *biopilot.Application {
	return &biopilot.Application{ID: 100, OrgID: 1, CityCode: "440100", State: state}
}

// visibleStates states, for each caller, which states of organisation 1's
// application (filed to 广州) it sees. It is written out by hand from workflow.md,
// independently of the implementation.
func visibleStates(u *biopilot.User) map[biopilot.State]bool {
	all := map[biopilot.State]bool{}
	for _, s := range biopilot.States {
		all[s] = true
	}
	some := func(ss ...biopilot.State) map[biopilot.State]bool {
		m := map[biopilot.State]bool{}
		for _, s := range ss {
			m[s] = true
		}
		return m
	}
	switch u {
	case applicantA:
		return all
	case cityGZ, cityGZDRC:
		delete(all, biopilot.StateDraft)
		return all
	case province, provDRC:
		return some("city_recommended", "at_province", "province_rejected", "prov_proposed",
			"recommended_to_ministry", "expert_review", "publicized", "listed", "not_listed", "removed")
	case ministry:
		return some("recommended_to_ministry", "expert_review", "publicized", "listed", "not_listed", "removed")
	}
	return nil // applicantB, cityFS, otherProv, expert, operators: nothing
}

func TestCheckRolesByStates(t *testing.T) {
	users := []*biopilot.User{applicantA, applicantB, cityGZ, cityGZDRC, cityFS, province,
		provDRC, otherProv, ministry, expert, admin, secAdmin, auditor}
	for _, u := range users {
		vis := visibleStates(u)
		for _, st := range biopilot.States {
			a := app(st)
			for _, act := range []Action{View, Export, Eligibility, History, Edit} {
				err := Check(u, act, a)
				var want string
				switch {
				case !vis[st]:
					want = biopilot.ENOTFOUND
				case act == Edit && (u.Role != biopilot.RoleApplicant || !st.Editable()):
					want = biopilot.EFORBIDDEN
				}
				if got := errCode(err); got != want {
					t.Errorf("%s(jur %s org %d) %s on %s: code %q, want %q (%v)",
						u.Role, u.Jurisdiction, u.OrgID, act, st, got, want, err)
				}
			}
			if got := CanSee(u, a); got != vis[st] {
				t.Errorf("CanSee(%s, %s) = %v", u.Role, st, got)
			}
		}
	}
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	return biopilot.ErrorCode(err)
}

func TestCheckAnonymousAndDisabled(t *testing.T) {
	for _, a := range Actions {
		if got := errCode(Check(nil, a, app(biopilot.StateDraft))); got != biopilot.EUNAUTHORIZED {
			t.Errorf("nil user %s: %q", a, got)
		}
	}
	disabled := *applicantA
	disabled.Disabled = true
	if got := errCode(Check(&disabled, View, app(biopilot.StateDraft))); got != biopilot.EUNAUTHORIZED {
		t.Errorf("disabled user: %q", got)
	}
	if got := errCode(Check(applicantA, View, nil)); got != biopilot.ENOTFOUND {
		t.Errorf("nil application: %q", got)
	}
}

func TestCheckTransition(t *testing.T) {
	d := workflow.Deadlines{Applicant: time.Date(2025, 7, 5, 0, 0, 0, 0, biopilot.Beijing),
		City: time.Date(2025, 7, 11, 0, 0, 0, 0, biopilot.Beijing)}
	now := time.Date(2025, 7, 1, 0, 0, 0, 0, biopilot.Beijing)
	for _, tc := range []struct {
		u     *biopilot.User
		act   workflow.Action
		state biopilot.State
		want  string
	}{
		{applicantA, workflow.Submit, "draft", ""},
		{applicantA, workflow.Submit, "returned", ""},
		{applicantA, workflow.Submit, "submitted", biopilot.ECONFLICT},
		{applicantA, workflow.Withdraw, "submitted", ""},
		{applicantA, workflow.Withdraw, "city_recommended", biopilot.ECONFLICT},
		{applicantB, workflow.Submit, "draft", biopilot.ENOTFOUND},
		{cityGZ, workflow.Submit, "submitted", biopilot.EFORBIDDEN},
		{cityGZ, workflow.CityReturn, "submitted", ""},
		{cityGZ, workflow.CityPropose, "submitted", ""},
		{cityGZDRC, workflow.CityCosign, "city_proposed", ""},
		{cityGZ, workflow.CityCosign, "city_proposed", biopilot.EFORBIDDEN},
		{cityGZ, workflow.CityReject, "city_recommended", biopilot.ECONFLICT},
		{cityGZ, workflow.CityReturn, "draft", biopilot.ENOTFOUND},
		{cityFS, workflow.CityReturn, "submitted", biopilot.ENOTFOUND},
		{cityGZ, workflow.CitySend, "city_recommended", ""},
		{cityGZDRC, workflow.CitySend, "city_recommended", biopilot.EFORBIDDEN},
		{province, workflow.ProvPropose, "at_province", ""},
		{provDRC, workflow.ProvCosign, "prov_proposed", ""},
		{province, workflow.ProvReturn, "city_recommended", biopilot.ECONFLICT},
		{province, workflow.ProvPropose, "submitted", biopilot.ENOTFOUND},
		{ministry, workflow.ProvPropose, "expert_review", biopilot.EFORBIDDEN},
		{nil, workflow.Submit, "draft", biopilot.EUNAUTHORIZED},
	} {
		_, err := CheckTransition(tc.u, tc.act, app(tc.state), now, d)
		if got := errCode(err); got != tc.want {
			t.Errorf("%v %s on %s: %q, want %q", tc.u, tc.act, tc.state, got, tc.want)
		}
	}
	if _, err := CheckTransition(applicantA, workflow.Submit, app("draft"), d.Applicant, d); errCode(err) != biopilot.EDEADLINE {
		t.Errorf("submit after deadline: %v", err)
	}
}

func TestScope(t *testing.T) {
	if s := Scope(applicantA); s.None || s.OrgID != 1 || s.States != nil || s.CityCode != "" {
		t.Errorf("applicant scope %+v", s)
	}
	if s := Scope(cityFS); s.None || s.CityCode != "440600" || s.OrgID != 0 || len(s.States) != len(biopilot.States)-1 {
		t.Errorf("city scope %+v", s)
	}
	if s := Scope(province); s.None || s.Province != "440000" || len(s.States) != len(ProvinceStates) {
		t.Errorf("province scope %+v", s)
	}
	for _, u := range []*biopilot.User{nil, expert, admin, secAdmin, auditor,
		{Role: biopilot.RoleApplicant}, {Role: biopilot.RoleCityMIIT}, {Role: biopilot.RoleMinistry, Jurisdiction: "440000"}} {
		if s := Scope(u); !s.None {
			t.Errorf("scope of %+v = %+v, want none", u, s)
		}
	}
	if UsesSnapshot(applicantA) || !UsesSnapshot(cityGZ) || !UsesSnapshot(province) {
		t.Error("UsesSnapshot")
	}
}

func TestAccountChecks(t *testing.T) {
	colleague := &biopilot.User{ID: 20, Role: biopilot.RoleApplicant, OrgID: 1}
	stranger := &biopilot.User{ID: 21, Role: biopilot.RoleApplicant, OrgID: 2}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"create app applicant", CheckCreateApplication(applicantA), ""},
		{"create app city", CheckCreateApplication(cityGZ), biopilot.EFORBIDDEN},
		{"create app anonymous", CheckCreateApplication(nil), biopilot.EUNAUTHORIZED},
		{"preview anyone", CheckPreview(cityGZ), ""},
		{"preview anonymous", CheckPreview(nil), biopilot.EUNAUTHORIZED},
		{"members org admin", CheckManageMembers(applicantA), ""},
		{"members non-admin", CheckManageMembers(applicantB), biopilot.EFORBIDDEN},
		{"members city", CheckManageMembers(cityGZ), biopilot.EFORBIDDEN},
		{"member colleague", CheckMember(applicantA, colleague), ""},
		{"member stranger", CheckMember(applicantA, stranger), biopilot.ENOTFOUND},
		{"member self", CheckMember(applicantA, applicantA), biopilot.EFORBIDDEN},
		{"member by non-admin", CheckMember(applicantB, stranger), biopilot.EFORBIDDEN},
		{"create city account", CheckCreateAccount(admin, biopilot.RoleCityMIIT), ""},
		{"create auditor", CheckCreateAccount(admin, biopilot.RoleAuditor), ""},
		{"create applicant", CheckCreateAccount(admin, biopilot.RoleApplicant), biopilot.EINVALID},
		{"create bad role", CheckCreateAccount(admin, "boss"), biopilot.EINVALID},
		{"create by security admin", CheckCreateAccount(secAdmin, biopilot.RoleExpert), biopilot.EFORBIDDEN},
		{"create by city", CheckCreateAccount(cityGZ, biopilot.RoleExpert), biopilot.EFORBIDDEN},
		{"disable by security admin", CheckAccountAdmin(secAdmin, applicantB), ""},
		{"disable self", CheckAccountAdmin(secAdmin, secAdmin), biopilot.EFORBIDDEN},
		{"disable by admin", CheckAccountAdmin(admin, applicantB), biopilot.EFORBIDDEN},
		{"disable by auditor", CheckAccountAdmin(auditor, applicantB), biopilot.EFORBIDDEN},
		{"disable nobody", CheckAccountAdmin(secAdmin, nil), biopilot.ENOTFOUND},
		{"disable anonymous", CheckAccountAdmin(nil, applicantB), biopilot.EUNAUTHORIZED},
	} {
		if got := errCode(tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q (%v)", tc.name, got, tc.want, tc.err)
		}
	}
}

func TestCheckLetter(t *testing.T) {
	miit := &biopilot.User{ID: 1, Role: biopilot.RoleCityMIIT, Jurisdiction: "440100"}
	drc := &biopilot.User{ID: 2, Role: biopilot.RoleCityDRC, Jurisdiction: "440100"}
	fsMIIT := &biopilot.User{ID: 3, Role: biopilot.RoleCityMIIT, Jurisdiction: "440600"}
	prov := &biopilot.User{ID: 4, Role: biopilot.RoleProvMIIT, Jurisdiction: "440000"}
	tests := []struct {
		u    *biopilot.User
		a    LetterAction
		want string
	}{
		{nil, LetterView, biopilot.EUNAUTHORIZED},
		{miit, LetterView, ""}, {drc, LetterView, ""},
		{miit, LetterEdit, ""}, {miit, LetterPropose, ""}, {miit, LetterSend, ""},
		{miit, LetterCosign, biopilot.EFORBIDDEN}, {miit, LetterDecline, biopilot.EFORBIDDEN},
		{drc, LetterCosign, ""}, {drc, LetterDecline, ""},
		{drc, LetterEdit, biopilot.EFORBIDDEN}, {drc, LetterSend, biopilot.EFORBIDDEN}, {drc, LetterPropose, biopilot.EFORBIDDEN},
		{fsMIIT, LetterView, biopilot.ENOTFOUND}, {fsMIIT, LetterSend, biopilot.ENOTFOUND},
		{prov, LetterView, biopilot.EFORBIDDEN},
	}
	for _, tc := range tests {
		if got := biopilot.ErrorCode(CheckLetter(tc.u, tc.a, "440100")); got != tc.want {
			t.Errorf("%v %s: %q, want %q", tc.u, tc.a, got, tc.want)
		}
	}
}

func TestCheckLetterRead(t *testing.T) {
	miit := &biopilot.User{ID: 1, Role: biopilot.RoleCityMIIT, Jurisdiction: "440100"}
	drc := &biopilot.User{ID: 2, Role: biopilot.RoleCityDRC, Jurisdiction: "440100"}
	fsMIIT := &biopilot.User{ID: 3, Role: biopilot.RoleCityMIIT, Jurisdiction: "440600"}
	prov := &biopilot.User{ID: 4, Role: biopilot.RoleProvMIIT, Jurisdiction: "440000"}
	provDRC := &biopilot.User{ID: 5, Role: biopilot.RoleProvDRC, Jurisdiction: "440000"}
	otherProv := &biopilot.User{ID: 6, Role: biopilot.RoleProvMIIT, Jurisdiction: "450000"}
	disabledProv := &biopilot.User{ID: 7, Role: biopilot.RoleProvMIIT, Jurisdiction: "440000", Disabled: true}
	applicant := &biopilot.User{ID: 8, Role: biopilot.RoleApplicant, OrgID: 1}
	ministry := &biopilot.User{ID: 9, Role: biopilot.RoleMinistry}
	tests := []struct {
		u    *biopilot.User
		sent bool
		want string
	}{
		{nil, true, biopilot.EUNAUTHORIZED}, {disabledProv, true, biopilot.EUNAUTHORIZED},
		{miit, false, ""}, {miit, true, ""}, {drc, false, ""}, {drc, true, ""},
		{fsMIIT, false, biopilot.ENOTFOUND}, {fsMIIT, true, biopilot.ENOTFOUND},
		{prov, false, biopilot.ENOTFOUND}, {prov, true, ""}, {provDRC, true, ""},
		{otherProv, true, biopilot.ENOTFOUND},
		{applicant, true, biopilot.ENOTFOUND}, {ministry, true, biopilot.ENOTFOUND},
	}
	for _, tc := range tests {
		if got := biopilot.ErrorCode(CheckLetterRead(tc.u, "440100", tc.sent)); got != tc.want {
			t.Errorf("%+v sent=%v: %q, want %q", tc.u, tc.sent, got, tc.want)
		}
	}
}

func TestCheckOperators(t *testing.T) {
	for _, r := range biopilot.Roles {
		u := &biopilot.User{ID: 1, Role: r}
		if got, want := CheckAuditRead(u) == nil, r == biopilot.RoleAuditor; got != want {
			t.Errorf("CheckAuditRead(%s) = %v", r, got)
		}
		if got, want := CheckDeadlines(u) == nil, r == biopilot.RoleAdmin; got != want {
			t.Errorf("CheckDeadlines(%s) = %v", r, got)
		}
	}
	if biopilot.ErrorCode(CheckAuditRead(nil)) != biopilot.EUNAUTHORIZED {
		t.Error("anonymous audit read")
	}
}
