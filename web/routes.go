package web

import (
	"net/http"
	"net/url"
	"strings"

	"biopilot"
)

// Route options.
const (
	// public routes need no login.
	public = 1 << iota
	// initialPW routes stay open to a user who must still change an initial password.
	initialPW
)

// handlerFunc is a handler that returns its error: handle writes it (JSON for the
// API, a page otherwise), so handlers never write errors themselves.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// registerRoutes registers every route of the server. This is the only place.
func (s *Server) registerRoutes() {
	// Operations.
	s.handle("GET /healthz", public, s.handleHealthz)
	s.handle("GET /readyz", public, s.handleReadyz)
	s.handle("GET /static/", public, s.handleStatic)

	// JSON API: sessions and accounts.
	s.handle("GET /api/v1/openapi.json", public, s.handleOpenAPI)
	s.handle("GET /api/v1/program", public, s.apiProgram)
	s.handle("POST /api/v1/login", public, s.apiLogin)
	s.handle("POST /api/v1/logout", initialPW, s.apiLogout)
	s.handle("GET /api/v1/me", initialPW, s.apiMe)
	s.handle("POST /api/v1/me/password", initialPW, s.apiChangePassword)
	s.handle("POST /api/v1/register", public, s.apiRegister)
	s.handle("GET /api/v1/uscc/{code}", public, s.apiUSCC)

	// JSON API: applications.
	s.handle("GET /api/v1/applications", 0, s.apiListApplications)
	s.handle("POST /api/v1/applications", 0, s.apiCreateApplication)
	s.handle("GET /api/v1/applications/{id}", 0, s.apiGetApplication)
	s.handle("PUT /api/v1/applications/{id}/document", 0, s.apiSaveDocument)
	s.handle("GET /api/v1/applications/{id}/export", 0, s.apiExport)
	s.handle("POST /api/v1/applications/{id}/import", 0, s.apiImport)
	s.handle("GET /api/v1/applications/{id}/eligibility", 0, s.apiEligibility)
	s.handle("GET /api/v1/applications/{id}/history", 0, s.apiHistory)
	s.handle("POST /api/v1/eligibility/preview", 0, s.apiPreview)

	// JSON API: the organisation's accounts (org admin) and operators.
	s.handle("GET /api/v1/organisation/members", 0, s.apiMembers)
	s.handle("POST /api/v1/organisation/members", 0, s.apiInviteMember)
	s.handle("POST /api/v1/organisation/members/{id}/disable", 0, s.apiDisableMember)
	s.handle("POST /api/v1/admin/users", 0, s.apiCreateUser)
	s.handle("POST /api/v1/admin/users/{id}/disable", 0, s.apiAdminDisable)
	s.handle("POST /api/v1/admin/users/{id}/enable", 0, s.apiAdminEnable)
	s.handle("POST /api/v1/admin/users/{id}/reset-password", 0, s.apiAdminResetPassword)

	// REVIEW: the review workflow of cities and the province (workbench, reviewer's
	// view, actions, the city's recommendation letter), the auditor's trail,
	// notifications and the administrator's deadline extension.
	s.handle("GET /api/v1/applications/{id}/review", 0, s.apiReview)
	s.handle("GET /api/v1/applications/{id}/actions", 0, s.apiActions)
	s.handle("POST /api/v1/applications/{id}/actions/{action}", 0, s.apiAction)
	s.handle("GET /api/v1/recommendation", 0, s.apiLetter)
	s.handle("PUT /api/v1/recommendation", 0, s.apiSaveLetter)
	s.handle("POST /api/v1/recommendation/{action}", 0, s.apiLetterAction)
	s.handle("GET /api/v1/audit", 0, s.apiAudit)
	s.handle("GET /api/v1/audit/export", 0, s.apiAuditExport)
	s.handle("GET /api/v1/audit/verify", 0, s.apiAuditVerify)
	s.handle("GET /api/v1/notifications", 0, s.apiNotifications)
	s.handle("POST /api/v1/notifications/{id}/read", 0, s.apiMarkRead)
	s.handle("PUT /api/v1/notifications/mutes", 0, s.apiSetMutes)
	s.handle("GET /api/v1/admin/deadlines", 0, s.apiDeadlines)
	s.handle("PUT /api/v1/admin/deadlines", 0, s.apiSetDeadlines)
	s.handle("GET /review", 0, s.pageWorkbench)
	s.handle("GET /review/applications/{id}", 0, s.pageReview)
	s.handle("POST /review/applications/{id}/actions/{action}", 0, s.pageReviewAction)
	s.handle("GET /review/applications/{id}/evidence/{aid}", 0, s.pageEvidence)
	s.handle("GET /recommendation", 0, s.pageLetter)
	s.handle("POST /recommendation/{action}", 0, s.pageLetterPost)
	s.handle("GET /audit", 0, s.pageAudit)
	s.handle("GET /audit/export.csv", 0, s.apiAuditExport)
	s.handle("POST /audit/verify", 0, s.pageAuditVerify)
	s.handle("GET /notifications", 0, s.pageNotifications)
	s.handle("POST /notifications/{id}/read", 0, s.pageMarkRead)
	s.handle("POST /notifications/mutes", 0, s.pageSetMutes)
	s.handle("GET /admin/deadlines", 0, s.pageDeadlines)
	s.handle("POST /admin/deadlines", 0, s.pageSetDeadlines)

	// DOCUMENTS: documents over HTTP (issue 6) — the 申请表 PDF, Excel exports and
	// reports, sealed packages, the city's 推荐函.
	s.handle("GET /applications/{id}/form.pdf", 0, s.apiFormPDF)
	s.handle("GET /api/v1/applications/{id}/form.pdf", 0, s.apiFormPDF)
	s.handle("GET /api/v1/applications/export.xlsx", 0, s.apiExportXLSX)
	s.handle("GET /api/v1/reports/summary.xlsx", 0, s.apiSummaryXLSX)
	s.handle("GET /api/v1/reports/equipment-gaps.xlsx", 0, s.apiEquipmentGapsXLSX)
	s.handle("GET /api/v1/applications/{id}/package.zip", 0, s.apiAppPackage)
	s.handle("GET /api/v1/recommendations/{id}/letter.pdf", 0, s.apiRecLetterPDF)
	s.handle("GET /api/v1/recommendations/{id}/package.zip", 0, s.apiRecPackage)

	// APPLICANT: the applicant's portal (issue 4) — submit and withdraw, evidence,
	// Excel tables, and the pages: registration, members, editor, submit, preview.
	s.handle("POST /api/v1/applications/{id}/submit", 0, s.apiSubmit)
	s.handle("POST /api/v1/applications/{id}/withdraw", 0, s.apiWithdraw)
	s.handle("GET /api/v1/applications/{id}/evidence", 0, s.apiListEvidence)
	s.handle("POST /api/v1/applications/{id}/evidence/{category}", 0, s.apiUploadEvidence)
	s.handle("GET /api/v1/attachments/{aid}", 0, s.apiDownload)
	s.handle("DELETE /api/v1/attachments/{aid}", 0, s.apiRemoveEvidence)
	s.handle("GET /api/v1/tables/{key}/template", 0, s.apiTableTemplate)
	s.handle("POST /api/v1/applications/{id}/tables/{key}/import", 0, s.apiImportTable)
	s.handle("GET /register", public, s.pageRegister)
	s.handle("POST /register", public, s.pageRegisterPost)
	s.handle("GET /organisation/members", 0, s.pageMembers)
	s.handle("POST /organisation/members", 0, s.pageMembersPost)
	s.handle("POST /organisation/members/{id}/disable", 0, s.pageMemberDisable)
	s.handle("GET /applications/{id}/edit", 0, s.pageEdit)
	s.handle("POST /applications/{id}/edit", 0, s.pageEditPost)
	s.handle("POST /applications/{id}/evidence", 0, s.pageUploadEvidence)
	s.handle("POST /applications/{id}/evidence/{aid}/remove", 0, s.pageRemoveEvidence)
	s.handle("POST /applications/{id}/import", 0, s.pageImportTable)
	s.handle("GET /applications/{id}/submit", 0, s.pageSubmit)
	s.handle("POST /applications/{id}/submit", 0, s.pageSubmitPost)
	s.handle("GET /applications/{id}/preview", 0, s.pagePreview)

	// NATIONAL: the ministry's national stage (issue 8) — expert pool, assignment,
	// scoring by experts, committee decisions, the public notice and publication.
	s.handle("GET /ministry", 0, s.pageMinistry)
	s.handle("GET /ministry/experts", 0, s.pageMinistryExperts)
	s.handle("POST /ministry/experts", 0, s.pageMinistryExpertSave)
	s.handle("POST /ministry/experts/{id}", 0, s.pageMinistryExpertSave)
	s.handle("GET /ministry/assignments", 0, s.pageMinistryAssignments)
	s.handle("POST /ministry/assignments/auto", 0, s.pageMinistryAutoAssign)
	s.handle("POST /ministry/assignments/{id}", 0, s.pageMinistryManualAssign)
	s.handle("GET /ministry/results", 0, s.pageMinistryResults)
	s.handle("POST /ministry/results/{id}/decision", 0, s.pageMinistryDecide)
	s.handle("GET /ministry/notice", 0, s.pageMinistryNotice)
	s.handle("POST /ministry/notice", 0, s.pageMinistryOpenNotice)
	s.handle("POST /ministry/notice/publish", 0, s.pageMinistryPublish)
	s.handle("GET /api/v1/national/overview", 0, s.apiNationalOverview)
	s.handle("GET /api/v1/national/experts", 0, s.apiNationalExperts)
	s.handle("POST /api/v1/national/experts", 0, s.apiNationalExpertSave)
	s.handle("PUT /api/v1/national/experts/{id}", 0, s.apiNationalExpertSave)
	s.handle("GET /api/v1/national/assignments", 0, s.apiNationalAssignments)
	s.handle("POST /api/v1/national/assignments/auto", 0, s.apiNationalAutoAssign)
	s.handle("PUT /api/v1/national/assignments/{id}", 0, s.apiNationalManualAssign)
	s.handle("GET /api/v1/national/results", 0, s.apiNationalResults)
	s.handle("POST /api/v1/national/decisions", 0, s.apiNationalDecide)
	s.handle("GET /api/v1/national/notice", 0, s.apiNationalNotice)
	s.handle("POST /api/v1/national/notice", 0, s.apiNationalOpenNotice)
	s.handle("POST /api/v1/national/notice/publish", 0, s.apiNationalPublish)
	s.handle("GET /expert", 0, s.pageExpert)
	s.handle("GET /expert/assignments/{id}", 0, s.pageExpertAssignment)
	s.handle("POST /expert/assignments/{id}/declaration", 0, s.pageExpertDeclare)
	s.handle("POST /expert/assignments/{id}/score", 0, s.pageExpertScore)
	s.handle("GET /expert/assignments/{id}/evidence/{aid}", 0, s.pageExpertEvidence)
	s.handle("GET /api/v1/expert/assignments", 0, s.apiExpertAssignments)
	s.handle("GET /api/v1/expert/assignments/{id}", 0, s.apiExpertAssignment)
	s.handle("POST /api/v1/expert/assignments/{id}/declaration", 0, s.apiExpertDeclare)
	s.handle("POST /api/v1/expert/assignments/{id}/score", 0, s.apiExpertScore)

	// PUBLIC: pages without login (issue 8) — the public notice (公示) with its
	// objection form, the directory of listed platforms; the ministry's handling of
	// objections.
	s.handle("GET /public/notice", public, s.publicPage(s.pagePublicNotice))
	s.handle("GET /public/objections/new", public, s.publicPage(s.pagePublicObjectionForm))
	s.handle("POST /public/objections", public, s.publicPage(s.pagePublicObjectionPost))
	s.handle("GET /public/directory", public, s.publicPage(s.pagePublicDirectory))
	s.handle("GET /public/platforms/{id}", public, s.publicPage(s.pagePublicPlatform))
	s.handle("GET /api/v1/public/directory", public, s.apiPublicDirectory)
	s.handle("GET /ministry/objections", 0, s.pageMinistryObjections)
	s.handle("POST /ministry/objections/{id}/resolve", 0, s.pageMinistryResolve)
	s.handle("GET /ministry/objections/{id}/files/{fid}", 0, s.pageObjectionFile)
	s.handle("GET /api/v1/national/objections", 0, s.apiObjections)
	s.handle("POST /api/v1/national/objections/{id}/resolve", 0, s.apiResolveObjection)

	// ANNUAL: listed platforms over time (issue 9) — annual reports, their expert
	// evaluation, star ratings, removal, the progress dashboard.
	// The progress dashboard (ministry: the country; provinces: their own).
	s.handle("GET /dashboard", 0, s.pageDashboard)
	s.handle("GET /dashboard.xlsx", 0, s.apiDashboardXLSX)
	s.handle("GET /api/v1/dashboard", 0, s.apiDashboard)

	// Annual reports, their evaluation, star ratings and removal (annual_*.go).
	s.handle("GET /annual", 0, s.pageAnnualIndex)
	s.handle("GET /platform/{id}/annual", 0, s.pagePlatformAnnual)
	s.handle("GET /platform/{id}/annual/{year}", 0, s.pageAnnualReport)
	s.handle("POST /platform/{id}/annual/{year}", 0, s.pageAnnualReportSave)
	s.handle("POST /platform/{id}/annual/{year}/submit", 0, s.pageAnnualReportSubmit)
	s.handle("POST /platform/{id}/annual/{year}/evidence", 0, s.pageAnnualEvidenceUpload)
	s.handle("POST /platform/{id}/annual/{year}/evidence/{aid}/remove", 0, s.pageAnnualEvidenceRemove)
	s.handle("GET /ministry/annual", 0, s.pageMinistryAnnual)
	s.handle("POST /ministry/annual", 0, s.pageMinistryAnnualOpen)
	s.handle("POST /ministry/annual/{year}/assign", 0, s.pageMinistryAnnualAssign)
	s.handle("POST /ministry/annual/{year}/platforms/{id}/experts", 0, s.pageMinistryAnnualManual)
	s.handle("GET /ministry/platforms/{id}", 0, s.pageMinistryPlatform)
	s.handle("POST /ministry/platforms/{id}/stars", 0, s.pageMinistryStars)
	s.handle("POST /ministry/platforms/{id}/remove", 0, s.pageMinistryRemove)
	s.handle("GET /api/v1/annual/platforms/{id}/reports/{year}", 0, s.apiAnnualReport)
	s.handle("PUT /api/v1/annual/platforms/{id}/reports/{year}", 0, s.apiSaveAnnualReport)
	s.handle("POST /api/v1/annual/platforms/{id}/reports/{year}/submit", 0, s.apiSubmitAnnualReport)
	s.handle("POST /api/v1/annual/evaluations", 0, s.apiOpenAnnualEvaluation)
	s.handle("GET /api/v1/annual/evaluations/{year}", 0, s.apiAnnualEvaluation)
	s.handle("POST /api/v1/annual/evaluations/{year}/assign", 0, s.apiAnnualAssign)
	s.handle("PUT /api/v1/annual/evaluations/{year}/platforms/{id}/experts", 0, s.apiAnnualManual)
	s.handle("POST /api/v1/annual/platforms/{id}/stars", 0, s.apiAnnualStars)
	s.handle("POST /api/v1/annual/platforms/{id}/removal", 0, s.apiAnnualRemove)

	// DEMO: the demo's clock (only when the server runs the demo; 404 otherwise).
	s.handle("GET /demo/clock", 0, s.pageDemoClock)
	s.handle("POST /demo/clock", 0, s.pageDemoClockPost)

	// Anything else under /api/ (an unknown path, or a known one with another
	// method) is a JSON 404.
	s.handle("/api/", public, s.apiNotFound)

	// Pages.
	s.handle("GET /login", public, s.pageLogin)
	s.handle("POST /login", public, s.pageLoginPost)
	s.handle("POST /logout", public|initialPW, s.pageLogout)
	s.handle("GET /password", initialPW, s.pagePassword)
	s.handle("POST /password", initialPW, s.pagePasswordPost)
	s.handle("GET /{$}", 0, s.pageHome)
	s.handle("POST /applications", 0, s.pageCreateApplication)
	s.handle("GET /applications/{id}", 0, s.pageApplication)
}

// handle registers one route and records it (for the OpenAPI test). The wrapper
// names the route for the request log, refuses anonymous callers of non-public
// routes (401 JSON on the API, 303 to the login page otherwise), holds users with
// an initial password to changing it, and writes the handler's error.
func (s *Server) handle(pattern string, opts int, h handlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	s.routes = append(s.routes, Route{Pattern: pattern, Method: method, Path: path, Public: opts&public != 0})
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		ri.route = pattern
		u := ri.user
		if u == nil && opts&public == 0 {
			if !isAPI(r) {
				s.redirectToLogin(w, r)
				return
			}
			msg := "请先登录"
			if ri.expired {
				msg = "登录已超时，请重新登录"
			}
			s.apiError(w, r, biopilot.Errorf(biopilot.EUNAUTHORIZED, "%s", msg))
			return
		}
		if u != nil && u.MustChangePassword && opts&initialPW == 0 && opts&public == 0 {
			if !isAPI(r) {
				http.Redirect(w, r, "/password", http.StatusSeeOther)
				return
			}
			s.apiError(w, r, biopilot.Errorf(biopilot.EFORBIDDEN, "请先修改初始密码（POST /api/v1/me/password）"))
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// redirectToLogin sends an anonymous page request to the login page, remembering
// where it was going.
func (s *Server) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	q := url.Values{}
	if next := r.URL.RequestURI(); r.Method == http.MethodGet && next != "/" {
		q.Set("next", next)
	}
	if info(r).expired {
		q.Set("expired", "1")
	}
	target := "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a path on this site, else "/": the login page
// never redirects elsewhere.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.db.Ping(r.Context()); err != nil {
		s.logger.WarnContext(r.Context(), "readyz: database not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("数据库不可用\n"))
		return nil
	}
	_, err := w.Write([]byte("ok\n"))
	return err
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	s.static.ServeHTTP(w, r)
	return nil
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openapiJSON)
	return err
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	return biopilot.Errorf(biopilot.ENOTFOUND, "没有这个接口：%s %s", r.Method, r.URL.Path)
}
