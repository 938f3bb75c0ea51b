package authz

import (
	"testing"

	"biopilot"
)

func TestCheckAnnualReport(t *testing.T) {
	own := &biopilot.User{ID: 1, Role: biopilot.RoleApplicant, OrgID: 7}
	other := &biopilot.User{ID: 2, Role: biopilot.RoleApplicant, OrgID: 8}
	min := &biopilot.User{ID: 3, Role: biopilot.RoleMinistry, Jurisdiction: biopilot.CountryCode}
	prov := &biopilot.User{ID: 4, Role: biopilot.RoleProvMIIT, Jurisdiction: "440000"}
	listed := &biopilot.Application{ID: 1, OrgID: 7, CityCode: "440100", State: biopilot.StateListed}
	removed := &biopilot.Application{ID: 2, OrgID: 7, CityCode: "440100", State: biopilot.StateRemoved}
	draft := &biopilot.Application{ID: 3, OrgID: 7, CityCode: "440100", State: biopilot.StateDraft}
	for _, tc := range []struct {
		name string
		u    *biopilot.User
		act  AnnualAction
		app  *biopilot.Application
		want string
	}{
		{"own views", own, AnnualView, listed, ""},
		{"own files", own, AnnualFile, listed, ""},
		{"own views removed", own, AnnualView, removed, ""},
		{"own files removed", own, AnnualFile, removed, biopilot.EFORBIDDEN},
		{"own draft is no platform", own, AnnualView, draft, biopilot.ENOTFOUND},
		{"other organisation", other, AnnualView, listed, biopilot.ENOTFOUND},
		{"ministry views", min, AnnualView, removed, ""},
		{"ministry files", min, AnnualFile, listed, biopilot.EFORBIDDEN},
		{"province sees the application, not the reports", prov, AnnualView, listed, biopilot.EFORBIDDEN},
		{"anonymous", nil, AnnualView, listed, biopilot.EUNAUTHORIZED},
	} {
		if got := biopilot.ErrorCode(CheckAnnualReport(tc.u, tc.act, tc.app)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		u    *biopilot.User
		app  *biopilot.Application
		want string
	}{
		{"ministry", min, listed, ""},
		{"ministry, not a platform", min, draft, biopilot.ENOTFOUND},
		{"own applicant", own, listed, biopilot.EFORBIDDEN},
		{"other applicant", other, listed, biopilot.ENOTFOUND},
	} {
		if got := biopilot.ErrorCode(CheckPlatformDecision(tc.u, tc.app)); got != tc.want {
			t.Errorf("decision %s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
