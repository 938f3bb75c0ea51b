package web

import (
	"bytes"
	"context"
	"encoding/json"
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
// decision is the body of POST /api/v1/applications/{id}/actions/{action}:
// {"reason", "opinion", "checks": {"authenticity", "completeness", "validity",
// "notes"}, "field_reasons": [{"field", "reason"}]} (empty for none).
func (s *Server) ActAs(ctx context.Context, u *biopilot.User, appID int64, action string, decision json.RawMessage) (*biopilot.Application, error) {
	var in actionInput
	if err := decodeStrict(decision, &in); err != nil {
		return nil, err
	}
	r, err := offlineRequest(ctx, u, appID)
	if err != nil {
		return nil, err
	}
	return s.act(r, action, in)
}

// LetterAs works on u's city's recommendation document as the letter page does:
// "save" (city_miit: {"number", "opinion", "application_ids"} in order),
// "propose" (city_miit seals it), "cosign" (city_drc seals it), "decline"
// (city_drc, {"reason"}) and "send" (city_miit sends it to the province, moving
// every listed application to at_province in one transaction). change is the
// body of PUT /api/v1/recommendation or POST /api/v1/recommendation/{action}.
func (s *Server) LetterAs(ctx context.Context, u *biopilot.User, action string, change json.RawMessage) (*store.Recommendation, error) {
	var in letterInput
	if err := decodeStrict(change, &in); err != nil {
		return nil, err
	}
	if action == "save" {
		return s.saveLetter(ctx, u, in)
	}
	return s.letterAction(ctx, u, OfflineAddress, action, in)
}

// decodeStrict decodes a JSON object refusing unknown members; empty is {}.
func decodeStrict(data json.RawMessage, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return biopilot.Errorf(biopilot.EINVALID, "请求内容格式错误：%v", err)
	}
	return nil
}
