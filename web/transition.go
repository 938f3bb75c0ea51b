package web

import (
	"context"
	"encoding/json"

	"biopilot"
	"biopilot/authz"
	"biopilot/store"
	"biopilot/workflow"
)

// TransitionInput is what a person decided when taking a workflow action.
type TransitionInput struct {
	Action workflow.Action
	// Reason is the free text of a return, a refusal or a decline.
	Reason string
	// Data is what the action decided on beyond the reason (the three checks, the
	// opinion, reasons attached to fields, confirmations). It is recorded with the
	// transition.
	Data map[string]any
	// BaseVersion, when non-zero, is the document version the person saw: the
	// transition fails with the stale-save conflict if a colleague saved since.
	BaseVersion int64
	// Snapshot and SnapshotHash freeze the document (submit only).
	Snapshot     json.RawMessage
	SnapshotHash string
}

// deadlines returns the program's deadlines in force.
func (s *Server) deadlines(ctx context.Context) workflow.Deadlines {
	return workflow.Deadlines{Applicant: s.prog.ApplicantDeadline(), City: s.prog.CityDeadline()}
}

// transition carries out one workflow action on one application: the decision
// (authz.CheckTransition: jurisdiction, role, state, deadline), then one atomic
// compare-and-set of the state with the transition record. Every workflow action of
// the API and the pages goes through here. When two people act at once, exactly one
// wins; the other gets ECONFLICT.
func (s *Server) transition(ctx context.Context, u *biopilot.User, app *biopilot.Application, in TransitionInput) (*biopilot.Application, error) {
	to, err := authz.CheckTransition(u, in.Action, app, s.now(), s.deadlines(ctx))
	if err != nil {
		return nil, err
	}
	if r := workflow.Find(in.Action); r.NeedsReason && in.Reason == "" {
		return nil, biopilot.FieldErrorf("reason", "请填写「%s」的理由", r.Label)
	}
	data := map[string]any{"action": string(in.Action)}
	for k, v := range in.Data {
		data[k] = v
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return s.db.Transition(ctx, store.TransitionRequest{
		ApplicationID: app.ID,
		From:          app.State,
		To:            to,
		BaseVersion:   in.BaseVersion,
		Snapshot:      in.Snapshot,
		SnapshotHash:  in.SnapshotHash,
		Transition: &biopilot.Transition{
			ActorID:   u.ID,
			ActorRole: u.Role,
			ActorName: u.DisplayName,
			Reason:    in.Reason,
			Data:      raw,
			At:        s.now(),
		},
	})
}
