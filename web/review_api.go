package web

import (
	"encoding/json"
	"net/http"

	"biopilot"
	"biopilot/authz"
	"biopilot/workflow"
)

// actionInput is the body of POST /api/v1/applications/{id}/actions/{action} (and
// the fields of the review page's forms).
type actionInput struct {
	Reason       string        `json:"reason"`
	Opinion      string        `json:"opinion"`
	Checks       *Checks       `json:"checks"`
	FieldReasons []FieldReason `json:"field_reasons"`
}

// data is the decision recorded with the transition.
func (in actionInput) data() map[string]any {
	d := map[string]any{}
	if in.Checks != nil {
		d["checks"] = *in.Checks
	}
	if in.Opinion != "" {
		d["opinion"] = in.Opinion
	}
	if len(in.FieldReasons) > 0 {
		d["field_reasons"] = in.FieldReasons
	}
	return d
}

// reviewActions are the workflow actions taken through the review endpoints (the
// applicant's submit and withdraw have their own, with the snapshot).
var reviewActions = map[workflow.Action]bool{
	workflow.CityReturn: true, workflow.CityReject: true, workflow.CityPropose: true,
	workflow.CityCosign: true, workflow.CityDecline: true, workflow.CityRevoke: true,
	workflow.ProvReturn: true, workflow.ProvReject: true, workflow.ProvPropose: true,
	workflow.ProvCosign: true, workflow.ProvDecline: true,
}

// act loads the application and takes a reviewer's action on it.
func (s *Server) act(r *http.Request, action string, in actionInput) (*biopilot.Application, error) {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return nil, err
	}
	act := workflow.Action(action)
	if act == workflow.CitySend {
		return nil, biopilot.Errorf(biopilot.EBADREQUEST, "报送省级请通过推荐文件办理（/recommendation）")
	}
	if !reviewActions[act] {
		if workflow.Find(act) != nil {
			return nil, biopilot.Errorf(biopilot.EFORBIDDEN, "「%s」不在审核操作之列", workflow.Find(act).Label)
		}
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未知的操作：%s", action)
	}
	return s.transition(r.Context(), currentUser(r), app, TransitionInput{Action: act,
		Reason: in.Reason, Data: in.data(), Address: s.clientAddr(r)})
}

func (s *Server) apiAction(w http.ResponseWriter, r *http.Request) error {
	var in actionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	app, err := s.act(r, r.PathValue("action"), in)
	if err != nil {
		return err
	}
	out := s.appJSON(app)
	writeJSON(w, http.StatusOK, map[string]any{"application": out,
		"actions": s.actionsJSON(currentUser(r), app, r)})
	return nil
}

// actionsJSON lists the workflow actions u may take on app now.
func (s *Server) actionsJSON(u *biopilot.User, app *biopilot.Application, r *http.Request) []map[string]any {
	out := []map[string]any{}
	for _, rule := range workflow.Available(app.State, u.Role, s.now(), s.deadlines(r.Context())) {
		out = append(out, map[string]any{"action": rule.Action, "label": rule.Label,
			"needs_reason": rule.NeedsReason, "to": rule.To, "to_label": rule.To.Label()})
	}
	return out
}

func (s *Server) apiActions(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"application_id": app.ID, "state": app.State,
		"actions": s.actionsJSON(currentUser(r), app, r)})
	return nil
}

// apiReview is the reviewer's view of one application: the frozen snapshot, the
// eligibility report of the snapshot, the history with reasons and decisions, the
// seals with their verification, and the actions open to the caller.
func (s *Server) apiReview(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	u := currentUser(r)
	rv, err := s.reviewView(r, u, app)
	if err != nil {
		return err
	}
	out := s.appWithDocument(u, app)
	hist := []map[string]any{}
	for _, h := range rv.History {
		item := map[string]any{"id": h.T.ID, "from": h.T.From, "to": h.T.To, "to_label": h.T.To.Label(),
			"actor_role": h.T.ActorRole, "actor_name": h.T.ActorName, "reason": h.T.Reason,
			"at": rfc3339(h.T.At), "sealed": h.Sig != nil, "seal_valid": h.SealOK, "seal_message": h.SealMsg}
		if len(h.T.Data) > 0 {
			item["data"] = json.RawMessage(h.T.Data)
		}
		hist = append(hist, item)
	}
	writeJSON(w, http.StatusOK, map[string]any{"application": out,
		"report": s.reportJSON(rv.Report), "history": hist,
		"actions": s.actionsJSON(u, app, r), "field_reasons": rv.FieldReasons})
	return nil
}
