package web

// ANNUAL: what the expert pages (expert_*.go, generic over the round) need for an
// annual round: its score sheet (the annual section's) and its subject — the
// platform's submitted report of the year, with each target beside what was
// achieved and the report's evidence — in the shapes the expert page already
// shows (sections of rows, evidence items).

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/annual"
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
