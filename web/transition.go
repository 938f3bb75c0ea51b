package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"biopilot"
	"biopilot/authz"
	"biopilot/seal"
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
	// transition and sealed.
	Data map[string]any
	// BaseVersion, when non-zero, is the document version the person saw: the
	// transition fails with the stale-save conflict if a colleague saved since.
	BaseVersion int64
	// Snapshot and SnapshotHash freeze the document (submit only). SnapshotHash is
	// the SM3 (64 hex digits) of the canonical snapshot with its evidence hashes: the
	// applicant's seal signs a payload carrying it.
	Snapshot     json.RawMessage
	SnapshotHash string
	// Address is the client's address, for the audit trail (clientAddr(r)).
	Address string
}

// deadlines returns the program's deadlines in force: an administrator's override
// (store.Deadlines) when there is one, else the program definition's.
func (s *Server) deadlines(ctx context.Context) workflow.Deadlines {
	d := workflow.Deadlines{Applicant: s.prog.ApplicantDeadline(), City: s.prog.CityDeadline()}
	if s.db == nil {
		return d
	}
	o, err := s.db.Deadlines(ctx, s.prog.ID)
	if err != nil {
		s.logger.ErrorContext(ctx, "deadline overrides unreadable; using the program's", "err", err)
		return d
	}
	if o != nil {
		p, err := s.prog.WithDeadlines(*o)
		if err != nil {
			s.logger.ErrorContext(ctx, "deadline override invalid; using the program's", "err", err)
			return d
		}
		d = workflow.Deadlines{Applicant: p.ApplicantDeadline(), City: p.CityDeadline()}
	}
	return d
}

// sealedActions are the actions whose decision is sealed with the actor's seal, and
// the purpose of the seal.
var sealedActions = map[workflow.Action]string{
	workflow.Submit:      seal.PurposeSubmit,
	workflow.CityReturn:  seal.PurposeReturn,
	workflow.CityReject:  seal.PurposeNotRecommend,
	workflow.CityPropose: seal.PurposeRecommend,
	workflow.CityCosign:  seal.PurposeRecommend,
	workflow.CitySend:    seal.PurposeSend,
	workflow.ProvReturn:  seal.PurposeProvinceReturn,
	workflow.ProvReject:  seal.PurposeProvinceDecline,
	workflow.ProvPropose: seal.PurposeProvRecommend,
	workflow.ProvCosign:  seal.PurposeProvRecommend,
}

// transition carries out one workflow action on one application:
//
//  1. the decision (authz.CheckTransition: jurisdiction, role, state, and the
//     deadlines in force, an administrator's extension included), and the action's
//     own requirements (a reason; for a recommendation the three checks and the
//     opinion);
//  2. the seal: the actor's SM2 key (the organisation's for an applicant, the
//     authority's (role, jurisdiction) otherwise, created on first use under the
//     master key) signs the canonical payload of exactly what was decided — the
//     transition's Data without its "signature" (see SignedPayload) — stored in Data
//     as "signature"; a co-signature follows the proposal's (Previous);
//  3. one atomic compare-and-set of the state with the transition record (the
//     store): when two people act at once exactly one wins, the other gets
//     ECONFLICT; a failure leaves the previous state intact;
//  4. the audit record (ok, or failed for a lost race or a passed deadline), and
//     the in-app notifications of the people concerned.
//
// Every workflow action of the API and the pages goes through here (a city's
// sending of its recommendation letter, which moves many applications in one
// transaction, goes through sendLetter, which asks the same questions).
func (s *Server) transition(ctx context.Context, u *biopilot.User, app *biopilot.Application, in TransitionInput) (*biopilot.Application, error) {
	to, err := authz.CheckTransition(u, in.Action, app, s.now(), s.deadlines(ctx))
	if err != nil {
		if c := biopilot.ErrorCode(err); c == biopilot.ECONFLICT || c == biopilot.EDEADLINE {
			s.auditTransition(ctx, u, app, in, app.State, auditFailed, err)
		}
		return nil, err
	}
	r := workflow.Find(in.Action)
	in.Reason = strings.TrimSpace(in.Reason)
	if r.NeedsReason && in.Reason == "" {
		return nil, biopilot.FieldErrorf("reason", "请填写「%s」的理由", r.Label)
	}
	data := map[string]any{}
	for k, v := range in.Data {
		data[k] = v
	}
	if err := s.decisionData(ctx, app, in, data); err != nil {
		return nil, err
	}
	snapshotHash := app.SnapshotHash
	if in.Action == workflow.Submit {
		snapshotHash = in.SnapshotHash
	}
	data["action"] = string(in.Action)
	data["application_id"] = app.ID
	data["from"] = string(app.State)
	data["to"] = string(to)
	data["reason"] = in.Reason
	data["snapshot_hash"] = snapshotHash
	delete(data, "signature")
	if purpose, ok := sealedActions[in.Action]; ok {
		prev, err := s.previousSignature(ctx, app, in.Action)
		if err != nil {
			return nil, err
		}
		sig, err := s.sign(ctx, u, app, purpose, data, prev)
		if err != nil {
			return nil, err
		}
		data["signature"] = sig
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	out, err := s.db.Transition(ctx, store.TransitionRequest{
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
	if err != nil {
		if biopilot.ErrorCode(err) == biopilot.ECONFLICT {
			s.auditTransition(ctx, u, app, in, to, auditFailed, err)
		}
		return nil, err
	}
	s.auditTransition(ctx, u, app, in, to, auditOK, nil)
	s.notifyTransition(ctx, u, out, in.Action, in.Reason)
	return out, nil
}

// SignedPayload returns what the seal of a transition signed: its Data without the
// "signature" member (Data always carries action, application_id, from, to, reason
// and snapshot_hash, and the decision: checks, opinion, field_reasons …). Anyone
// holding the transition checks its seal with
// seal.VerifyPayload(sig, SignedPayload(data)).
func SignedPayload(data json.RawMessage) (map[string]any, *seal.Signature, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("transition data: %w", err)
	}
	var sig *seal.Signature
	if raw, ok := m["signature"]; ok {
		b, _ := json.Marshal(raw)
		sig = new(seal.Signature)
		if err := json.Unmarshal(b, sig); err != nil {
			return nil, nil, fmt.Errorf("transition signature: %w", err)
		}
		delete(m, "signature")
	}
	return m, sig, nil
}

// auditTransition writes the audit record of a transition attempt.
func (s *Server) auditTransition(ctx context.Context, u *biopilot.User, app *biopilot.Application, in TransitionInput, to biopilot.State, result string, err error) {
	detail := map[string]any{"from": app.State, "to": to}
	if in.Reason != "" {
		detail["reason"] = in.Reason
	}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditAs(ctx, u, in.Address, fmt.Sprintf("application:%d", app.ID), "transition:"+string(in.Action), result, detail)
}

// previousSignature is the signature a new one follows: for a co-signature, the
// proposal's (the last transition into the proposed state).
func (s *Server) previousSignature(ctx context.Context, app *biopilot.Application, act workflow.Action) (*seal.Signature, error) {
	var proposed biopilot.State
	switch act {
	case workflow.CityCosign:
		proposed = biopilot.StateCityProposed
	case workflow.ProvCosign:
		proposed = biopilot.StateProvProposed
	default:
		return nil, nil
	}
	t, err := s.lastTransitionTo(ctx, app.ID, proposed)
	if err != nil || t == nil {
		return nil, err
	}
	_, sig, err := SignedPayload(t.Data)
	return sig, err
}

// lastTransitionTo returns the latest transition of an application into a state,
// or nil.
func (s *Server) lastTransitionTo(ctx context.Context, appID int64, to biopilot.State) (*biopilot.Transition, error) {
	ts, err := s.db.Transitions(ctx, appID)
	if err != nil {
		return nil, err
	}
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].To == to {
			return ts[i], nil
		}
	}
	return nil, nil
}

// sign seals payload with u's seal: the organisation's for an applicant, the
// authority's of u's role and jurisdiction otherwise (both created on first use).
func (s *Server) sign(ctx context.Context, u *biopilot.User, app *biopilot.Application, purpose string, payload any, prev *seal.Signature) (*seal.Signature, error) {
	var key *seal.Key
	var holder string
	if u.Role == biopilot.RoleApplicant {
		org, err := s.db.EnsureOrganisationKey(ctx, app.OrgID, s.masterKey)
		if err != nil {
			return nil, err
		}
		if key, err = s.db.OrganisationSigningKey(ctx, org.ID, s.masterKey); err != nil {
			return nil, err
		}
		holder = org.Name
	} else {
		a, err := s.db.EnsureAuthority(ctx, u.Role, u.Jurisdiction, s.authorityName(u.Role, u.Jurisdiction), s.masterKey)
		if err != nil {
			return nil, err
		}
		if key, err = s.db.AuthoritySigningKey(ctx, a.ID, s.masterKey); err != nil {
			return nil, err
		}
		holder = a.Name
	}
	return seal.SignPayload(key, payload, seal.SignMeta{Purpose: purpose, Signer: u.DisplayName,
		Role: u.Role, Holder: holder, SignedAt: s.now(), Previous: prev})
}

// authorityName is the name of the authority of a role in a jurisdiction:
// 广州市工业和信息化局, 广州市发展和改革局, 广东省工业和信息化厅, 江苏省发展和改革委员会 ….
// A province's names are those of the province jur lies in (program.ProvinceAuthorities).
func (s *Server) authorityName(role biopilot.Role, jur string) string {
	switch role {
	case biopilot.RoleCityMIIT:
		return s.prog.CityName(jur) + "工业和信息化局"
	case biopilot.RoleCityDRC:
		return s.prog.CityName(jur) + "发展和改革局"
	case biopilot.RoleProvMIIT:
		if miit, _ := s.prog.ProvinceAuthorities(jur); miit != "" {
			return miit
		}
		return s.prog.CityName(jur) + "工业和信息化厅"
	case biopilot.RoleProvDRC:
		if _, drc := s.prog.ProvinceAuthorities(jur); drc != "" {
			return drc
		}
		return s.prog.CityName(jur) + "发展和改革委员会"
	case biopilot.RoleMinistry:
		return "工业和信息化部"
	}
	return role.Label()
}
