package workflow

import (
	"testing"
	"time"

	"biopilot"
)

// TestNationalActions: the national stage's actions are the ministry's alone, from
// exactly their states, with no deadline; a province never takes them.
func TestNationalActions(t *testing.T) {
	late := time.Date(2026, 12, 1, 9, 0, 0, 0, biopilot.Beijing) // long after every deadline
	for _, tc := range []struct {
		name   string
		from   biopilot.State
		action Action
		role   biopilot.Role
		to     biopilot.State
		code   string
	}{
		{"assign", biopilot.StateRecommendedToMinistry, Assign, biopilot.RoleMinistry, biopilot.StateExpertReview, ""},
		{"assign twice", biopilot.StateExpertReview, Assign, biopilot.RoleMinistry, "", biopilot.ECONFLICT},
		{"assign by province", biopilot.StateRecommendedToMinistry, Assign, biopilot.RoleProvMIIT, "", biopilot.EFORBIDDEN},
		{"assign by expert", biopilot.StateRecommendedToMinistry, Assign, biopilot.RoleExpert, "", biopilot.EFORBIDDEN},
		{"publicize", biopilot.StateExpertReview, Publicize, biopilot.RoleMinistry, biopilot.StatePublicized, ""},
		{"publicize unreviewed", biopilot.StateRecommendedToMinistry, Publicize, biopilot.RoleMinistry, "", biopilot.ECONFLICT},
		{"not listed at notice", biopilot.StateExpertReview, NotList, biopilot.RoleMinistry, biopilot.StateNotListed, ""},
		{"not listed after objection", biopilot.StatePublicized, NotList, biopilot.RoleMinistry, biopilot.StateNotListed, ""},
		{"not listed once listed", biopilot.StateListed, NotList, biopilot.RoleMinistry, "", biopilot.ECONFLICT},
		{"list", biopilot.StatePublicized, List, biopilot.RoleMinistry, biopilot.StateListed, ""},
		{"list without notice", biopilot.StateExpertReview, List, biopilot.RoleMinistry, "", biopilot.ECONFLICT},
		{"list by province drc", biopilot.StatePublicized, List, biopilot.RoleProvDRC, "", biopilot.EFORBIDDEN},
		{"remove", biopilot.StateListed, Remove, biopilot.RoleMinistry, biopilot.StateRemoved, ""},
		{"remove twice", biopilot.StateRemoved, Remove, biopilot.RoleMinistry, "", biopilot.ECONFLICT},
		{"remove by admin", biopilot.StateListed, Remove, biopilot.RoleAdmin, "", biopilot.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to, err := Next(tc.from, tc.action, tc.role, late, deadlines)
			if tc.code == "" {
				if err != nil || to != tc.to {
					t.Fatalf("Next = %s, %v; want %s", to, err, tc.to)
				}
				return
			}
			if biopilot.ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
			if msg := biopilot.ErrorMessage(err); !hasHan(msg) {
				t.Errorf("message %q is not Chinese", msg)
			}
		})
	}
}

// TestBatchActions: the national actions are batch actions, left out of the
// buttons of a single application; the earlier actions are not.
func TestBatchActions(t *testing.T) {
	for _, a := range NationalActions {
		r := Find(a)
		if r == nil || !r.Batch() || r.Role != biopilot.RoleMinistry || r.Label == "" {
			t.Errorf("%s: rule %+v", a, r)
		}
	}
	for _, a := range []Action{Submit, CityPropose, ProvCosign} {
		if Find(a).Batch() {
			t.Errorf("%s is marked batch", a)
		}
	}
	for _, st := range []biopilot.State{biopilot.StateRecommendedToMinistry, biopilot.StateExpertReview,
		biopilot.StatePublicized, biopilot.StateListed} {
		if got := Available(st, biopilot.RoleMinistry, early, deadlines); len(got) != 0 {
			t.Errorf("%s: ministry buttons %v", st, got)
		}
	}
	if r := Find(NotList); !r.NeedsReason || len(r.From) != 2 {
		t.Errorf("not_list: %+v", r)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
