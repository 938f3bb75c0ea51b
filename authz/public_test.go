package authz

import (
	"testing"

	"biopilot"
)

func TestCheckHandleObjections(t *testing.T) {
	for _, tc := range []struct {
		u    *biopilot.User
		want string
	}{
		{nil, biopilot.EUNAUTHORIZED},
		{&biopilot.User{Role: biopilot.RoleMinistry, Jurisdiction: biopilot.CountryCode, Disabled: true}, biopilot.EUNAUTHORIZED},
		{&biopilot.User{Role: biopilot.RoleMinistry, Jurisdiction: biopilot.CountryCode}, ""},
		{&biopilot.User{Role: biopilot.RoleProvMIIT, Jurisdiction: "440000"}, biopilot.EFORBIDDEN},
		{&biopilot.User{Role: biopilot.RoleCityMIIT, Jurisdiction: "440100"}, biopilot.EFORBIDDEN},
		{&biopilot.User{Role: biopilot.RoleExpert}, biopilot.EFORBIDDEN},
		{&biopilot.User{Role: biopilot.RoleApplicant, OrgID: 1}, biopilot.EFORBIDDEN},
		{&biopilot.User{Role: biopilot.RoleAdmin}, biopilot.EFORBIDDEN},
		{&biopilot.User{Role: biopilot.RoleAuditor}, biopilot.EFORBIDDEN},
	} {
		err := CheckHandleObjections(tc.u)
		if got := biopilot.ErrorCode(err); got != tc.want {
			name := "nil"
			if tc.u != nil {
				name = string(tc.u.Role)
			}
			t.Errorf("%s: %q, want %q (%v)", name, got, tc.want, err)
		}
	}
}
