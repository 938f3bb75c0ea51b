package web

// ANNUAL: what the expert pages (expert_*.go, generic over the round) need for an
// annual round: its score sheet (the annual section's) and its subject — the
// platform's submitted report of the year, with each target beside what was
// achieved and the report's evidence — in the shapes the expert page already
// shows (sections of rows, evidence items).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/annual"
	"biopilot/authz"
	"biopilot/files"
	"biopilot/national"
	"biopilot/store"
)

// annualYearOf returns the year of an annual round ("annual-2026" → 2026).
func annualYearOf(round string) (int, bool) {
	y, ok := strings.CutPrefix(round, "annual-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(y)
	return n, err == nil
}

// annualSheet is the score sheet of the annual rounds.
func (s *Server) annualSheet() national.ScoreSheet {
	return national.ScoreSheet(s.prog.AnnualEval().ScoreSheet)
}

// annualSubject is what an expert reads in an annual round: the platform's
// submitted report on year as sections (the targets first), and its evidence. A
// report not submitted is ENOTFOUND.
func (s *Server) annualSubject(ctx context.Context, app *biopilot.Application, year int) ([]sectionView, []evidenceItem, error) {
	rep, err := s.db.AnnualReportFor(ctx, app.ID, year)
	if err != nil {
		return nil, nil, err
	}
	if rep.State != store.ReportSubmitted {
		return nil, nil, biopilot.Errorf(biopilot.ENOTFOUND, "该平台的 %d 年度报告尚未提交", year)
	}
	doc, err := decodeReport(rep)
	if err != nil {
		return nil, nil, err
	}
	tv := sectionView{Title: fmt.Sprintf("%d 年度报告 · 量化目标完成情况", year),
		Text: fmt.Sprintf("报告于 %s 提交，摘要（SM3）%s。", beijing(rep.SubmittedAt), rep.SnapshotHash)}
	for _, t := range targetViews(annual.Compare(s.prog, nil, year, doc)) {
		tv.Rows = append(tv.Rows, fieldView{Key: "targets." + t.Key, Label: t.Label,
			Value: fmt.Sprintf("目标 %s；实际完成 %s；完成率 %s", t.TargetText, t.ActualText, t.RatioText)})
	}
	out := []sectionView{tv}
	for _, sec := range s.annualSections(doc, false, nil) {
		if len(sec.Views) > 0 {
			out = append(out, sectionView{Title: sec.Title, Rows: sec.Views})
		}
	}
	list, err := s.annualEvidence(ctx, app.ID, year)
	if err != nil {
		return nil, nil, err
	}
	var ev []evidenceItem
	for _, g := range s.annualEvidenceGroups(list, year) {
		for _, f := range g.Files {
			ev = append(ev, evidenceItem{A: f.Attachment, Category: g.Label, Previewable: f.Previewable,
				Image: f.Kind == files.KindJPEG || f.Kind == files.KindPNG})
		}
	}
	return out, ev, nil
}

// annualTask loads an assignment of an annual round for its expert u and checks
// act: another expert's, a conflicted or a dropped one is ENOTFOUND.
func (s *Server) annualTask(ctx context.Context, u *biopilot.User, assignmentID int64, act authz.ExpertAction) (*store.ReviewAssignment, *store.ExpertRecord, *biopilot.Application, error) {
	a, e, app, err := s.expertTask(ctx, u, assignmentID, act)
	if err != nil {
		return nil, nil, nil, err
	}
	if _, ok := annualYearOf(a.Round); !ok {
		return nil, nil, nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该评审任务")
	}
	return a, e, app, nil
}

// DeclareAnnual records expert u's declaration on an assignment of an annual round
// (no conflict → it may read and score; a conflict → reassigned at once to the
// least-loaded eligible expert, national.Reassign). The expert pages do the same
// for every round; this is for callers without a request (the demo's seeding).
// Audited.
func (s *Server) DeclareAnnual(ctx context.Context, u *biopilot.User, assignmentID int64, conflict bool, reason string) (*store.ReviewAssignment, error) {
	a, e, app, err := s.annualTask(ctx, u, assignmentID, authz.ExpertDeclare)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	d := national.Declaration{AppID: appKey(app.ID), ExpertID: expertKey(e.ID), Conflict: conflict, Reason: reason}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	req := store.DeclareRequest{AssignmentID: a.ID, Conflict: conflict, Reason: reason, At: s.now()}
	detail := map[string]any{"assignment_id": a.ID, "round": a.Round, "conflict": conflict}
	if conflict {
		detail["reason"] = reason
		rs, err := s.loadRound(ctx, a.Round)
		if err != nil {
			return nil, err
		}
		opt := national.Options{Declined: rs.Declined, Seed: uint64(app.ID), DomainLabel: s.prog.DomainLabel}
		if _, repl, rerr := national.Reassign(rs.assignment(), s.candidate(app), d.ExpertID, rs.pool(), opt); rerr != nil {
			detail["shortfall"] = biopilot.ErrorMessage(rerr)
		} else {
			req.Replacement = &store.ReviewAssignment{ProgramID: s.prog.ID, Round: a.Round,
				ApplicationID: app.ID, ExpertID: parseKey(repl), State: store.AssignAssigned, AssignedAt: s.now()}
			detail["replacement_expert_id"] = req.Replacement.ExpertID
		}
	}
	out, err := s.db.Declare(ctx, req)
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditCtx(ctx, u, appObject(app.ID), "national:declare", resultOf(err), detail)
	return out, err
}

// ScoreAnnual seals expert u's score of an annual round's report (national.Seal
// over the annual score sheet) and stores it: final. The expert pages do the same
// for every round; this is for callers without a request (the demo's seeding).
// Audited.
func (s *Server) ScoreAnnual(ctx context.Context, u *biopilot.User, assignmentID int64, points map[string]float64, comments map[string]string) (*store.ReviewAssignment, error) {
	a, e, app, err := s.annualTask(ctx, u, assignmentID, authz.ExpertScore)
	if err != nil {
		return nil, err
	}
	sc := national.Score{ExpertID: expertKey(e.ID), AppID: appKey(app.ID), Points: points, Comments: comments}
	only := national.Assignment{Experts: map[string][]string{sc.AppID: {sc.ExpertID}}}
	sealed, err := national.Seal(s.annualSheet(), only, sc, s.now().UTC().Truncate(time.Millisecond))
	if err != nil {
		return nil, err
	}
	out, err := s.db.SubmitScore(ctx, a.ID, sealed)
	detail := map[string]any{"assignment_id": a.ID, "round": a.Round, "total": sealed.Total, "digest": sealed.Digest}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditCtx(ctx, u, appObject(app.ID), "national:score", resultOf(err), detail)
	return out, err
}

// annualDocument is the submitted report of an annual round as the expert API
// shows it: the document and its snapshot hash.
func (s *Server) annualDocument(ctx context.Context, app *biopilot.Application, year int) (json.RawMessage, string, error) {
	rep, err := s.db.AnnualReportFor(ctx, app.ID, year)
	if err != nil {
		return nil, "", err
	}
	if rep.State != store.ReportSubmitted {
		return nil, "", biopilot.Errorf(biopilot.ENOTFOUND, "该平台的 %d 年度报告尚未提交", year)
	}
	return rep.Document, rep.SnapshotHash, nil
}

// serveAnnualEvidence serves one evidence file of app's submitted report on year
// to the expert of an annual round, as the snapshot's evidence is served
// (previewable kinds inline under a sandboxing CSP, others as downloads); audited.
func (s *Server) serveAnnualEvidence(w http.ResponseWriter, r *http.Request, app *biopilot.Application, year int) error {
	_, list, err := s.annualSubject(r.Context(), app, year)
	if err != nil {
		return err
	}
	return s.serveEvidence(w, r, app, list, map[string]any{"as": "expert", "year": year})
}
