package web

// ANNUAL: the JSON API of the annual evaluation — a platform's report of a year
// (GET opens the draft for its organisation; PUT saves on a version; submit), the
// ministry's evaluations, star ratings and removal. Documented in openapi.json.

import (
	"encoding/json"
	"net/http"

	"biopilot"
	"biopilot/annual"
	"biopilot/store"
)

// annualReportJSON is a report as the API shows it, with each target beside what was
// achieved and the evidence.
func (s *Server) annualReportJSON(r *http.Request, rep *store.AnnualReport) (map[string]any, error) {
	doc, err := decodeReport(rep)
	if err != nil {
		return nil, err
	}
	app, err := s.db.Application(r.Context(), rep.ApplicationID)
	if err != nil {
		return nil, err
	}
	appDoc := s.applicationDoc(app)
	if rep.State == store.ReportSubmitted {
		appDoc = nil
	}
	targets := jsonItems(annual.Compare(s.prog, appDoc, rep.Year, doc), func(t annual.TargetRow) map[string]any {
		m := map[string]any{"key": t.Key, "label": t.Label, "unit": t.Unit, "year": t.Year, "met": t.Met}
		if t.HasTarget {
			m["target"] = t.Target
		}
		if t.HasActual {
			m["actual"] = t.Actual
		}
		if t.HasTarget && t.HasActual {
			m["ratio"] = t.Ratio
		}
		return m
	})
	ev, err := s.annualEvidence(r.Context(), rep.ApplicationID, rep.Year)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": rep.ID, "application_id": rep.ApplicationID, "year": rep.Year, "state": rep.State,
		"version": rep.Version, "document": json.RawMessage(rep.Document), "snapshot_hash": rep.SnapshotHash,
		"updated_at": rfc3339(rep.UpdatedAt), "submitted_at": rfc3339(rep.SubmittedAt), "targets": targets,
		"evidence": jsonItems(ev, attachmentJSON)}, nil
}

// reportError writes a stale save's conflict with the current report; other
// errors go the usual way.
func (s *Server) reportError(w http.ResponseWriter, r *http.Request, err error) error {
	if e := biopilot.AsError(err); e != nil && e.Code == biopilot.ECONFLICT {
		if cur, ok := e.Detail.(*store.AnnualReport); ok && cur != nil {
			body, jerr := s.annualReportJSON(r, cur)
			if jerr != nil {
				return jerr
			}
			writeJSON(w, http.StatusConflict, map[string]any{"error": errorDetail{Code: e.Code, Message: e.Message}, "current": body})
			return nil
		}
	}
	return err
}

func (s *Server) apiAnnualReport(w http.ResponseWriter, r *http.Request) error {
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	rep, err := s.OpenAnnualReport(s.reqCtx(r), currentUser(r), id, year)
	if err != nil {
		return err
	}
	body, err := s.annualReportJSON(r, rep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) apiSaveAnnualReport(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		BaseVersion int64          `json:"base_version"`
		Document    map[string]any `json:"document"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	rep, err := s.SaveAnnualReport(s.reqCtx(r), currentUser(r), AnnualReportInput{ApplicationID: id, Year: year,
		BaseVersion: in.BaseVersion, Document: in.Document})
	if err != nil {
		return s.reportError(w, r, err)
	}
	body, err := s.annualReportJSON(r, rep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) apiSubmitAnnualReport(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		BaseVersion int64 `json:"base_version"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	rep, err := s.SubmitAnnualReport(s.reqCtx(r), currentUser(r), AnnualSubmitInput{ApplicationID: id, Year: year, BaseVersion: in.BaseVersion})
	if err != nil {
		return s.reportError(w, r, err)
	}
	body, err := s.annualReportJSON(r, rep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) apiOpenAnnualEvaluation(w http.ResponseWriter, r *http.Request) error {
	var in AnnualEvaluationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ev, err := s.OpenAnnualEvaluation(s.reqCtx(r), currentUser(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": ev.ID, "year": ev.Year, "title": ev.Title,
		"due_at": rfc3339(ev.DueAt), "opened_at": rfc3339(ev.OpenedAt), "round": store.AnnualRound(ev.Year)})
	return nil
}

func (s *Server) apiAnnualAssign(w http.ResponseWriter, r *http.Request) error {
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	res, err := s.AssignAnnual(s.reqCtx(r), currentUser(r), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiAnnualStars(w http.ResponseWriter, r *http.Request) error {
	var in StarsInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in.ApplicationID = id
	rt, err := s.SetPlatformStars(s.reqCtx(r), currentUser(r), in)
	if err != nil {
		return err
	}
	ratings, err := s.db.StarRatings(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": rt.ID, "application_id": id, "year": rt.Year, "stars": rt.Stars,
		"reason": rt.Reason, "set_at": rfc3339(rt.SetAt), "history": jsonItems(ratings, func(x *store.StarRating) map[string]any {
			return map[string]any{"year": x.Year, "stars": x.Stars, "reason": x.Reason, "set_at": rfc3339(x.SetAt)}
		})})
	return nil
}

func (s *Server) apiAnnualRemove(w http.ResponseWriter, r *http.Request) error {
	var in RemovalInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in.ApplicationID = id
	if err := s.RemovePlatform(s.reqCtx(r), currentUser(r), in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"application_id": id, "state": biopilot.StateRemoved,
		"grounds": in.Grounds, "grounds_label": annual.GroundsLabel(in.Grounds)})
	return nil
}

// apiAnnualEvaluation is the ministry's view of one year's evaluation: every
// platform that reports on the year, its report's state, experts and aggregate.
func (s *Server) apiAnnualEvaluation(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	ev, err := s.evaluation(r.Context(), year)
	if err != nil {
		return err
	}
	d, err := s.annualResults(r.Context(), ev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"year": ev.Year, "title": ev.Title, "due_at": rfc3339(ev.DueAt),
		"round": store.AnnualRound(ev.Year), "experts_per_report": d.N, "max_total": d.Max, "submitted": d.Submitted,
		"items": jsonItems(d.Rows, func(row *annualRow) map[string]any {
			m := map[string]any{"application_id": row.Entry.ApplicationID, "platform_name": row.Entry.PlatformName,
				"org_name": row.Entry.OrgName, "province": row.Province, "stars": row.Entry.Stars,
				"removed": !row.Entry.RemovedAt.IsZero(), "report_state": "none", "assigned": row.Assigned, "scored": row.Scored}
			if row.Report != nil {
				m["report_state"], m["report_version"] = row.Report.State, row.Report.Version
			}
			if res := row.Result; res != nil {
				m["score"], m["spread"], m["outliers"] = res.Score, res.Spread, len(res.Outliers)
			}
			return m
		})})
	return nil
}
