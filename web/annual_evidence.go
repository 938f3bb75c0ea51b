package web

// ANNUAL: the evidence of an annual report (佐证材料): files streamed into the files
// store (typed by content, size-limited, never served inline as HTML) and recorded
// as attachments of the platform's application with the category
// annual-<year>:<key>. Downloads go through GET /api/v1/attachments/{aid}
// (always as an attachment, audited). Uploads and removals stop at submission.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"biopilot"
	"biopilot/files"
	"biopilot/program"
	"biopilot/store"
)

// annualEvidenceField is the report form's evidence field (nil if none).
func (s *Server) annualEvidenceField() *program.Field {
	f := s.prog.AnnualForm()
	if f == nil {
		return nil
	}
	for _, fl := range f.Fields {
		if fl.Type == program.TypeAttachments {
			return fl
		}
	}
	return nil
}

// annualCategory checks an evidence key of the report form.
func (s *Server) annualCategory(key string) error {
	fl := s.annualEvidenceField()
	if fl == nil || !slices.ContainsFunc(fl.Options, func(o program.Option) bool { return o.Key == key }) {
		return biopilot.FieldErrorf("category", "没有这一类佐证材料：%s", key)
	}
	return nil
}

// AddAnnualEvidence stores one evidence file of the platform's draft report on
// year under the form's evidence key. A file of a refused type or over the size
// limit is EINVALID / ETOOLARGE with a Chinese message; audited.
func (s *Server) AddAnnualEvidence(ctx context.Context, u *biopilot.User, appID int64, year int, key, filename string, content io.Reader) (*store.Attachment, error) {
	if err := s.annualCategory(key); err != nil {
		return nil, err
	}
	app, _, err := s.fileable(ctx, u, appID, year)
	if err != nil {
		return nil, err
	}
	if s.files == nil {
		return nil, errors.New("web: no files store configured")
	}
	info, err := s.files.Put(ctx, content, filename, s.maxUpload())
	if err != nil {
		return nil, err
	}
	a := &store.Attachment{ApplicationID: app.ID, Category: evidencePrefix(year) + key, SHA256: info.SHA256,
		SM3: info.SM3, Filename: info.Filename, Size: info.Size, Kind: info.Kind, MediaType: info.MediaType,
		UploadedBy: u.ID, UploadedAt: s.now()}
	if err := s.db.AddAttachment(ctx, a); err != nil {
		return nil, err
	}
	s.auditCtx(ctx, u, appObject(app.ID), "annual:evidence_upload", auditOK,
		map[string]any{"year": year, "attachment_id": a.ID, "category": a.Category, "sha256": a.SHA256, "size": a.Size})
	return a, nil
}

// RemoveAnnualEvidence removes one evidence file of the draft report on year; the
// row and the content stay. Audited.
func (s *Server) RemoveAnnualEvidence(ctx context.Context, u *biopilot.User, appID int64, year int, attachmentID int64) error {
	app, _, err := s.fileable(ctx, u, appID, year)
	if err != nil {
		return err
	}
	a, err := s.db.Attachment(ctx, attachmentID)
	if err != nil || a.ApplicationID != app.ID || !strings.HasPrefix(a.Category, evidencePrefix(year)) || !a.RemovedAt.IsZero() {
		return biopilot.Errorf(biopilot.ENOTFOUND, "附件不存在")
	}
	if err := s.db.RemoveAttachment(ctx, app.ID, a.ID, s.now()); err != nil {
		return err
	}
	s.auditCtx(ctx, u, appObject(app.ID), "annual:evidence_remove", auditOK,
		map[string]any{"year": year, "attachment_id": a.ID, "category": a.Category})
	return nil
}

// annualEvidenceGroup is one evidence key of a report with its files.
type annualEvidenceGroup struct {
	Key, Label string
	Files      []evidenceFile
}

// annualEvidenceGroups lists a report's evidence by the form's keys.
func (s *Server) annualEvidenceGroups(list []*store.Attachment, year int) []annualEvidenceGroup {
	fl := s.annualEvidenceField()
	if fl == nil {
		return nil
	}
	var out []annualEvidenceGroup
	for _, o := range fl.Options {
		g := annualEvidenceGroup{Key: o.Key, Label: o.Label}
		for _, a := range list {
			if a.Category == evidencePrefix(year)+o.Key {
				g.Files = append(g.Files, evidenceFile{Attachment: a, SizeText: sizeText(a.Size), Previewable: files.Previewable(a.Kind)})
			}
		}
		out = append(out, g)
	}
	return out
}

// uploadAnnual stores the files of a multipart request (the page's form, parsed
// already, or the API's stream) under one evidence key. It returns the stored
// attachments and the refusals (too large, wrong type) with their messages.
func (s *Server) uploadAnnual(r *http.Request, appID int64, year int, key string) ([]*store.Attachment, []uploadRefusal, error) {
	ctx, u := s.reqCtx(r), currentUser(r)
	var added []*store.Attachment
	var refused []uploadRefusal
	one := func(name string, rd io.Reader) error {
		if len(added)+len(refused) >= maxUploadFiles {
			return biopilot.Errorf(biopilot.ETOOLARGE, "一次最多上传 %d 个文件", maxUploadFiles)
		}
		a, err := s.AddAnnualEvidence(ctx, u, appID, year, key, name, rd)
		if c := biopilot.ErrorCode(err); c == biopilot.ETOOLARGE || (c == biopilot.EINVALID && biopilot.AsError(err).Field != "category") {
			refused = append(refused, uploadRefusal{Filename: files.CleanFilename(name), Code: c, Message: biopilot.ErrorMessage(err)})
			return nil
		} else if err != nil {
			return err
		}
		added = append(added, a)
		return nil
	}
	if err := eachUpload(r, one); err != nil {
		return nil, nil, err
	}
	return added, refused, nil
}
