package web

import (
	"context"
	"net/http"
	"strconv"

	"biopilot"
	"biopilot/authz"
	"biopilot/store"
)

// REVIEW: acting outside an HTTP request. These take exactly the code paths of the
// pages and the API — the applicant's submit (snapshot with its evidence hashes,
// the organisation's seal), the reviewers' actions and the city's letter (checks,
// opinions, field reasons, seals, audit, notifications) — for seeding the demo
// (package demo) and for tools. Authorization is decided as for a request of u.

// OfflineAddress is the client address recorded in the audit trail for what is
// done through these functions rather than over the network.
const OfflineAddress = "local"

// Decision is what a reviewer decides with an action: the reason (return, refusal,
// decline, revocation), the opinion and the three checks (recommendation), the
// reasons attached to fields or sections ("section:ID") of a return.
type Decision struct {
	Reason       string
	Opinion      string
	Checks       *Checks
	FieldReasons []FieldReason
}

// LetterChange is a change to a city's recommendation document: the letter
// number, the joint opinion and the ordered applications (save), or the reason of
// a decline.
type LetterChange struct {
	Number         string
	Opinion        string
	ApplicationIDs []int64
	Reason         string
}

// offlineRequest is a request of u, for the helpers that read the user, the
// address and the path values from a request.
func offlineRequest(ctx context.Context, u *biopilot.User, appID int64) (*http.Request, error) {
	ctx = context.WithValue(ctx, infoKey{}, &reqInfo{user: u, route: "offline"})
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
	if err != nil {
		return nil, err
	}
	r.RemoteAddr = OfflineAddress
	if appID != 0 {
		r.SetPathValue("id", strconv.FormatInt(appID, 10))
	}
	return r, nil
}

// SubmitAs submits an application as the applicant u does with the submit page:
// refused when incomplete or ineligible (an ineligible application needs the
// page's confirmation, which this does not give), after the deadline, or when u
// may not submit it.
func (s *Server) SubmitAs(ctx context.Context, u *biopilot.User, appID int64) (*biopilot.Application, error) {
	r, err := offlineRequest(ctx, u, appID)
	if err != nil {
		return nil, err
	}
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return nil, err
	}
	return s.submit(r, app, app.Version, false)
}

// ActAs takes a reviewer's workflow action (city_return, city_propose,
// city_cosign, prov_propose, …) on an application as u, as the review page does.
func (s *Server) ActAs(ctx context.Context, u *biopilot.User, appID int64, action string, d Decision) (*biopilot.Application, error) {
	r, err := offlineRequest(ctx, u, appID)
	if err != nil {
		return nil, err
	}
	return s.act(r, action, actionInput{Reason: d.Reason, Opinion: d.Opinion, Checks: d.Checks, FieldReasons: d.FieldReasons})
}

// LetterAs works on u's city's recommendation document as the letter page does:
// "save" (city_miit: number, opinion, order), "propose" (city_miit seals it),
// "cosign" (city_drc seals it), "decline" (city_drc, with a reason) and "send"
// (city_miit sends it to the province, moving every listed application to
// at_province in one transaction).
func (s *Server) LetterAs(ctx context.Context, u *biopilot.User, action string, c LetterChange) (*store.Recommendation, error) {
	in := letterInput{Number: c.Number, Opinion: c.Opinion, ApplicationIDs: c.ApplicationIDs, Reason: c.Reason}
	if action == "save" {
		return s.saveLetter(ctx, u, in)
	}
	return s.letterAction(ctx, u, OfflineAddress, action, in)
}
