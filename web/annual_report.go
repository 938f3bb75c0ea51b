package web

// ANNUAL: a listed platform's annual report (年度报告) — opened pre-filled from last
// year's report and the application's 量化目标 (annual.Prefill), saved with a
// version (a stale save is refused with the current report: nothing is lost),
// evidence as attachments of the platform's application with the category
// annual-<year>:<key>, and the submission frozen with the hash of the document and
// its evidence. Every change is audited.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"biopilot"
	"biopilot/annual"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/seal"
	"biopilot/store"
)

// evidencePrefix is the attachment category prefix of year y's report evidence.
func evidencePrefix(y int) string { return fmt.Sprintf("annual-%d:", y) }

// decodeReport decodes a stored report's document.
func decodeReport(r *store.AnnualReport) (map[string]any, error) {
	doc := map[string]any{}
	if len(r.Document) == 0 {
		return doc, nil
	}
	if err := json.Unmarshal(r.Document, &doc); err != nil {
		return nil, fmt.Errorf("annual report %d: stored document invalid: %w", r.ID, err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}

// applicationDoc is the platform's application as submitted (its snapshot): its
// targets are what the platform promised.
func (s *Server) applicationDoc(app *biopilot.Application) program.Document {
	doc, err := s.snapshotDoc(app)
	if err != nil {
		s.logger.Error("annual: application document", "application_id", app.ID, "err", err)
		return nil
	}
	return doc
}

// OpenAnnualReport returns the platform's report on year, creating it as a draft
// pre-filled from last year's report (or the application) and the application's
// targets for the year when there is none. Creating needs the organisation's
// right to file, an open evaluation of the year, and a platform listed before the
// year ended; reading an existing one needs the right to view.
func (s *Server) OpenAnnualReport(ctx context.Context, u *biopilot.User, appID int64, year int) (*store.AnnualReport, error) {
	app, err := s.platform(ctx, u, appID, authz.AnnualView)
	if err != nil {
		return nil, err
	}
	rep, err := s.db.AnnualReportFor(ctx, app.ID, year)
	if err == nil || biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return rep, err
	}
	if err := authz.CheckAnnualReport(u, authz.AnnualFile, app); err != nil {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "该平台尚未填报 %d 年度报告", year)
	}
	ev, err := s.evaluation(ctx, year)
	if err != nil {
		return nil, err
	}
	entry, err := s.db.DirectoryEntry(ctx, app.ID)
	if err != nil && biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return nil, err
	}
	if !reportsOn(entry, year) {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "平台在 %d 年结束后才入选，无需填报该年度报告", year)
	}
	if err := s.stillOpen(ev); err != nil {
		return nil, err
	}
	var last map[string]any
	if prev, err := s.db.AnnualReportFor(ctx, app.ID, year-1); err == nil {
		if last, err = decodeReport(prev); err != nil {
			return nil, err
		}
	} else if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return nil, err
	}
	doc := annual.Prefill(s.prog, s.applicationDoc(app), year, last)
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	rep, err = s.db.OpenAnnualReport(ctx, s.prog.ID, app.ID, year, raw, u.ID)
	if err != nil {
		return nil, err
	}
	if rep.Version == 1 && rep.CreatedBy == u.ID && rep.UpdatedAt.Equal(rep.CreatedAt) {
		s.auditCtx(ctx, u, appObject(app.ID), "annual:open_report", auditOK,
			map[string]any{"year": year, "report_id": rep.ID, "carried_over": last != nil})
	}
	return rep, nil
}

// fileable loads the platform and its draft report on year for filing: the
// organisation's right to file, an open evaluation, a report not yet submitted.
func (s *Server) fileable(ctx context.Context, u *biopilot.User, appID int64, year int) (*biopilot.Application, *store.AnnualReport, error) {
	app, err := s.platform(ctx, u, appID, authz.AnnualFile)
	if err != nil {
		return nil, nil, err
	}
	ev, err := s.evaluation(ctx, year)
	if err != nil {
		return nil, nil, err
	}
	rep, err := s.OpenAnnualReport(ctx, u, appID, year)
	if err != nil {
		return nil, nil, err
	}
	if rep.State != store.ReportDraft {
		return nil, nil, biopilot.Errorf(biopilot.ECONFLICT, "年度报告已提交，不能修改")
	}
	if err := s.stillOpen(ev); err != nil {
		return nil, nil, err
	}
	return app, rep, nil
}

// AnnualReportInput is a save of a report: the whole document (what the form
// defines; the application's targets are attached by the server) on BaseVersion.
type AnnualReportInput struct {
	ApplicationID int64          `json:"application_id"`
	Year          int            `json:"year"`
	BaseVersion   int64          `json:"base_version"`
	Document      map[string]any `json:"document"`
}

// SaveAnnualReport validates and stores a new version of the draft report. Invalid
// values are EINVALID naming each field; a save on a stale version is ECONFLICT
// whose Detail is the current *store.AnnualReport (the caller keeps what it sent).
func (s *Server) SaveAnnualReport(ctx context.Context, u *biopilot.User, in AnnualReportInput) (*store.AnnualReport, error) {
	app, rep, err := s.fileable(ctx, u, in.ApplicationID, in.Year)
	if err != nil {
		return nil, err
	}
	if in.Document == nil {
		in.Document = map[string]any{}
	}
	doc, err := annual.Validate(s.prog, in.Document)
	if err != nil {
		return nil, err
	}
	annual.AttachTargets(s.prog, s.applicationDoc(app), in.Year, doc)
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	saved, err := s.db.SaveAnnualReport(ctx, rep.ID, in.BaseVersion, raw, u.ID)
	detail := map[string]any{"year": in.Year, "report_id": rep.ID, "base_version": in.BaseVersion}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
		s.auditCtx(ctx, u, appObject(app.ID), "annual:save", auditFailed, detail)
		return nil, err
	}
	detail["version"] = saved.Version
	s.auditCtx(ctx, u, appObject(app.ID), "annual:save", auditOK, detail)
	return saved, nil
}

// annualEvidence lists the platform's live evidence of year's report, in upload
// order.
func (s *Server) annualEvidence(ctx context.Context, appID int64, year int) ([]*store.Attachment, error) {
	all, err := s.db.Attachments(ctx, appID)
	if err != nil {
		return nil, err
	}
	var out []*store.Attachment
	for _, a := range all {
		if strings.HasPrefix(a.Category, evidencePrefix(year)) {
			out = append(out, a)
		}
	}
	return out, nil
}

// reportHash is the hash of a report's snapshot: SM3 over the canonical JSON of
// the document and its evidence (category, file name, size and content hashes).
func reportHash(doc map[string]any, evidence []*store.Attachment) (string, error) {
	ev := make([]any, 0, len(evidence))
	for _, a := range evidence {
		ev = append(ev, map[string]any{"category": a.Category, "filename": a.Filename, "size": a.Size,
			"sha256": a.SHA256, "sm3": a.SM3})
	}
	sort.SliceStable(ev, func(i, j int) bool {
		x, y := ev[i].(map[string]any), ev[j].(map[string]any)
		if x["category"] != y["category"] {
			return x["category"].(string) < y["category"].(string)
		}
		return x["sha256"].(string) < y["sha256"].(string)
	})
	return seal.CanonicalHash(map[string]any{"document": doc, "evidence": ev})
}

// AnnualSubmitInput submits a report at BaseVersion.
type AnnualSubmitInput struct {
	ApplicationID int64 `json:"application_id"`
	Year          int   `json:"year"`
	BaseVersion   int64 `json:"base_version"`
}

// SubmitAnnualReport freezes the draft report after checking it is complete
// (EINVALID naming every missing field), with the hash of its document and
// evidence.
func (s *Server) SubmitAnnualReport(ctx context.Context, u *biopilot.User, in AnnualSubmitInput) (*store.AnnualReport, error) {
	app, rep, err := s.fileable(ctx, u, in.ApplicationID, in.Year)
	if err != nil {
		return nil, err
	}
	if in.BaseVersion != rep.Version {
		e := biopilot.Errorf(biopilot.ECONFLICT, "年度报告已被他人修改（当前版本 %d），请先查看对方的修改", rep.Version)
		e.Detail = rep
		return nil, e
	}
	raw, err := decodeReport(rep)
	if err != nil {
		return nil, err
	}
	doc, err := annual.Validate(s.prog, raw)
	if err == nil {
		err = annual.Complete(s.prog, doc)
	}
	if err != nil {
		return nil, err
	}
	evidence, err := s.annualEvidence(ctx, app.ID, in.Year)
	if err != nil {
		return nil, err
	}
	hash, err := reportHash(doc, evidence)
	if err != nil {
		return nil, err
	}
	out, err := s.db.SubmitAnnualReport(ctx, rep.ID, in.BaseVersion, hash, u.ID)
	detail := map[string]any{"year": in.Year, "report_id": rep.ID, "version": in.BaseVersion,
		"snapshot_hash": hash, "evidence": len(evidence)}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditCtx(ctx, u, appObject(app.ID), "annual:submit", resultOf(err), detail)
	return out, err
}
