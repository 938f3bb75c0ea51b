package web

// NATIONAL: the expert's JSON API (/api/v1/expert/...), the same operations as its
// pages (expert_pages.go).

import (
	"encoding/json"
	"net/http"

	"biopilot/authz"
	"biopilot/store"
)

// taskJSON is an assignment as its expert sees it in the API.
func taskJSON(t expertTask) map[string]any {
	return map[string]any{"id": t.A.ID, "round": t.A.Round, "round_label": t.RoundLabel,
		"application_id": t.App.ID, "number": t.Number, "platform_name": t.Platform,
		"state": t.A.State, "state_label": t.StateLabel, "assigned_at": rfc3339(t.A.AssignedAt)}
}

func (s *Server) apiExpertAssignments(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if err := authz.CheckExpert(u); err != nil {
		return err
	}
	tasks, err := s.expertTasks(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": jsonItems(tasks, taskJSON)})
	return nil
}

// apiExpertAssignment is one assignment: before the declaration the number and
// platform name only; after it the snapshot document and the score sheet; once
// scored the sealed score with its digest.
func (s *Server) apiExpertAssignment(w http.ResponseWriter, r *http.Request) error {
	a, _, app, err := s.expertAssignment(r, authz.ExpertOpen)
	if err != nil {
		return err
	}
	out := taskJSON(s.expertTaskOf(a, app))
	if a.State != store.AssignAssigned {
		sheet, err := s.scoreSheet(a.Round)
		if err != nil {
			return err
		}
		if y, ok := annualYearOf(a.Round); ok { // ANNUAL: the submitted report of the year
			if out["document"], out["snapshot_hash"], err = s.annualDocument(r.Context(), app, y); err != nil {
				return err
			}
		} else {
			out["document"] = json.RawMessage(app.Snapshot)
			out["snapshot_hash"] = app.SnapshotHash
		}
		out["score_sheet"] = sheet
		out["max_total"] = sheet.Max()
	}
	if a.State == store.AssignScored {
		sealed := a.Sealed()
		out["score"] = map[string]any{"points": sealed.Points, "comments": sealed.Comments,
			"total": sealed.Total, "digest": sealed.Digest, "submitted_at": rfc3339(sealed.SubmittedAt),
			"verified": sealed.Verify()}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// declarationInput is the body of POST /api/v1/expert/assignments/{id}/declaration.
type declarationInput struct {
	Conflict bool   `json:"conflict"`
	Reason   string `json:"reason"`
}

func (s *Server) apiExpertDeclare(w http.ResponseWriter, r *http.Request) error {
	var in declarationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.declare(r, in.Conflict, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "state": a.State, "state_label": store.AssignStateLabel(a.State)})
	return nil
}

// scoreInput is the body of POST /api/v1/expert/assignments/{id}/score.
type scoreInput struct {
	Points   map[string]float64 `json:"points"`
	Comments map[string]string  `json:"comments"`
}

func (s *Server) apiExpertScore(w http.ResponseWriter, r *http.Request) error {
	var in scoreInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.submitScore(r, in.Points, in.Comments)
	if err != nil {
		return err
	}
	sealed := a.Sealed()
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "state": a.State, "total": sealed.Total,
		"digest": sealed.Digest, "submitted_at": rfc3339(sealed.SubmittedAt), "verified": sealed.Verify()})
	return nil
}
