package web

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"biopilot"
	"biopilot/store"
)

// NATIONAL: acting outside an HTTP request in the national stage, as
// review_seed.go does for the review. Each function builds a request of u (or of
// an anonymous visitor for ObjectAs) and runs exactly the code of the ministry's,
// the expert's or the public page: authorization (authz), the store's batches with
// their transitions, the seals of the scores, the audit records. For seeding the
// demo (package demo) and for tools.

// AutoAssignAs assigns experts to every application waiting at the ministry as the
// ministry's "自动分配" button does, and returns how many applications were given
// their experts and the shortfalls (applications left waiting, in Chinese).
func (s *Server) AutoAssignAs(ctx context.Context, u *biopilot.User) (int, []string, error) {
	r, err := offlineRequest(ctx, u, 0)
	if err != nil {
		return 0, nil, err
	}
	res, err := s.autoAssign(r)
	if err != nil {
		return 0, nil, err
	}
	return res.Applications, res.Shortfalls, nil
}

// ManualAssignAs sets the experts of one application by hand as the ministry's
// assignment page does (override; a conflicted expert is refused).
func (s *Server) ManualAssignAs(ctx context.Context, u *biopilot.User, appID int64, expertIDs []int64) error {
	r, err := offlineRequest(ctx, u, 0)
	if err != nil {
		return err
	}
	_, err = s.manualAssign(r, appID, expertIDs)
	return err
}

// DeclareAs records the expert u's declaration on its assignment as the expert's
// page does: no conflict of interest (the application opens), or a conflict with
// its reason (the application is hidden from u and reassigned).
func (s *Server) DeclareAs(ctx context.Context, u *biopilot.User, assignmentID int64, conflict bool, reason string) (*store.ReviewAssignment, error) {
	r, err := offlineRequest(ctx, u, assignmentID)
	if err != nil {
		return nil, err
	}
	return s.declare(r, conflict, reason)
}

// ScoreAs submits the expert u's score sheet on its assignment as the expert's
// page does: points and a comment per criterion of the round's sheet, sealed and
// final.
func (s *Server) ScoreAs(ctx context.Context, u *biopilot.User, assignmentID int64, points map[string]float64, comments map[string]string) (*store.ReviewAssignment, error) {
	r, err := offlineRequest(ctx, u, assignmentID)
	if err != nil {
		return nil, err
	}
	return s.submitScore(r, points, comments)
}

// DecideAs records the committee's decision on an application in expert review
// (national.DecisionRecommend or national.DecisionNotRecommend) with its reason,
// as the ministry's results page does.
func (s *Server) DecideAs(ctx context.Context, u *biopilot.User, appID int64, outcome, reason string) (*store.CommitteeDecision, error) {
	r, err := offlineRequest(ctx, u, 0)
	if err != nil {
		return nil, err
	}
	return s.natDecide(r, appID, outcome, reason)
}

// OpenNoticeAs opens the public notice of the decided applications as the
// ministry's notice page does (empty title and body: the page's defaults).
func (s *Server) OpenNoticeAs(ctx context.Context, u *biopilot.User, title, body string) (*store.PublicNotice, error) {
	r, err := offlineRequest(ctx, u, 0)
	if err != nil {
		return nil, err
	}
	return s.natOpenNotice(r, title, body)
}

// ObjectAs files an objection against a platform of the open notice as an
// anonymous visitor of the public objection form does, from the address
// OfflineAddress: the honeypot left empty, a form token shown formAge ago (at
// least the form's minimum age), the rate limit, the fields' checks; no
// attachment.
func (s *Server) ObjectAs(ctx context.Context, name, contact string, appID int64, grounds string, formAge time.Duration) (*store.Objection, error) {
	r, err := offlineRequest(ctx, nil, 0)
	if err != nil {
		return nil, err
	}
	nv, err := s.openNotice(r)
	if err != nil {
		return nil, err
	}
	formAge = max(formAge, formTokenMinAge)
	r.PostForm = url.Values{"name": {name}, "contact": {contact}, "grounds": {grounds},
		"application_id": {strconv.FormatInt(appID, 10)}, "website": {""},
		"form_token": {s.newFormToken(nv.Notice.ID, s.now().Add(-formAge))}}
	r.Form = r.PostForm
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	in := objectionForm{Name: name, Contact: contact, ApplicationID: appID, Grounds: grounds}
	return s.receiveObjection(r, nv, in)
}

// ResolveObjectionAs records the ministry's outcome of an objection
// (national.ObjectionUpheld, ObjectionRejected or ObjectionWithdrawn) with its
// reason, as the ministry's objection page does.
func (s *Server) ResolveObjectionAs(ctx context.Context, u *biopilot.User, objectionID int64, outcome, reason string) (*store.Objection, error) {
	r, err := offlineRequest(ctx, u, objectionID)
	if err != nil {
		return nil, err
	}
	return s.resolveObjection(r, outcome, reason)
}

// PublishAs publishes the list of the open notice as the ministry's "发布名单"
// button does (refused during the notice period and while an objection is open),
// and returns how many applications were listed and not listed.
func (s *Server) PublishAs(ctx context.Context, u *biopilot.User) (listed, notListed int, err error) {
	r, err := offlineRequest(ctx, u, 0)
	if err != nil {
		return 0, 0, err
	}
	return s.natPublish(r)
}

// ANNUAL (for the demo): the annual evaluation's exported operations
// (annual*.go) with plain arguments, so that package demo can call them through
// an interface without importing web.

// SetStarsAs sets a platform's star rating for a year with its reason as the
// ministry's platform page does (SetPlatformStars: history, directory, audit,
// the organisation told).
func (s *Server) SetStarsAs(ctx context.Context, u *biopilot.User, appID int64, year, stars int, reason string) (*store.StarRating, error) {
	return s.SetPlatformStars(ctx, u, StarsInput{ApplicationID: appID, Year: year, Stars: stars, Reason: reason})
}

// OpenAnnualAs opens the annual evaluation of year with its title and the due
// time of the reports as the ministry's annual page does.
func (s *Server) OpenAnnualAs(ctx context.Context, u *biopilot.User, year int, title string, due time.Time) (*store.AnnualEvaluation, error) {
	return s.OpenAnnualEvaluation(ctx, u, AnnualEvaluationInput{Year: year, Title: title, DueAt: due})
}

// SaveAnnualReportAs saves the whole document of a platform's draft report on
// year at baseVersion as the report page does.
func (s *Server) SaveAnnualReportAs(ctx context.Context, u *biopilot.User, appID int64, year int, baseVersion int64, doc map[string]any) (*store.AnnualReport, error) {
	return s.SaveAnnualReport(ctx, u, AnnualReportInput{ApplicationID: appID, Year: year, BaseVersion: baseVersion, Document: doc})
}

// SubmitAnnualReportAs submits a platform's report on year at baseVersion as
// the report page does (refused while incomplete).
func (s *Server) SubmitAnnualReportAs(ctx context.Context, u *biopilot.User, appID int64, year int, baseVersion int64) (*store.AnnualReport, error) {
	return s.SubmitAnnualReport(ctx, u, AnnualSubmitInput{ApplicationID: appID, Year: year, BaseVersion: baseVersion})
}
