package web

// ANNUAL: the pages of a listed platform's organisation — its platforms
// (/annual), one platform's years, ratings and removal (/platform/{id}/annual),
// and the report of a year (/platform/{id}/annual/{year}): the form pre-filled,
// each target beside what was achieved, evidence, save and submit. The ministry
// reads the same pages.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/annual"
	"biopilot/authz"
	"biopilot/store"
)

// reportPage is the report page's data.
type reportPage struct {
	App       *biopilot.Application
	Eval      *store.AnnualEvaluation
	Report    *store.AnnualReport
	Year      int
	Editable  bool
	Submitted bool
	Sections  []annualSection
	Targets   []targetView
	Evidence  []annualEvidenceGroup
	MaxUpload string
	Version   int64
	Done      string
	// Conflict lists the fields a colleague changed (a stale save).
	Conflict []string
}

// reportPageData builds the page of app's report rep on year; doc, when not nil,
// is what the person posted (shown instead of the stored document), errs the
// messages by input name.
func (s *Server) reportPageData(ctx context.Context, u *biopilot.User, app *biopilot.Application, year int,
	rep *store.AnnualReport, doc map[string]any, errs map[string]string) (*reportPage, error) {
	ev, err := s.evaluation(ctx, year)
	if err != nil {
		return nil, err
	}
	stored, err := decodeReport(rep)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		doc = stored
	}
	d := &reportPage{App: app, Eval: ev, Report: rep, Year: year, Version: rep.Version,
		Submitted: rep.State == store.ReportSubmitted, MaxUpload: sizeText(s.maxUpload())}
	d.Editable = !d.Submitted && authz.CheckAnnualReport(u, authz.AnnualFile, app) == nil && s.stillOpen(ev) == nil
	d.Sections = s.annualSections(doc, d.Editable, errs)
	appDoc := s.applicationDoc(app)
	if d.Submitted {
		appDoc = nil // the targets the report was submitted with
	}
	d.Targets = targetViews(annual.Compare(s.prog, appDoc, year, doc))
	list, err := s.annualEvidence(ctx, app.ID, year)
	if err != nil {
		return nil, err
	}
	d.Evidence = s.annualEvidenceGroups(list, year)
	return d, nil
}

// pageAnnualReport shows a report (opening the draft for the organisation).
func (s *Server) pageAnnualReport(w http.ResponseWriter, r *http.Request) error {
	return s.renderReport(w, r, http.StatusOK, "", nil, nil, nil)
}

// renderReport renders the report page, with a message, the posted document and
// its errors, or the fields of a conflict.
func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, status int, msg string,
	doc map[string]any, errs map[string]string, conflict []string) error {
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	ctx, u := s.reqCtx(r), currentUser(r)
	rep, err := s.OpenAnnualReport(ctx, u, id, year)
	if err != nil {
		return err
	}
	app, err := s.platform(ctx, u, id, authz.AnnualView)
	if err != nil {
		return err
	}
	d, err := s.reportPageData(ctx, u, app, year, rep, doc, errs)
	if err != nil {
		return err
	}
	d.Done, d.Conflict = r.URL.Query().Get("done"), conflict
	if conflict != nil {
		d.Version = rep.Version
	} else if v, err := strconv.ParseInt(r.PostFormValue(formBase), 10, 64); err == nil && doc != nil {
		d.Version = v // an invalid save keeps the version it was made on
	}
	p := s.newPage(r, fmt.Sprintf("%d 年度报告 · %s", year, platformName(app)), d)
	p.Error = msg
	return s.render(w, r, status, "annual_report", p)
}

func (s *Server) reportURL(id int64, year int, done string) string {
	u := fmt.Sprintf("/platform/%d/annual/%d", id, year)
	if done != "" {
		u += "?done=" + url.QueryEscape(done)
	}
	return u
}

// pageAnnualReportSave saves the report's form: a redirect when saved, the page
// again with the input and the messages when invalid or stale.
func (s *Server) pageAnnualReportSave(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	ctx, u := s.reqCtx(r), currentUser(r)
	_, rep, err := s.fileable(ctx, u, id, year)
	if err != nil {
		return err
	}
	stored, err := decodeReport(rep)
	if err != nil {
		return err
	}
	mine := withValues(stored, s.annualValues(r.PostForm))
	base, _ := strconv.ParseInt(r.PostForm.Get(formBase), 10, 64)
	_, err = s.SaveAnnualReport(ctx, u, AnnualReportInput{ApplicationID: id, Year: year, BaseVersion: base, Document: mine})
	if err == nil {
		http.Redirect(w, r, s.reportURL(id, year, "已保存")+"#report", http.StatusSeeOther)
		return nil
	}
	e := biopilot.AsError(err)
	if e != nil && e.Code == biopilot.ECONFLICT {
		if cur, ok := e.Detail.(*store.AnnualReport); ok {
			theirs, derr := decodeReport(cur)
			if derr != nil {
				return derr
			}
			changed := s.changedFields(theirs, mine)
			msg := e.Message + "。您填写的内容仍在下方，尚未保存；核对后再次保存将以您的内容为准。"
			return s.renderReport(w, r, http.StatusConflict, msg, mine, nil, append([]string{}, changed...))
		}
	}
	if e != nil && e.Code == biopilot.EINVALID {
		errs := annualFieldErrors(err)
		return s.renderReport(w, r, http.StatusUnprocessableEntity, "有 "+strconv.Itoa(len(errs))+" 处填写有误，请按提示修改："+e.Message, mine, errs, nil)
	}
	return err
}

// pageAnnualReportSubmit submits the report; what is missing is shown beside the
// fields.
func (s *Server) pageAnnualReportSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	base, _ := strconv.ParseInt(r.PostForm.Get(formBase), 10, 64)
	_, err = s.SubmitAnnualReport(s.reqCtx(r), currentUser(r), AnnualSubmitInput{ApplicationID: id, Year: year, BaseVersion: base})
	if err == nil {
		http.Redirect(w, r, s.reportURL(id, year, "年度报告已提交，等待专家评价"), http.StatusSeeOther)
		return nil
	}
	e := biopilot.AsError(err)
	if e != nil && e.Code == biopilot.EINVALID {
		errs := annualFieldErrors(err)
		return s.renderReport(w, r, http.StatusUnprocessableEntity, "尚不能提交："+e.Message, nil, errs, nil)
	}
	if e != nil && e.Code == biopilot.ECONFLICT {
		return s.renderReport(w, r, http.StatusConflict, e.Message, nil, nil, nil)
	}
	return err
}

// pageAnnualEvidenceUpload uploads files from the report page's plain form.
func (s *Server) pageAnnualEvidenceUpload(w http.ResponseWriter, r *http.Request) error {
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	if _, err := s.platform(r.Context(), currentUser(r), id, authz.AnnualFile); err != nil {
		return err
	}
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return uploadReadError(err)
		}
	}
	key := r.FormValue("category")
	added, refused, err := s.uploadAnnual(r, id, year, key)
	if err != nil {
		return err
	}
	if len(refused) > 0 {
		msgs := make([]string, 0, len(refused))
		for _, x := range refused {
			msgs = append(msgs, x.Filename+"："+x.Message)
		}
		return s.renderReport(w, r, HTTPStatus(refused[0].Code), "以下文件未上传："+strings.Join(msgs, "；"), nil, nil, nil)
	}
	http.Redirect(w, r, s.reportURL(id, year, fmt.Sprintf("已上传 %d 个文件", len(added)))+"#evidence", http.StatusSeeOther)
	return nil
}

// pageAnnualEvidenceRemove removes a file from the report page's plain form.
func (s *Server) pageAnnualEvidenceRemove(w http.ResponseWriter, r *http.Request) error {
	id, year, err := pathReport(r)
	if err != nil {
		return err
	}
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "附件不存在")
	}
	if err := s.RemoveAnnualEvidence(s.reqCtx(r), currentUser(r), id, year, aid); err != nil {
		return err
	}
	http.Redirect(w, r, s.reportURL(id, year, "已删除")+"#evidence", http.StatusSeeOther)
	return nil
}
