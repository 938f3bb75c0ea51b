package authz

import (
	"testing"

	"biopilot"
)

func TestCheckDashboard(t *testing.T) {
	for _, tc := range []struct {
		name     string
		u        *biopilot.User
		province string
		code     string
	}{
		{"ministry: the whole country", &biopilot.User{Role: biopilot.RoleMinistry, Jurisdiction: biopilot.CountryCode}, "", ""},
		{"ministry role without the country", &biopilot.User{Role: biopilot.RoleMinistry, Jurisdiction: "440000"}, "", biopilot.EFORBIDDEN},
		{"disabled ministry", &biopilot.User{Role: biopilot.RoleMinistry, Jurisdiction: biopilot.CountryCode, Disabled: true}, "", biopilot.EUNAUTHORIZED},
		{"province MIIT: its province", &biopilot.User{Role: biopilot.RoleProvMIIT, Jurisdiction: "440000"}, "440000", ""},
		{"province DRC: its province", &biopilot.User{Role: biopilot.RoleProvDRC, Jurisdiction: "320000"}, "320000", ""},
		{"province without jurisdiction", &biopilot.User{Role: biopilot.RoleProvMIIT}, "", biopilot.EFORBIDDEN},
		{"city", &biopilot.User{Role: biopilot.RoleCityMIIT, Jurisdiction: "440100"}, "", biopilot.EFORBIDDEN},
		{"applicant", &biopilot.User{Role: biopilot.RoleApplicant, OrgID: 1}, "", biopilot.EFORBIDDEN},
		{"expert", &biopilot.User{Role: biopilot.RoleExpert}, "", biopilot.EFORBIDDEN},
		{"admin", &biopilot.User{Role: biopilot.RoleAdmin}, "", biopilot.EFORBIDDEN},
		{"anonymous", nil, "", biopilot.EUNAUTHORIZED},
	} {
		got, err := CheckDashboard(tc.u)
		if code := biopilot.ErrorCode(err); code != tc.code || got != tc.province {
			t.Errorf("%s: (%q, %q), want (%q, %q)", tc.name, got, code, tc.province, tc.code)
		}
	}
	for _, tc := range []struct {
		province, city string
		want           bool
	}{
		{"", "440100", true}, {"440000", "440100", true}, {"440000", "320100", false}, {"320000", "320581", true},
	} {
		if got := InDashboard(tc.province, tc.city); got != tc.want {
			t.Errorf("InDashboard(%q, %q) = %v", tc.province, tc.city, got)
		}
	}
}
