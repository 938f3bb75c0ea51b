package workflow

import (
	"testing"
	"time"

	"biopilot"
)

var (
	deadlines = Deadlines{
		Applicant: time.Date(2025, 7, 5, 0, 0, 0, 0, biopilot.Beijing),
		City:      time.Date(2025, 7, 11, 0, 0, 0, 0, biopilot.Beijing),
	}
	early = time.Date(2025, 7, 1, 9, 0, 0, 0, biopilot.Beijing)
)

// TestEveryTransition walks every state × action × role: exactly the rules' triples
// are allowed, each to its state; everything else is refused with the right code.
func TestEveryTransition(t *testing.T) {
	allowed := map[[3]string]biopilot.State{
		{"draft", "submit", "applicant"}:                 biopilot.StateSubmitted,
		{"returned", "submit", "applicant"}:              biopilot.StateSubmitted,
		{"submitted", "withdraw", "applicant"}:           biopilot.StateDraft,
		{"submitted", "city_return", "city_miit"}:        biopilot.StateReturned,
		{"submitted", "city_reject", "city_miit"}:        biopilot.StateCityRejected,
		{"submitted", "city_propose", "city_miit"}:       biopilot.StateCityProposed,
		{"city_proposed", "city_cosign", "city_drc"}:     biopilot.StateCityRecommended,
		{"city_proposed", "city_decline", "city_drc"}:    biopilot.StateSubmitted,
		{"city_recommended", "city_revoke", "city_miit"}: biopilot.StateSubmitted,
		{"city_recommended", "city_send", "city_miit"}:   biopilot.StateAtProvince,
		{"at_province", "prov_return", "prov_miit"}:      biopilot.StateCityRecommended,
		{"at_province", "prov_reject", "prov_miit"}:      biopilot.StateProvinceRejected,
		{"at_province", "prov_propose", "prov_miit"}:     biopilot.StateProvProposed,
		{"prov_proposed", "prov_cosign", "prov_drc"}:     biopilot.StateRecommendedToMinistry,
		{"prov_proposed", "prov_decline", "prov_drc"}:    biopilot.StateAtProvince,
		// The national stage.
		{"recommended_to_ministry", "assign", "ministry"}: biopilot.StateExpertReview,
		{"expert_review", "publicize", "ministry"}:        biopilot.StatePublicized,
		{"expert_review", "not_list", "ministry"}:         biopilot.StateNotListed,
		{"publicized", "not_list", "ministry"}:            biopilot.StateNotListed,
		{"publicized", "list", "ministry"}:                biopilot.StateListed,
		{"listed", "remove", "ministry"}:                  biopilot.StateRemoved,
	}
	n := 0
	for _, s := range biopilot.States {
		for _, r := range Rules {
			for _, role := range biopilot.Roles {
				key := [3]string{string(s), string(r.Action), string(role)}
				to, err := Next(s, r.Action, role, early, deadlines)
				want, ok := allowed[key]
				switch {
				case ok && err != nil:
					t.Errorf("%v: refused: %v", key, err)
				case ok && to != want:
					t.Errorf("%v: to %s, want %s", key, to, want)
				case !ok && err == nil:
					t.Errorf("%v: allowed to %s, want refused", key, to)
				case !ok && role != r.Role && biopilot.ErrorCode(err) != biopilot.EFORBIDDEN:
					t.Errorf("%v: code %s, want forbidden (wrong role)", key, biopilot.ErrorCode(err))
				case !ok && role == r.Role && biopilot.ErrorCode(err) != biopilot.ECONFLICT:
					t.Errorf("%v: code %s, want conflict (wrong state)", key, biopilot.ErrorCode(err))
				}
				if ok {
					n++
				}
			}
		}
	}
	if n != len(allowed) {
		t.Errorf("allowed %d transitions, want %d", n, len(allowed))
	}
}

// Neither city authority can act for the other.
func TestJointRecommendationNeedsBoth(t *testing.T) {
	if _, err := Next(biopilot.StateSubmitted, CityPropose, biopilot.RoleCityDRC, early, deadlines); biopilot.ErrorCode(err) != biopilot.EFORBIDDEN {
		t.Errorf("city_drc propose: %v", err)
	}
	if _, err := Next(biopilot.StateCityProposed, CityCosign, biopilot.RoleCityMIIT, early, deadlines); biopilot.ErrorCode(err) != biopilot.EFORBIDDEN {
		t.Errorf("city_miit cosign: %v", err)
	}
	if _, err := Next(biopilot.StateProvProposed, ProvCosign, biopilot.RoleProvMIIT, early, deadlines); biopilot.ErrorCode(err) != biopilot.EFORBIDDEN {
		t.Errorf("prov_miit cosign: %v", err)
	}
}

func TestDeadlines(t *testing.T) {
	last := time.Date(2025, 7, 4, 23, 59, 59, 0, biopilot.Beijing)
	end := time.Date(2025, 7, 5, 0, 0, 0, 0, biopilot.Beijing)
	for _, tc := range []struct {
		name   string
		state  biopilot.State
		action Action
		role   biopilot.Role
		now    time.Time
		ok     bool
	}{
		{"submit last second", biopilot.StateDraft, Submit, biopilot.RoleApplicant, last, true},
		{"submit at midnight", biopilot.StateDraft, Submit, biopilot.RoleApplicant, end, false},
		{"resubmit late", biopilot.StateReturned, Submit, biopilot.RoleApplicant, end.Add(time.Hour), false},
		{"withdraw late is fine", biopilot.StateSubmitted, Withdraw, biopilot.RoleApplicant, end.Add(time.Hour), true},
		{"send before city deadline", biopilot.StateCityRecommended, CitySend, biopilot.RoleCityMIIT, deadlines.City.Add(-time.Second), true},
		{"send after city deadline", biopilot.StateCityRecommended, CitySend, biopilot.RoleCityMIIT, deadlines.City, false},
		// 23:59 on 4 July in UTC is 07:59 on 5 July in Beijing: too late.
		{"UTC clock, Beijing deadline", biopilot.StateDraft, Submit, biopilot.RoleApplicant, time.Date(2025, 7, 4, 23, 59, 0, 0, time.UTC), false},
		{"UTC afternoon before", biopilot.StateDraft, Submit, biopilot.RoleApplicant, time.Date(2025, 7, 4, 15, 59, 0, 0, time.UTC), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Next(tc.state, tc.action, tc.role, tc.now, deadlines)
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && biopilot.ErrorCode(err) != biopilot.EDEADLINE {
				t.Errorf("err = %v, want deadline", err)
			}
		})
	}
	_, err := Next(biopilot.StateDraft, Submit, biopilot.RoleApplicant, end, deadlines)
	if msg := biopilot.ErrorMessage(err); msg != "申报已于 2025年7月4日 24:00（北京时间） 截止，不能再提交" {
		t.Errorf("message = %q", msg)
	}
}

func TestAvailable(t *testing.T) {
	got := Available(biopilot.StateSubmitted, biopilot.RoleCityMIIT, early, deadlines)
	var acts []Action
	for _, r := range got {
		acts = append(acts, r.Action)
	}
	if len(acts) != 3 || acts[0] != CityReturn || acts[1] != CityReject || acts[2] != CityPropose {
		t.Errorf("available = %v", acts)
	}
	if got := Available(biopilot.StateDraft, biopilot.RoleApplicant, deadlines.Applicant, deadlines); len(got) != 0 {
		t.Errorf("after deadline = %v", got)
	}
}
