package authz

import (
	"testing"

	"biopilot"
)

var (
	provMinistryRole = &biopilot.User{ID: 20, Role: biopilot.RoleMinistry, Jurisdiction: "440000"} // misconfigured: not the country
	expert2          = &biopilot.User{ID: 21, Role: biopilot.RoleExpert}
	disabledMinistry = &biopilot.User{ID: 22, Role: biopilot.RoleMinistry, Jurisdiction: biopilot.CountryCode, Disabled: true}
)

// TestCheckMinistry: only the ministry with the country's jurisdiction runs the
// national stage; a province (even one given the ministry's role) never does.
func TestCheckMinistry(t *testing.T) {
	for _, tc := range []struct {
		name string
		u    *biopilot.User
		code string
	}{
		{"ministry", ministry, ""},
		{"anonymous", nil, biopilot.EUNAUTHORIZED},
		{"disabled ministry", disabledMinistry, biopilot.EUNAUTHORIZED},
		{"ministry role with a province's jurisdiction", provMinistryRole, biopilot.EFORBIDDEN},
		{"province", province, biopilot.EFORBIDDEN},
		{"province drc", provDRC, biopilot.EFORBIDDEN},
		{"city", cityGZ, biopilot.EFORBIDDEN},
		{"applicant", applicantA, biopilot.EFORBIDDEN},
		{"expert", expert, biopilot.EFORBIDDEN},
		{"admin", admin, biopilot.EFORBIDDEN},
		{"auditor", auditor, biopilot.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := biopilot.ErrorCode(CheckMinistry(tc.u)); got != tc.code {
				t.Errorf("CheckMinistry = %q, want %q", got, tc.code)
			}
			if CanSeeReviewers(tc.u) != (tc.code == "") {
				t.Errorf("CanSeeReviewers = %v", CanSeeReviewers(tc.u))
			}
		})
	}
}

// TestCheckMinistryApp: the ministry acts on recommended applications only; a
// province sees the application but may not act (403); a city of another place
// and an applicant of another organisation do not see it (404).
func TestCheckMinistryApp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		u     *biopilot.User
		state biopilot.State
		code  string
	}{
		{"ministry, recommended", ministry, biopilot.StateRecommendedToMinistry, ""},
		{"ministry, in review", ministry, biopilot.StateExpertReview, ""},
		{"ministry, still at the province", ministry, biopilot.StateAtProvince, biopilot.ENOTFOUND},
		{"ministry, draft", ministry, biopilot.StateDraft, biopilot.ENOTFOUND},
		{"province sees but may not", province, biopilot.StateExpertReview, biopilot.EFORBIDDEN},
		{"other province", otherProv, biopilot.StateExpertReview, biopilot.ENOTFOUND},
		{"own applicant", applicantA, biopilot.StateExpertReview, biopilot.EFORBIDDEN},
		{"other applicant", applicantB, biopilot.StateExpertReview, biopilot.ENOTFOUND},
		{"other city", cityFS, biopilot.StateExpertReview, biopilot.ENOTFOUND},
		{"expert", expert, biopilot.StateExpertReview, biopilot.ENOTFOUND},
		{"anonymous", nil, biopilot.StateExpertReview, biopilot.EUNAUTHORIZED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := biopilot.ErrorCode(CheckMinistryApp(tc.u, app(tc.state))); got != tc.code {
				t.Errorf("CheckMinistryApp = %q, want %q", got, tc.code)
			}
		})
	}
}

// TestCheckAssignment: an expert sees, opens and scores only its own live
// assignments; a declared conflict or a drop hides it (404, as if it did not
// exist); reading and scoring wait for the declaration; a score is final.
func TestCheckAssignment(t *testing.T) {
	own := func(state string) ExpertAssignment { return ExpertAssignment{ExpertUserID: expert.ID, State: state} }
	for _, tc := range []struct {
		name string
		u    *biopilot.User
		act  ExpertAction
		a    ExpertAssignment
		code string
	}{
		{"open own", expert, ExpertOpen, own(AssignmentAssigned), ""},
		{"declare own", expert, ExpertDeclare, own(AssignmentAssigned), ""},
		{"declare twice", expert, ExpertDeclare, own(AssignmentAccepted), biopilot.ECONFLICT},
		{"read before declaring", expert, ExpertRead, own(AssignmentAssigned), biopilot.EFORBIDDEN},
		{"read after no conflict", expert, ExpertRead, own(AssignmentAccepted), ""},
		{"read after scoring", expert, ExpertRead, own(AssignmentScored), ""},
		{"score before declaring", expert, ExpertScore, own(AssignmentAssigned), biopilot.EFORBIDDEN},
		{"score", expert, ExpertScore, own(AssignmentAccepted), ""},
		{"score twice", expert, ExpertScore, own(AssignmentScored), biopilot.ECONFLICT},
		{"conflict hides: open", expert, ExpertOpen, own(AssignmentConflict), biopilot.ENOTFOUND},
		{"conflict hides: read", expert, ExpertRead, own(AssignmentConflict), biopilot.ENOTFOUND},
		{"conflict hides: score", expert, ExpertScore, own(AssignmentConflict), biopilot.ENOTFOUND},
		{"dropped hides", expert, ExpertRead, own(AssignmentDropped), biopilot.ENOTFOUND},
		{"unknown state hides", expert, ExpertOpen, own("weird"), biopilot.ENOTFOUND},
		{"another expert's", expert2, ExpertOpen, own(AssignmentAccepted), biopilot.ENOTFOUND},
		{"another expert's score", expert2, ExpertScore, own(AssignmentAccepted), biopilot.ENOTFOUND},
		{"pool member without login", expert, ExpertOpen, ExpertAssignment{State: AssignmentAssigned}, biopilot.ENOTFOUND},
		{"ministry is no expert", ministry, ExpertRead, ExpertAssignment{ExpertUserID: ministry.ID, State: AssignmentAccepted}, biopilot.ENOTFOUND},
		{"applicant", applicantA, ExpertOpen, ExpertAssignment{ExpertUserID: applicantA.ID, State: AssignmentAssigned}, biopilot.ENOTFOUND},
		{"anonymous", nil, ExpertOpen, own(AssignmentAssigned), biopilot.EUNAUTHORIZED},
		{"unknown action", expert, ExpertAction("delete"), own(AssignmentAccepted), biopilot.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckAssignment(tc.u, tc.act, tc.a)
			if got := biopilot.ErrorCode(err); got != tc.code {
				t.Fatalf("CheckAssignment = %v, want %q", err, tc.code)
			}
			if err != nil && tc.code == biopilot.ENOTFOUND && biopilot.ErrorMessage(err) != "未找到该评审任务" {
				t.Errorf("not-found message %q reveals something", biopilot.ErrorMessage(err))
			}
		})
	}
}

// TestCheckExpert: the expert's pages are for experts only.
func TestCheckExpert(t *testing.T) {
	for u, code := range map[*biopilot.User]string{expert: "", ministry: biopilot.EFORBIDDEN,
		applicantA: biopilot.EFORBIDDEN, province: biopilot.EFORBIDDEN, nil: biopilot.EUNAUTHORIZED} {
		if got := biopilot.ErrorCode(CheckExpert(u)); got != code {
			t.Errorf("%v: %q, want %q", u, got, code)
		}
	}
}

// TestExpertsSeeNoApplicationsThroughLists: the ordinary application lists stay
// closed to experts; their assignments are reached only through CheckAssignment.
func TestExpertsSeeNoApplicationsThroughLists(t *testing.T) {
	if !Scope(expert).None {
		t.Fatal("an expert's list scope is not empty")
	}
	if CanSee(expert, app(biopilot.StateExpertReview)) {
		t.Fatal("an expert sees an application through CanSee")
	}
}
