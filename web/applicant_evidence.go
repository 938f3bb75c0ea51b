package web

// Evidence (佐证材料): uploads streamed into the files store (content-addressed,
// typed by content, size-limited), listed per category, removed, downloaded. The
// document's evidence.<category> lists the attachment ids (as strings); every
// upload and removal updates it with a save on the current version, retrying when
// a colleague saved meanwhile, so the document and the attachments stay in step.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/authz"
	"biopilot/files"
	"biopilot/program"
	"biopilot/store"
)

// maxUploadFiles is how many files one upload request may carry.
const maxUploadFiles = 20

// maxUpload is the per-file size limit.
func (s *Server) maxUpload() int64 {
	if s.cfg.MaxUploadBytes > 0 {
		return s.cfg.MaxUploadBytes
	}
	return files.DefaultLimit
}

// bodyLimit is the most a request's body may hold: the objection form's files
// (anonymous, so a limit of its own); uploads of evidence and Excel imports, the
// per-file limit times maxUploadFiles plus 1 MB for the multipart framing (each
// file is limited again on its own while it is stored); else MaxBodyBytes.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.Method != http.MethodPost {
		return MaxBodyBytes
	}
	p := r.URL.Path
	switch {
	case p == "/public/objections":
		return objectionBodyBytes
	case strings.HasPrefix(p, "/api/v1/applications/") && (strings.Contains(p, "/evidence/") || strings.Contains(p, "/tables/")),
		strings.HasPrefix(p, "/applications/") && (strings.HasSuffix(p, "/evidence") || strings.HasSuffix(p, "/import")),
		strings.HasPrefix(p, "/platform/") && strings.HasSuffix(p, "/evidence"): // ANNUAL: a report's evidence
		return s.maxUpload()*maxUploadFiles + 1<<20
	}
	return MaxBodyBytes
}

// limitBodies caps request bodies at bodyLimit; reading past it fails with
// *http.MaxBytesError, which the error mapping turns into 413.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(r))
		}
		next.ServeHTTP(w, r)
	})
}

// evidenceField is the form's evidence field (nil if the form has none).
func (s *Server) evidenceField() *program.Field {
	for _, fl := range s.prog.Form.Fields {
		if fl.Type == program.TypeAttachments {
			return fl
		}
	}
	return nil
}

// evidenceIDs lists the attachment ids of a category in a document.
func evidenceIDs(doc program.Document, key, category string) []string {
	v, _ := program.Lookup(doc, key+"."+category)
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, it := range list {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// attachmentJSON is an attachment as the API shows it.
func attachmentJSON(a *store.Attachment) map[string]any {
	return map[string]any{"id": a.ID, "application_id": a.ApplicationID, "category": a.Category,
		"sha256": a.SHA256, "filename": a.Filename, "size": a.Size, "kind": a.Kind,
		"media_type": a.MediaType, "previewable": files.Previewable(a.Kind),
		"uploaded_at": rfc3339(a.UploadedAt), "url": fmt.Sprintf("/api/v1/attachments/%d", a.ID)}
}

// category checks an evidence category of the form.
func (s *Server) category(key string) (*program.Field, error) {
	fl := s.evidenceField()
	if fl == nil || !slices.ContainsFunc(fl.Options, func(o program.Option) bool { return o.Key == key }) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "没有这一类佐证材料：%s", key)
	}
	return fl, nil
}

// storeDocument saves doc as the next version of app (on app.Version).
func (s *Server) storeDocument(ctx context.Context, u *biopilot.User, app *biopilot.Application, doc program.Document) (*biopilot.Application, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	platform, domains, verdict := s.derived(doc)
	return s.db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: app.ID, BaseVersion: app.Version,
		Document: raw, PlatformName: platform, Domains: domains, Verdict: verdict, UserID: u.ID, At: s.now()})
}

// updateEvidence changes the ids listed under evidence.<category> with edit, on the
// current version, retrying while colleagues save at the same moment.
func (s *Server) updateEvidence(ctx context.Context, u *biopilot.User, appID int64, category string, edit func([]string) []string) (*biopilot.Application, error) {
	fl := s.evidenceField()
	for attempt := 0; attempt < 8; attempt++ {
		app, err := s.db.Application(ctx, appID)
		if err != nil {
			return nil, err
		}
		if err := authz.Check(u, authz.Edit, app); err != nil {
			return nil, err
		}
		doc, err := s.prog.Form.DecodeDocument(app.Document)
		if err != nil {
			return nil, err
		}
		ids := edit(evidenceIDs(doc, fl.Key, category))
		list := make([]any, 0, len(ids))
		for _, id := range ids {
			list = append(list, id)
		}
		program.Set(doc, fl.Key+"."+category, nilIfEmpty(list))
		saved, err := s.storeDocument(ctx, u, app, doc)
		if biopilot.ErrorCode(err) == biopilot.ECONFLICT && app.State.Editable() {
			continue
		}
		return saved, err
	}
	return nil, biopilot.Errorf(biopilot.ECONFLICT, "同事正在频繁保存这份申请，请稍后重试")
}

// uploadResult is what one upload request did: files stored, and files refused.
type uploadResult struct {
	Items   []map[string]any `json:"items"`
	Refused []uploadRefusal  `json:"refused"`
	Version int64            `json:"version"`
}

type uploadRefusal struct {
	Filename string `json:"filename"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// upload stores the files of a multipart request under a category. Each part is
// streamed to the files store as it arrives (memory stays flat); a refused file
// (too large, wrong type) is reported and the others are kept. Without script the
// browser's form was parsed already by the CSRF check (files over 32 MB spooled to
// disk by net/http): those parts are read from r.MultipartForm.
func (s *Server) upload(r *http.Request, app *biopilot.Application, category string) (*uploadResult, error) {
	ctx := r.Context()
	u := currentUser(r)
	if s.files == nil {
		return nil, errors.New("web: no files store configured")
	}
	res := &uploadResult{Items: []map[string]any{}, Refused: []uploadRefusal{}, Version: app.Version}
	var added []string
	one := func(name string, rd io.Reader) error {
		if len(added)+len(res.Refused) >= maxUploadFiles {
			return biopilot.Errorf(biopilot.ETOOLARGE, "一次最多上传 %d 个文件", maxUploadFiles)
		}
		info, err := s.files.Put(ctx, rd, name, s.maxUpload())
		if c := biopilot.ErrorCode(err); c == biopilot.EINVALID || c == biopilot.ETOOLARGE {
			res.Refused = append(res.Refused, uploadRefusal{Filename: files.CleanFilename(name), Code: c, Message: biopilot.ErrorMessage(err)})
			return nil
		} else if err != nil {
			return err
		}
		a := &store.Attachment{ApplicationID: app.ID, Category: category, SHA256: info.SHA256, SM3: info.SM3,
			Filename: info.Filename, Size: info.Size, Kind: info.Kind, MediaType: info.MediaType,
			UploadedBy: u.ID, UploadedAt: s.now()}
		if err := s.db.AddAttachment(ctx, a); err != nil {
			return err
		}
		added = append(added, strconv.FormatInt(a.ID, 10))
		res.Items = append(res.Items, attachmentJSON(a))
		s.audit(r, fmt.Sprintf("application:%d", app.ID), "evidence_upload", auditOK,
			map[string]any{"attachment_id": a.ID, "category": category, "sha256": a.SHA256, "size": a.Size})
		return nil
	}
	if err := eachUpload(r, one); err != nil {
		return nil, err
	}
	if len(added) > 0 {
		saved, err := s.updateEvidence(ctx, u, app.ID, category, func(ids []string) []string { return append(ids, added...) })
		if err != nil {
			return nil, err
		}
		res.Version = saved.Version
	}
	return res, nil
}

// eachUpload calls one for each file of an upload request, in order: the files of
// a form already parsed (field "files"), or else the parts of the multipart stream
// as they arrive (parts without a file name are skipped). It stops at one's first
// error; a broken stream is explained by uploadReadError.
func eachUpload(r *http.Request, one func(name string, rd io.Reader) error) error {
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			f, err := fh.Open()
			if err != nil {
				return err
			}
			err = one(fh.Filename, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "请以 multipart/form-data 上传文件")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return uploadReadError(err)
		}
		if part.FileName() == "" {
			part.Close()
			continue
		}
		err = one(part.FileName(), part)
		part.Close()
		if err != nil {
			return uploadReadError(err)
		}
	}
}

func uploadReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return biopilot.Errorf(biopilot.ETOOLARGE, "上传内容超过 %d MB 的上限", mbe.Limit>>20)
	}
	if biopilot.AsError(err) != nil {
		return err
	}
	return biopilot.Errorf(biopilot.EBADREQUEST, "上传中断或格式错误，请重试")
}

func (s *Server) apiUploadEvidence(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Edit)
	if err != nil {
		return err
	}
	cat := r.PathValue("category")
	if _, err := s.category(cat); err != nil {
		return err
	}
	res, err := s.upload(r, app, cat)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if len(res.Items) == 0 && len(res.Refused) > 0 {
		// Nothing stored: the status of the first refusal, with every reason.
		status = HTTPStatus(res.Refused[0].Code)
		writeJSON(w, status, map[string]any{"error": errorDetail{Code: res.Refused[0].Code,
			Message: res.Refused[0].Message}, "refused": res.Refused})
		return nil
	}
	writeJSON(w, status, res)
	return nil
}

func (s *Server) apiListEvidence(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.View)
	if err != nil {
		return err
	}
	as, err := s.db.Attachments(r.Context(), app.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": jsonItems(as, attachmentJSON)})
	return nil
}

// loadAttachment loads the attachment named by {aid} and checks act on its
// application; what the caller may not see is ENOTFOUND.
func (s *Server) loadAttachment(r *http.Request, act authz.Action) (*store.Attachment, *biopilot.Application, error) {
	notFound := biopilot.Errorf(biopilot.ENOTFOUND, "附件不存在")
	id, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, notFound
	}
	a, err := s.db.Attachment(r.Context(), id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, nil, notFound
	} else if err != nil {
		return nil, nil, err
	}
	app, err := s.db.Application(r.Context(), a.ApplicationID)
	if err != nil {
		return nil, nil, err
	}
	if app.ProgramID != s.prog.ID {
		return nil, nil, notFound
	}
	if err := authz.Check(currentUser(r), act, app); err != nil {
		return nil, nil, err
	}
	return a, app, nil
}

// removeEvidence removes an attachment from its application and its document.
func (s *Server) removeEvidence(r *http.Request) (*biopilot.Application, error) {
	a, app, err := s.loadAttachment(r, authz.Edit)
	if err != nil {
		return nil, err
	}
	sid := strconv.FormatInt(a.ID, 10)
	saved, err := s.updateEvidence(r.Context(), currentUser(r), app.ID, a.Category, func(ids []string) []string {
		return slices.DeleteFunc(ids, func(x string) bool { return x == sid })
	})
	if err != nil {
		return nil, err
	}
	if a.RemovedAt.IsZero() {
		if err := s.db.RemoveAttachment(r.Context(), app.ID, a.ID, s.now()); err != nil && biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
			return nil, err
		}
	}
	s.audit(r, fmt.Sprintf("application:%d", app.ID), "evidence_remove", auditOK, map[string]any{"attachment_id": a.ID})
	return saved, nil
}

func (s *Server) apiRemoveEvidence(w http.ResponseWriter, r *http.Request) error {
	saved, err := s.removeEvidence(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": saved.Version})
	return nil
}

// apiDownload sends an attachment: always as a download (Content-Disposition:
// attachment, nosniff), or with ?inline=1 shown in the browser when it is a PDF or
// an image, under a CSP that allows nothing to run. Every download is audited.
func (s *Server) apiDownload(w http.ResponseWriter, r *http.Request) error {
	a, app, err := s.loadAttachment(r, authz.View)
	if err != nil {
		return err
	}
	if s.files == nil {
		return errors.New("web: no files store configured")
	}
	rc, err := s.files.Open(r.Context(), a.SHA256)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", a.MediaType)
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	disp := files.ContentDisposition(a.Filename)
	if r.URL.Query().Get("inline") == "1" && files.Previewable(a.Kind) {
		disp = "inline" + strings.TrimPrefix(disp, "attachment")
		h.Set("Content-Security-Policy", "default-src 'none'")
	} else {
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	}
	h.Set("Content-Disposition", disp)
	s.audit(r, fmt.Sprintf("attachment:%d", a.ID), "download", auditOK,
		map[string]any{"application_id": app.ID, "sha256": a.SHA256, "filename": a.Filename})
	_, err = io.Copy(w, rc)
	return err
}

// evidenceGroup is one category of evidence on the editor's evidence section.
type evidenceGroup struct {
	Key, Label string
	Files      []evidenceFile
	Reason     string
}

// evidenceFile is an attachment as the editor lists it.
type evidenceFile struct {
	*store.Attachment
	SizeText    string
	Previewable bool
}

// sizeText shows a size in bytes as a person reads it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 0, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " 字节"
}

// evidenceGroups lists the attachments the document names, by category.
func (s *Server) evidenceGroups(r *http.Request, app *biopilot.Application, fl *program.Field, doc program.Document, reasons map[string]string) ([]evidenceGroup, error) {
	as, err := s.db.Attachments(r.Context(), app.ID)
	if err != nil {
		return nil, err
	}
	byID := map[string]*store.Attachment{}
	for _, a := range as {
		byID[strconv.FormatInt(a.ID, 10)] = a
	}
	var out []evidenceGroup
	for _, o := range fl.Options {
		g := evidenceGroup{Key: o.Key, Label: o.Label, Reason: reasons[fl.Key+"."+o.Key]}
		for _, id := range evidenceIDs(doc, fl.Key, o.Key) {
			if a := byID[id]; a != nil {
				g.Files = append(g.Files, evidenceFile{Attachment: a, SizeText: sizeText(a.Size), Previewable: files.Previewable(a.Kind)})
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// pageUploadEvidence uploads from the editor's plain form, then shows the section.
func (s *Server) pageUploadEvidence(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Edit)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return uploadReadError(err)
		}
	}
	cat := r.FormValue("category")
	if _, err := s.category(cat); err != nil {
		return err
	}
	res, err := s.upload(r, app, cat)
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		return biopilot.Errorf(biopilot.EINVALID, "%s", res.Refused[0].Message)
	}
	http.Redirect(w, r, fmt.Sprintf("/applications/%d/edit?section=evidence#field-evidence.%s", app.ID, cat), http.StatusSeeOther)
	return nil
}

// pageRemoveEvidence removes an attachment from the editor's plain form.
func (s *Server) pageRemoveEvidence(w http.ResponseWriter, r *http.Request) error {
	saved, err := s.removeEvidence(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/applications/%d/edit?section=evidence", saved.ID), http.StatusSeeOther)
	return nil
}
