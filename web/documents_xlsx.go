package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"biopilot"
	"biopilot/authz"
	"biopilot/files"
	"biopilot/store"
	"biopilot/xlsx"
)

// DOCUMENTS: Excel exports over the caller's scope (issue 6).

// maxExportRows bounds an Excel export.
const maxExportRows = 20000

// appRows turns applications into the exports' rows: the document each caller may
// read (the snapshot for reviewers), the organisation's USCC, the number.
func (s *Server) appRows(ctx context.Context, u *biopilot.User, apps []*biopilot.Application) ([]xlsx.AppRow, error) {
	usccs := map[int64]string{}
	rows := make([]xlsx.AppRow, 0, len(apps))
	for _, a := range apps {
		if !authz.CanSee(u, a) { // the store filter is built from the scope; this is a second lock
			continue
		}
		if _, ok := usccs[a.OrgID]; !ok {
			org, err := s.db.Organisation(ctx, a.OrgID)
			if err != nil {
				return nil, err
			}
			usccs[a.OrgID] = org.USCC
		}
		if data, _ := visibleDocument(u, a); len(data) <= 2 {
			// lists carry no documents: load the application whole
			full, err := s.db.Application(ctx, a.ID)
			if err != nil {
				return nil, err
			}
			a = full
		}
		data, _ := visibleDocument(u, a)
		doc, err := s.prog.Form.DecodeDocument(data)
		if err != nil {
			return nil, fmt.Errorf("application %d: stored document invalid: %w", a.ID, err)
		}
		rows = append(rows, xlsx.AppRow{ID: a.ID, Number: s.appNumber(a), OrgName: a.OrgName,
			USCC: usccs[a.OrgID], CityCode: a.CityCode, State: a.State, Verdict: a.Verdict,
			Domains: a.Domains, Document: doc, SubmittedAt: a.SubmittedAt, UpdatedAt: a.UpdatedAt})
	}
	return rows, nil
}

// scopeFilter is the store filter of everything in u's scope.
func (s *Server) scopeFilter(u *biopilot.User) (store.ApplicationFilter, bool) {
	sc := authz.Scope(u)
	if sc.None {
		return store.ApplicationFilter{}, false
	}
	return store.ApplicationFilter{ProgramID: s.prog.ID, OrgID: sc.OrgID, CityCode: sc.CityCode,
		Province: sc.Province, States: sc.States, Sort: "id"}, true
}

// sendXLSX writes a workbook built into a buffer (a failure is still a proper
// error response) and audits the download.
func (s *Server) sendXLSX(w http.ResponseWriter, r *http.Request, name string, n int, build func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := build(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", files.ContentDisposition(name))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	s.audit(r, "program:"+s.prog.ID, "download", auditOK, map[string]any{"file": name, "rows": n, "query": r.URL.RawQuery})
	return err
}

// apiExportXLSX exports the application list with the list's own filters (state,
// domain, verdict, city, q, sort), over the caller's scope and without paging.
func (s *Server) apiExportXLSX(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if authz.Scope(u).None {
		return biopilot.Errorf(biopilot.EFORBIDDEN, "您的角色不能导出申请列表")
	}
	f, ok, err := s.listFilter(r, u)
	if err != nil {
		return err
	}
	var apps []*biopilot.Application
	if ok {
		if apps, err = s.allApps(r.Context(), f, maxExportRows); err != nil {
			return err
		}
	}
	rows, err := s.appRows(r.Context(), u, apps)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("申请列表-%s.xlsx", s.now().In(biopilot.Beijing).Format("20060102-1504"))
	return s.sendXLSX(w, r, name, len(rows), func(b *bytes.Buffer) error {
		return xlsx.ApplicationList(b, s.prog, rows)
	})
}

// reportRows returns every application in the scope of a provincial (or, for the
// summary, ministry) user.
func (s *Server) reportRows(r *http.Request, ministryToo bool) ([]xlsx.AppRow, error) {
	u := currentUser(r)
	if u == nil || !(u.Role.IsProvince() || ministryToo && u.Role == biopilot.RoleMinistry) {
		who := "省工业和信息化厅、省发展改革委"
		if ministryToo {
			who += "和工业和信息化部"
		}
		return nil, biopilot.Errorf(biopilot.EFORBIDDEN, "只有%s可以导出该报表", who)
	}
	f, ok := s.scopeFilter(u)
	if !ok {
		return nil, nil
	}
	apps, err := s.allApps(r.Context(), f, maxExportRows)
	if err != nil {
		return nil, err
	}
	return s.appRows(r.Context(), u, apps)
}

// apiSummaryXLSX is the province's (or the ministry's) summary by city × state,
// city × domain and domain × self-check verdict.
func (s *Server) apiSummaryXLSX(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.reportRows(r, true)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("汇总表-%s.xlsx", s.now().In(biopilot.Beijing).Format("20060102-1504"))
	prog := s.prog
	if u := currentUser(r); u.Role.IsProvince() && s.prog.IsNational() {
		cp := *s.prog // a province's summary lists its own cities
		cp.Cities = s.prog.CitiesIn(u.Jurisdiction)
		prog = &cp
	}
	return s.sendXLSX(w, r, name, len(rows), func(b *bytes.Buffer) error { return xlsx.Summary(b, prog, rows) })
}

// apiEquipmentGapsXLSX is the province's equipment gap sheet over the submitted
// snapshots in its scope.
func (s *Server) apiEquipmentGapsXLSX(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.reportRows(r, false)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("设备缺口表-%s.xlsx", s.now().In(biopilot.Beijing).Format("20060102-1504"))
	return s.sendXLSX(w, r, name, len(rows), func(b *bytes.Buffer) error { return xlsx.EquipmentGaps(b, s.prog, rows) })
}
