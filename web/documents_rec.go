package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"biopilot"
	"biopilot/authz"
	"biopilot/export"
	"biopilot/files"
	"biopilot/render"
	"biopilot/seal"
	"biopilot/store"
)

// DOCUMENTS: a city's recommendation letter (推荐函) and its sealed package (issue 6).

// loadRecommendation loads the recommendation named by {id} for reading: the city's
// own two authorities (authz.CheckLetter), and once sent, the authorities of its
// province. Anything else is ENOTFOUND.
func (s *Server) loadRecommendation(r *http.Request) (*store.Recommendation, error) {
	notFound := biopilot.Errorf(biopilot.ENOTFOUND, "未找到该推荐文件")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, notFound
	}
	rec, err := s.db.Recommendation(r.Context(), id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	if rec.ProgramID != s.prog.ID || rec.Level != store.LevelCity {
		return nil, notFound
	}
	if err := authz.CheckLetterRead(currentUser(r), rec.Jurisdiction, rec.State == store.RecSent); err != nil {
		if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
			return nil, notFound
		}
		return nil, err
	}
	return rec, nil
}

// recApps loads a recommendation's applications in the city's order.
func (s *Server) recApps(ctx context.Context, rec *store.Recommendation) ([]*biopilot.Application, error) {
	out := make([]*biopilot.Application, 0, len(rec.ApplicationIDs))
	for _, id := range rec.ApplicationIDs {
		a, err := s.db.Application(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// recSignatures are the seals on a recommendation (city_miit's, city_drc's, the
// sending seal).
func recSignatures(rec *store.Recommendation) ([]*seal.Signature, error) {
	if len(rec.Signatures) == 0 || string(rec.Signatures) == "null" {
		return nil, nil
	}
	var sigs []*seal.Signature
	if err := json.Unmarshal(rec.Signatures, &sigs); err != nil {
		return nil, fmt.Errorf("recommendation %d: signatures: %w", rec.ID, err)
	}
	return sigs, nil
}

// Letter builds the 推荐函 of a city's recommendation: its number, the applications
// in the city's order, the joint opinion, both city authorities with their seals
// (once sealed), the date (sent, else last changed) and 抄送 the province's
// development and reform commission. REVIEW's pages may call it.
func (s *Server) Letter(ctx context.Context, rec *store.Recommendation) (render.Letter, []*biopilot.Application, error) {
	apps, err := s.recApps(ctx, rec)
	if err != nil {
		return render.Letter{}, nil, err
	}
	sigs, err := recSignatures(rec)
	if err != nil {
		return render.Letter{}, nil, err
	}
	date := rec.SentAt
	if date.IsZero() {
		date = rec.UpdatedAt
	}
	l := render.Letter{Number: rec.Number, City: s.prog.CityName(rec.Jurisdiction), Opinion: rec.Opinion,
		Date: date, Location: biopilot.Beijing}
	if miit, drc := s.prog.ProvinceAuthorities(rec.Jurisdiction); miit != "" {
		l.Addressee, l.CC = miit, []string{drc} // the city's own province
	}
	for _, role := range []biopilot.Role{biopilot.RoleCityMIIT, biopilot.RoleCityDRC} {
		name := s.authorityName(role, rec.Jurisdiction)
		st := render.Seal{Holder: name}
		for _, sg := range sigs {
			if sg.Role == string(role) {
				st = sealOf(sg)
				st.Holder = name
			}
		}
		l.Authorities = append(l.Authorities, st)
	}
	for i, a := range apps {
		var labels []string
		for _, d := range a.Domains {
			labels = append(labels, s.prog.DomainLabel(d))
		}
		l.Items = append(l.Items, render.LetterItem{Order: i + 1, OrgName: a.OrgName,
			PlatformName: a.PlatformName, Domains: labels, ApplicationNo: s.appNumber(a)})
	}
	return l, apps, nil
}

func (s *Server) apiRecLetterPDF(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.loadRecommendation(r)
	if err != nil {
		return err
	}
	l, _, err := s.Letter(r.Context(), rec)
	if err != nil {
		return err
	}
	rd, err := s.rendererFor()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := rd.LetterPDF(&buf, s.prog, l); err != nil {
		return err
	}
	name := fmt.Sprintf("推荐函-%s-%d.pdf", l.City, rec.ID)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", files.ContentDisposition(name))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	s.audit(r, fmt.Sprintf("recommendation:%d", rec.ID), "download", auditOK, map[string]any{"file": name, "state": rec.State})
	return err
}

// apiRecPackage streams the sealed package of a city's recommendation: the 推荐函
// and every recommended application (PDF, snapshot, evidence, signed decisions).
func (s *Server) apiRecPackage(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.loadRecommendation(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	u := currentUser(r)
	l, apps, err := s.Letter(ctx, rec)
	if err != nil {
		return err
	}
	in := export.RecInput{Program: s.prog, CityCode: rec.Jurisdiction, Letter: l, Open: s.opener(), At: s.now()}
	for _, a := range apps {
		pa, err := s.packageApp(ctx, a)
		if err != nil {
			return err
		}
		in.Applications = append(in.Applications, pa)
	}
	sigs, err := recSignatures(rec)
	if err != nil {
		return err
	}
	for _, sg := range sigs {
		in.Signatures = append(in.Signatures, export.Signed{Signature: sg})
	}
	sealer, err := s.exportSealer(ctx, u, 0)
	if err != nil {
		return err
	}
	in.Sealers = []seal.Sealer{sealer}
	if in.Renderer, err = s.rendererFor(); err != nil {
		return err
	}
	name := fmt.Sprintf("推荐材料-%s-%d.zip", l.City, rec.ID)
	return s.streamPackage(w, r, fmt.Sprintf("recommendation:%d", rec.ID), name, func(w io.Writer) error {
		return export.RecommendationPackage(ctx, w, in)
	})
}
