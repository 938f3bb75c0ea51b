package web

// PUBLIC: the objection form of the public notice (异议). Anybody may object to a
// proposed platform during the notice period, without an account. Spam is kept out
// without third-party services:
//
//   - a honeypot field ("website"), hidden from people, that bots fill in;
//   - a signed form token (formtoken.go) carrying its issue time: refused when the
//     form comes back faster than formTokenMinAge or later than formTokenMaxAge, and
//     usable once (its hash is recorded in the database, so every instance knows);
//   - a rate limit per client (an HMAC of the address, never the address itself):
//     objectionsPerHour and objectionsPerDay, counted in the database, so shared by
//     all instances.
//
// CSRF: an anonymous POST has no session, so the middleware's synchronizer token
// does not apply; the cross-origin check (Sec-Fetch-Site / Origin) still does, and
// the signed single-use form token, which only a page of this site hands out, is
// the form's own synchronizer token. A visitor who is logged in sends the session's
// csrf_token as well.

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"biopilot"
	"biopilot/files"
	"biopilot/store"
)

// Limits of the objection form.
const (
	objectionsPerHour     = 3
	objectionsPerDay      = 10
	maxObjectionFiles     = 3
	minGroundsRunes       = 20
	maxGroundsRunes       = 5000
	maxObjectionNameRunes = 50
	// maxObjectionFileBytes limits each attachment (a few scanned pages);
	// objectionBodyBytes the whole request (limitBodies): every file at its limit
	// plus 1 MB for the fields and the multipart framing.
	maxObjectionFileBytes = 5 << 20
	objectionBodyBytes    = maxObjectionFiles*maxObjectionFileBytes + 1<<20
)

// objectionForm is what the visitor entered, kept when the form is shown again.
type objectionForm struct {
	Name          string
	Contact       string
	ApplicationID int64
	Grounds       string
}

// objectionFormView is the data of the objection form page.
type objectionFormView struct {
	Notice    *noticeView
	Form      objectionForm
	Token     string
	Field     string // the field of the error, for its mark
	MaxFiles  int
	MinRunes  int
	MaxRunes  int
	MaxSizeMB int64
}

// openNotice is the notice accepting objections now: ENOTFOUND without one, and
// ECONFLICT 公示期已结束 when the latest has ended.
func (s *Server) openNotice(r *http.Request) (*noticeView, error) {
	n, err := s.currentNotice(r.Context())
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "目前没有正在公示的名单")
	}
	if !accepting(n, s.now()) {
		if s.now().Before(n.StartsAt) {
			return nil, biopilot.Errorf(biopilot.ECONFLICT, "公示尚未开始，%s 起受理异议",
				n.StartsAt.In(biopilot.Beijing).Format("2006年1月2日 15:04"))
		}
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "公示期已结束，不再受理异议")
	}
	return s.noticeData(r.Context(), n)
}

// renderObjectionForm shows the form with the visitor's input and a fresh token.
func (s *Server) renderObjectionForm(w http.ResponseWriter, r *http.Request, status int, nv *noticeView, in objectionForm, formErr error) error {
	v := &objectionFormView{Notice: nv, Form: in, Token: s.newFormToken(nv.Notice.ID, s.now()),
		MaxFiles: maxObjectionFiles, MinRunes: minGroundsRunes, MaxRunes: maxGroundsRunes, MaxSizeMB: maxObjectionFileBytes >> 20}
	p := s.newPublicPage(r, "提出异议", v)
	if formErr != nil {
		e, st := s.classify(r, formErr)
		p.Error, v.Field, status = e.Message, e.Field, st
	}
	return s.renderPublic(w, status, "public_objection", p)
}

// pagePublicObjectionForm shows the objection form, with the platform of
// ?platform=ID chosen.
func (s *Server) pagePublicObjectionForm(w http.ResponseWriter, r *http.Request) error {
	nv, err := s.openNotice(r)
	if err != nil {
		return err
	}
	var in objectionForm
	if id, err := strconv.ParseInt(r.URL.Query().Get("platform"), 10, 64); err == nil && proposed(nv, id) {
		in.ApplicationID = id
	}
	return s.renderObjectionForm(w, r, http.StatusOK, nv, in, nil)
}

func proposed(nv *noticeView, id int64) bool {
	return slices.ContainsFunc(nv.Platforms, func(p platformView) bool { return p.ID == id })
}

// pagePublicObjectionPost receives an objection. Any refusal shows the form again
// with what was entered (attachments must be chosen again) and a message naming
// the field; success shows the receipt.
func (s *Server) pagePublicObjectionPost(w http.ResponseWriter, r *http.Request) error {
	nv, err := s.openNotice(r)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		err := r.ParseMultipartForm(MaxBodyBytes)
		if errors.Is(err, http.ErrNotMultipart) {
			err = r.ParseForm()
		}
		if err != nil {
			return uploadReadError(err)
		}
	}
	in := objectionForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Contact: strings.TrimSpace(r.PostForm.Get("contact")),
		Grounds: strings.TrimSpace(r.PostForm.Get("grounds"))}
	in.ApplicationID, _ = strconv.ParseInt(r.PostForm.Get("application_id"), 10, 64)
	o, err := s.receiveObjection(r, nv, in)
	if err != nil {
		s.audit(r, fmt.Sprintf("notice:%d", nv.Notice.ID), "objection_refused", auditDenied,
			map[string]any{"message": biopilot.ErrorMessage(err), "field": fieldOf(err)})
		return s.renderObjectionForm(w, r, http.StatusUnprocessableEntity, nv, in, err)
	}
	platform := ""
	for _, p := range nv.Platforms {
		if p.ID == o.ApplicationID {
			platform = p.Name
		}
	}
	return s.renderPublic(w, http.StatusOK, "public_objection_done", s.newPublicPage(r, "异议已受理", map[string]any{
		"Receipt": receiptNumber(o), "Platform": platform, "At": beijing(o.CreatedAt), "Notice": nv}))
}

func fieldOf(err error) string {
	if e := biopilot.AsError(err); e != nil {
		return e.Field
	}
	return ""
}

// receiptNumber is the number an objector quotes: YY-<notice>-<objection>.
func receiptNumber(o *store.Objection) string {
	return fmt.Sprintf("YY-%d-%05d", o.NoticeID, o.ID)
}

// receiveObjection checks and stores one objection: honeypot, token, rate limit,
// fields, attachments; then the token is spent and the objection stored with its
// files in one transaction of the store.
func (s *Server) receiveObjection(r *http.Request, nv *noticeView, in objectionForm) (*store.Objection, error) {
	ctx := r.Context()
	now := s.now()
	if strings.TrimSpace(r.PostForm.Get("website")) != "" {
		return nil, biopilot.Errorf(biopilot.EBADREQUEST, "提交未通过校验，请刷新页面后重新填写")
	}
	tok := r.PostForm.Get("form_token")
	noticeID, err := s.checkFormToken(tok, now)
	if err != nil {
		return nil, err
	}
	if noticeID != nv.Notice.ID {
		return nil, biopilot.FieldErrorf("form_token", "表单已失效（公示已更新），请重新填写")
	}
	key := s.clientKey(r)
	for _, lim := range []struct {
		n      int
		window time.Duration
		what   string
	}{{objectionsPerHour, time.Hour, "每小时"}, {objectionsPerDay, 24 * time.Hour, "每天"}} {
		n, err := s.db.CountObjectionsSince(ctx, key, now.Add(-lim.window))
		if err != nil {
			return nil, err
		}
		if n >= lim.n {
			return nil, biopilot.Errorf(biopilot.ETOOMANY, "提交过于频繁：同一来源%s最多提交 %d 件异议，请稍后再试", lim.what, lim.n)
		}
	}
	if err := s.checkObjection(nv, in); err != nil {
		return nil, err
	}
	fs, err := s.objectionFiles(r)
	if err != nil {
		return nil, err
	}
	first, err := s.db.MarkSent(ctx, formTokenKey(tok))
	if err != nil {
		return nil, err
	}
	if !first {
		return nil, biopilot.FieldErrorf("form_token", "这份表单已经提交过，请勿重复提交；如需再次提出异议，请重新打开表单")
	}
	o := &store.Objection{NoticeID: nv.Notice.ID, ApplicationID: in.ApplicationID, Name: in.Name, Contact: in.Contact,
		Grounds: in.Grounds, ClientKey: key, CreatedAt: now, Files: fs}
	if err := s.db.CreateObjection(ctx, o); err != nil {
		return nil, err
	}
	s.audit(r, fmt.Sprintf("objection:%d", o.ID), "objection_create", auditOK, map[string]any{
		"notice_id": o.NoticeID, "application_id": o.ApplicationID, "files": len(o.Files), "client": key})
	return o, nil
}

// Contact formats: a mobile number, a landline (area code, optional extension), or
// an e-mail address.
var (
	mobileRe   = regexp.MustCompile(`^(\+?86[- ]?)?1[3-9]\d{9}$`)
	landlineRe = regexp.MustCompile(`^0\d{2,3}-?\d{7,8}(-\d{1,6})?$`)
)

// validContact reports whether c is a phone number or an e-mail address.
func validContact(c string) bool {
	if mobileRe.MatchString(c) || landlineRe.MatchString(c) {
		return true
	}
	if !strings.Contains(c, "@") || strings.ContainsAny(c, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(c)
	if err != nil || a.Address != c {
		return false
	}
	domain := c[strings.LastIndex(c, "@")+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// checkObjection checks the fields of an objection, naming the first wrong one.
func (s *Server) checkObjection(nv *noticeView, in objectionForm) error {
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		return biopilot.FieldErrorf("name", "请填写姓名（以单位名义提出的，填写单位名称和联系人）")
	case n > maxObjectionNameRunes:
		return biopilot.FieldErrorf("name", "姓名不能超过 %d 个字", maxObjectionNameRunes)
	}
	switch {
	case in.Contact == "":
		return biopilot.FieldErrorf("contact", "请填写联系方式（手机、固定电话或电子邮箱）")
	case !validContact(in.Contact):
		return biopilot.FieldErrorf("contact", "联系方式格式不正确：请填写手机号码（如 13800138000）、固定电话（如 020-12345678）或电子邮箱")
	}
	if in.ApplicationID == 0 || !proposed(nv, in.ApplicationID) {
		return biopilot.FieldErrorf("application_id", "请选择异议平台（本次公示名单中的平台）")
	}
	switch n := utf8.RuneCountInString(in.Grounds); {
	case n == 0:
		return biopilot.FieldErrorf("grounds", "请填写异议理由")
	case n < minGroundsRunes:
		return biopilot.FieldErrorf("grounds", "异议理由至少 %d 个字（现为 %d 个字），请写明具体事实和依据", minGroundsRunes, n)
	case n > maxGroundsRunes:
		return biopilot.FieldErrorf("grounds", "异议理由不能超过 %d 个字（现为 %d 个字）", maxGroundsRunes, n)
	}
	return nil
}

// objectionKinds are the attachments an objection may carry: PDF and images.
var objectionKinds = []string{files.KindPDF, files.KindJPEG, files.KindPNG}

// objectionFiles checks the attachments by their content (PDF, JPEG or PNG only),
// then stores them.
func (s *Server) objectionFiles(r *http.Request) ([]store.ObjectionFile, error) {
	var fhs []*multipart.FileHeader
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			if fh.Filename != "" || fh.Size > 0 { // a file input left empty sends an empty part
				fhs = append(fhs, fh)
			}
		}
	}
	if len(fhs) > maxObjectionFiles {
		return nil, biopilot.FieldErrorf("files", "附件最多 %d 个（现为 %d 个）", maxObjectionFiles, len(fhs))
	}
	if len(fhs) > 0 && s.files == nil {
		return nil, errors.New("web: no files store configured")
	}
	var out []store.ObjectionFile
	for _, fh := range fhs {
		of, err := s.objectionFile(r, fh)
		if err != nil {
			return nil, err
		}
		out = append(out, of)
	}
	return out, nil
}

func (s *Server) objectionFile(r *http.Request, fh *multipart.FileHeader) (store.ObjectionFile, error) {
	name := files.CleanFilename(fh.Filename)
	if fh.Size > maxObjectionFileBytes {
		return store.ObjectionFile{}, biopilot.FieldErrorf("files", "附件「%s」超过 %d MB 的大小限制", name, maxObjectionFileBytes>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return store.ObjectionFile{}, err
	}
	defer f.Close()
	head := make([]byte, files.HeadSize)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return store.ObjectionFile{}, err
	}
	kind, err := files.Detect(head[:n], func() (io.ReaderAt, int64, error) { return f, fh.Size, nil })
	if err != nil || !slices.Contains(objectionKinds, kind) {
		what := "不是 PDF 或图片"
		var re *files.RefusedError
		if errors.As(err, &re) && re.What != "" {
			what = "的内容是" + re.What
		} else if n == 0 {
			what = "是空文件"
		}
		return store.ObjectionFile{}, biopilot.FieldErrorf("files", "附件「%s」%s：只能上传 PDF 文件或 JPEG、PNG 图片", name, what)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return store.ObjectionFile{}, err
	}
	inf, err := s.files.Put(r.Context(), f, fh.Filename, maxObjectionFileBytes)
	if err != nil {
		if e := biopilot.AsError(err); e != nil {
			return store.ObjectionFile{}, biopilot.FieldErrorf("files", "%s", e.Message)
		}
		return store.ObjectionFile{}, err
	}
	return store.ObjectionFile{SHA256: inf.SHA256, SM3: inf.SM3, Filename: inf.Filename, Size: inf.Size, MediaType: inf.MediaType}, nil
}
