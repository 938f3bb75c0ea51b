package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/export"
	"biopilot/files"
	"biopilot/render"
	"biopilot/seal"
	"biopilot/store"
)

// DOCUMENTS: the 申请表 PDF and an application's sealed package (issue 6).

// rendererFor returns the server's renderer, or a new one when none was given.
func (s *Server) rendererFor() (*render.Renderer, error) {
	if s.renderer != nil {
		return s.renderer, nil
	}
	return render.New()
}

// appNumber is an application's number (申请编号), printed on its PDF and naming its
// package: GD2025-440100-0012.
func (s *Server) appNumber(app *biopilot.Application) string {
	return export.Number(s.prog, app)
}

// formMeta is what the reviewer's 申请表 carries besides the snapshot: the number,
// the snapshot hash, the applicant's seal (from the submission) and, once both
// provincial authorities sealed it, the province's opinion in section 五.
func (s *Server) formMeta(ctx context.Context, app *biopilot.Application, ts []*biopilot.Transition) (render.Meta, error) {
	no := s.appNumber(app)
	m := render.Meta{ApplicationNo: no, SnapshotHash: app.SnapshotHash, Date: app.SubmittedAt,
		VerifyData: "biopilot-verify:v1:" + no + ":" + app.SnapshotHash}
	for _, t := range ts {
		if t.To != biopilot.StateSubmitted {
			continue
		}
		if sg, err := export.FromTransition(t); err == nil && sg != nil && sg.Signature.Purpose == seal.PurposeSubmit {
			m.Seals = []render.Seal{sealOf(sg.Signature)} // the latest submission's
		}
	}
	op, err := s.ProvinceOpinion(ctx, app)
	if err != nil {
		return m, err
	}
	if op != nil {
		o := &render.Opinion{Text: op.Opinion, Date: op.Transition.At}
		for _, sg := range op.Signatures {
			o.Seals = append(o.Seals, sealOf(sg))
			o.Signer = sg.Signer
		}
		m.ProvinceOpinion = o
	}
	return m, nil
}

func sealOf(sg *seal.Signature) render.Seal {
	rs := render.Seal{Holder: sg.Holder, Signer: sg.Signer}
	if t, err := time.Parse(time.RFC3339, sg.SignedAt); err == nil {
		rs.SignedAt = t
	}
	return rs
}

// apiFormPDF serves the 申请表 as a PDF: the applicant's live draft (marked 草稿,
// no number), or for reviewers the submitted snapshot with its number, hash and
// seals. The page route /applications/{id}/form.pdf serves the same.
func (s *Server) apiFormPDF(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Export)
	if err != nil {
		return err
	}
	data, src := visibleDocument(currentUser(r), app)
	if src == "snapshot" && len(app.Snapshot) == 0 {
		return biopilot.Errorf(biopilot.ENOTFOUND, "该申请尚未提交，没有申请表")
	}
	// PERF: a rendered 申请表 is kept per document and transitions (cache.go).
	now := s.now()
	key := pdfKey{doc: docKeyOf(app, src), updated: app.UpdatedAt.UnixMilli()}
	if src != "snapshot" {
		key.day = pdfDay(now)
	}
	c := s.cache.init()
	pdf, ok := c.pdfs.get(key)
	if !ok {
		release, err := s.renderSlot(r.Context())
		if err != nil {
			return err
		}
		// Another request may have rendered it while this one waited.
		if pdf, ok = c.pdfs.get(key); !ok {
			pdf, err = s.renderFormPDF(r.Context(), app, data, src, now)
			if err == nil {
				c.addPDF(key, pdf)
			}
		}
		release()
		if err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", files.ContentDisposition(pdf.name))
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf.data)))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(pdf.data)
	s.audit(r, fmt.Sprintf("application:%d", app.ID), "download", auditOK,
		map[string]any{"file": pdf.name, "source": src, "snapshot_hash": pdf.hash})
	return err
}

// renderFormPDF renders the 申请表 of the document data shown from src.
func (s *Server) renderFormPDF(ctx context.Context, app *biopilot.Application, data []byte, src string, now time.Time) (pdfEntry, error) {
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return pdfEntry{}, fmt.Errorf("application %d: stored document invalid: %w", app.ID, err)
	}
	m := render.Meta{Date: now}
	name := fmt.Sprintf("申请表-草稿-%d-v%d.pdf", app.ID, app.Version)
	if src == "snapshot" {
		ts, err := s.db.Transitions(ctx, app.ID)
		if err != nil {
			return pdfEntry{}, err
		}
		if m, err = s.formMeta(ctx, app, ts); err != nil {
			return pdfEntry{}, err
		}
		name = "申请表-" + m.ApplicationNo + ".pdf"
	}
	rd, err := s.rendererFor()
	if err != nil {
		return pdfEntry{}, err
	}
	var buf bytes.Buffer
	if err := rd.FormPDF(&buf, s.prog, doc, m); err != nil {
		return pdfEntry{}, err
	}
	return pdfEntry{data: buf.Bytes(), name: name, hash: m.SnapshotHash}, nil
}

// exportSealer is the exporter's seal over a package's manifest: the applicant's
// organisation's key, or the caller's authority's.
func (s *Server) exportSealer(ctx context.Context, u *biopilot.User, orgID int64) (seal.Sealer, error) {
	var key *seal.Key
	var holder string
	if u.Role == biopilot.RoleApplicant {
		org, err := s.db.EnsureOrganisationKey(ctx, orgID, s.masterKey)
		if err != nil {
			return seal.Sealer{}, err
		}
		if key, err = s.db.OrganisationSigningKey(ctx, org.ID, s.masterKey); err != nil {
			return seal.Sealer{}, err
		}
		holder = org.Name
	} else {
		a, err := s.db.EnsureAuthority(ctx, u.Role, u.Jurisdiction, s.authorityName(u.Role, u.Jurisdiction), s.masterKey)
		if err != nil {
			return seal.Sealer{}, err
		}
		if key, err = s.db.AuthoritySigningKey(ctx, a.ID, s.masterKey); err != nil {
			return seal.Sealer{}, err
		}
		holder = a.Name
	}
	return seal.Sealer{Key: key, Meta: seal.SignMeta{Purpose: seal.PurposePackage, Signer: u.DisplayName,
		Role: u.Role, Holder: holder, SignedAt: s.now()}}, nil
}

// opener opens evidence files from the server's files store.
func (s *Server) opener() export.Opener {
	return func(ctx context.Context, sum string) (io.ReadCloser, error) {
		if s.files == nil {
			return nil, fmt.Errorf("no files store configured")
		}
		return s.files.Open(ctx, sum)
	}
}

// packageApp gathers what a package needs of one submitted application: its
// transitions, the evidence its snapshot lists, the PDF's meta.
func (s *Server) packageApp(ctx context.Context, app *biopilot.Application) (export.Application, error) {
	out := export.Application{App: app, Number: s.appNumber(app)}
	if len(app.Snapshot) == 0 || app.SnapshotHash == "" {
		return out, biopilot.Errorf(biopilot.ECONFLICT, "申请 %s 尚未提交，没有可导出的材料", out.Number)
	}
	ts, err := s.db.Transitions(ctx, app.ID)
	if err != nil {
		return out, err
	}
	out.Transitions = ts
	doc, err := s.prog.Form.DecodeDocument(app.Snapshot)
	if err != nil {
		return out, fmt.Errorf("application %d: snapshot invalid: %w", app.ID, err)
	}
	_, _, ev, err := s.snapshot(ctx, doc)
	if err != nil {
		return out, err
	}
	for _, e := range ev {
		x := export.Evidence{ID: e.ID, Category: e.Category, SHA256: e.SHA256, Size: e.Size, Filename: e.Filename}
		// The SM3 recorded at upload: the package then copies the file without hashing it.
		a, err := s.db.Attachment(ctx, e.ID)
		if err != nil {
			return out, err
		}
		if a.SHA256 == e.SHA256 && a.Size == e.Size {
			x.SM3 = a.SM3
		}
		out.Evidence = append(out.Evidence, x)
	}
	if out.Meta, err = s.formMeta(ctx, app, ts); err != nil {
		return out, err
	}
	return out, nil
}

// apiAppPackage streams an application's sealed package (材料包): to an authority
// that sees it, or to the applicant's own organisation.
func (s *Server) apiAppPackage(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Export)
	if err != nil {
		return err
	}
	ctx := r.Context()
	u := currentUser(r)
	pa, err := s.packageApp(ctx, app)
	if err != nil {
		return err
	}
	sealer, err := s.exportSealer(ctx, u, app.OrgID)
	if err != nil {
		return err
	}
	rd, err := s.rendererFor()
	if err != nil {
		return err
	}
	name := export.FileName(pa.Number)
	return s.streamPackage(w, r, fmt.Sprintf("application:%d", app.ID), name, func(w io.Writer) error {
		return export.ApplicationPackage(ctx, w, export.AppInput{Program: s.prog, Renderer: rd,
			Application: pa, Open: s.opener(), Sealers: []seal.Sealer{sealer}, At: s.now()})
	})
}

// streamPackage sends a package as it is written. Once the first bytes are out the
// status cannot change: a failure then is logged and audited and the response cut
// short, so the client sees a broken download, never a valid-looking one.
func (s *Server) streamPackage(w http.ResponseWriter, r *http.Request, object, name string, write func(io.Writer) error) error {
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", files.ContentDisposition(name))
	w.Header().Set("Cache-Control", "no-store")
	sw := &startWriter{w: w}
	err := write(sw)
	if err != nil {
		s.audit(r, object, "download", auditFailed, map[string]any{"file": name, "message": biopilot.ErrorMessage(err)})
		if !sw.started {
			w.Header().Del("Content-Disposition")
			return err
		}
		s.logger.ErrorContext(r.Context(), "package export failed mid-stream", "object", object, "err", err)
		panic(http.ErrAbortHandler) // cut the response: the ZIP must not look complete
	}
	s.audit(r, object, "download", auditOK, map[string]any{"file": name, "bytes": sw.n})
	return nil
}

// startWriter notes whether anything was written.
type startWriter struct {
	w       io.Writer
	started bool
	n       int64
}

func (s *startWriter) Write(p []byte) (int, error) {
	s.started = true
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

// allApps returns every application of a filter, page by page (at most max).
func (s *Server) allApps(ctx context.Context, f store.ApplicationFilter, max int) ([]*biopilot.Application, error) {
	var out []*biopilot.Application
	f.Limit, f.Offset = 500, 0
	for {
		apps, total, err := s.db.Applications(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, apps...)
		if len(apps) == 0 || len(out) >= total {
			break
		}
		if len(out) >= max {
			return nil, biopilot.Errorf(biopilot.ETOOLARGE, "符合条件的申请超过 %d 个，请缩小筛选范围后再导出", max)
		}
		f.Offset += len(apps)
	}
	return out, nil
}
