package national

import (
	"time"

	"biopilot"
	"biopilot/seal"
)

// SealedScore is a submitted score: validated, totalled and fingerprinted. It is
// final — the store keeps it and refuses any change; a later correction is a new
// record decided by the committee, never an edit. Digest is the SM3 of the canonical
// JSON of the score's content (seal.CanonicalHash), so the audit can show the stored
// score is the one submitted.
type SealedScore struct {
	Score
	Total       float64
	SubmittedAt time.Time
	Digest      string
}

// sealedContent is what the digest covers.
type sealedContent struct {
	ExpertID    string             `json:"expert_id"`
	AppID       string             `json:"app_id"`
	Points      map[string]float64 `json:"points"`
	Comments    map[string]string  `json:"comments"`
	Total       float64            `json:"total"`
	SubmittedAt string             `json:"submitted_at"`
}

// Seal validates a score against the sheet and seals it at the given instant.
// An expert not assigned to the application (per the assignment) may not score it:
// ENOTFOUND, as if the application did not exist.
func Seal(sheet ScoreSheet, a Assignment, sc Score, at time.Time) (SealedScore, error) {
	if !a.Has(sc.AppID, sc.ExpertID) {
		return SealedScore{}, biopilot.Errorf(biopilot.ENOTFOUND, "申报书不存在或未分配给您评审")
	}
	if err := sheet.Validate(sc); err != nil {
		return SealedScore{}, err
	}
	s := SealedScore{Score: sc, Total: Total(sheet, sc), SubmittedAt: at}
	d, err := s.digest()
	if err != nil {
		return SealedScore{}, err
	}
	s.Digest = d
	return s, nil
}

// Verify reports whether a stored sealed score still matches its digest.
func (s SealedScore) Verify() bool {
	d, err := s.digest()
	return err == nil && d == s.Digest
}

func (s SealedScore) digest() (string, error) {
	return seal.CanonicalHash(sealedContent{
		ExpertID: s.ExpertID, AppID: s.AppID, Points: s.Points, Comments: s.Comments,
		Total: s.Total, SubmittedAt: s.SubmittedAt.UTC().Format(time.RFC3339Nano),
	})
}
