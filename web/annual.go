package web

// ANNUAL: listed platforms over time (issue 9) — shared pieces of the annual
// evaluation's pages: the caller's address for the audit trail of the exported
// operations, loading a platform with authz's decision, the annual evaluations the
// ministry opens (年度评价, with the due time of the reports), and who may report
// on a year.
//
// The operations are exported methods on *Server taking (ctx, user, input), so
// that the handlers and the demo's seeding run the same code:
// OpenAnnualEvaluation, OpenAnnualReport, SaveAnnualReport, SubmitAnnualReport,
// AddAnnualEvidence, RemoveAnnualEvidence, AssignAnnual, SetPlatformStars and
// RemovePlatform.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/store"
)

// annualAddrKey carries the client's address in a context, for the audit records
// of operations called with a context rather than a request.
type annualAddrKey struct{}

// reqCtx is the request's context carrying the client's address.
func (s *Server) reqCtx(r *http.Request) context.Context {
	return context.WithValue(r.Context(), annualAddrKey{}, s.clientAddr(r))
}

// auditCtx appends an audit record for u with the address the context carries
// ("" when called outside a request, e.g. by the demo's seeding).
func (s *Server) auditCtx(ctx context.Context, u *biopilot.User, object, action, result string, detail any) {
	addr, _ := ctx.Value(annualAddrKey{}).(string)
	s.auditAs(ctx, u, addr, object, action, result, detail)
}

// appObject names an application in the audit trail.
func appObject(id int64) string { return fmt.Sprintf("application:%d", id) }

// platform loads the application id as a platform and checks act for u: another
// program's application, or one u may not see, is ENOTFOUND.
func (s *Server) platform(ctx context.Context, u *biopilot.User, id int64, act authz.AnnualAction) (*biopilot.Application, error) {
	app, err := s.db.Application(ctx, id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND || (err == nil && app.ProgramID != s.prog.ID) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该平台")
	} else if err != nil {
		return nil, err
	}
	if err := authz.CheckAnnualReport(u, act, app); err != nil {
		return nil, err
	}
	return app, nil
}

// pathID reads the path's {id}; anything else is ENOTFOUND.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该平台")
	}
	return id, nil
}

// pathYear reads the path's {year}.
func pathYear(r *http.Request) (int, error) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < 2000 || y > 2999 {
		return 0, biopilot.Errorf(biopilot.ENOTFOUND, "没有该年度的年度评价")
	}
	return y, nil
}

// pathReport reads the path's {id} and {year}: a platform's report on a year.
func pathReport(r *http.Request) (int64, int, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, 0, err
	}
	year, err := pathYear(r)
	return id, year, err
}

// yearEnd is the first instant of year y+1 in Beijing time: a platform listed
// before it reports on year y.
func yearEnd(y int) time.Time { return time.Date(y+1, 1, 1, 0, 0, 0, 0, biopilot.Beijing) }

// reportsOn reports whether the directory entry e reports on year y: listed before
// the year ended.
func reportsOn(e *store.DirectoryEntry, y int) bool {
	return e != nil && !e.ListedAt.IsZero() && e.ListedAt.Before(yearEnd(y))
}

// AnnualEvaluationInput opens the annual evaluation of a year (年度评价).
type AnnualEvaluationInput struct {
	Year  int       `json:"year"`
	Title string    `json:"title"`
	DueAt time.Time `json:"due_at"` // 填报截止时间
}

// OpenAnnualEvaluation opens the annual evaluation of in.Year: the listed platforms
// may then file their reports on that year until in.DueAt. The ministry only;
// audited.
func (s *Server) OpenAnnualEvaluation(ctx context.Context, u *biopilot.User, in AnnualEvaluationInput) (*store.AnnualEvaluation, error) {
	if err := authz.CheckMinistry(u); err != nil {
		return nil, err
	}
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Year < 2000 || in.Year > 2100:
		return nil, invalid("year", "「评价年度」应为 2000 至 2100 之间的年份")
	case in.Title == "":
		return nil, invalid("title", "请填写「标题」")
	case in.DueAt.IsZero():
		return nil, invalid("due_at", "请填写「填报截止时间」")
	case !in.DueAt.After(s.now()):
		return nil, invalid("due_at", "「填报截止时间」应晚于当前时间")
	}
	e := &store.AnnualEvaluation{ProgramID: s.prog.ID, Year: in.Year, Title: in.Title, DueAt: in.DueAt,
		OpenedBy: u.ID, OpenedAt: s.now()}
	err := s.db.OpenAnnualEvaluation(ctx, e)
	detail := map[string]any{"year": in.Year, "title": in.Title, "due_at": rfc3339(in.DueAt)}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditCtx(ctx, u, "program:"+s.prog.ID, "annual:open", resultOf(err), detail)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// evaluation returns the annual evaluation of year y, or ENOTFOUND.
func (s *Server) evaluation(ctx context.Context, y int) (*store.AnnualEvaluation, error) {
	return s.db.AnnualEvaluationFor(ctx, s.prog.ID, y)
}

// stillOpen refuses a change of a report once the evaluation's due time passed.
func (s *Server) stillOpen(ev *store.AnnualEvaluation) error {
	if !s.now().Before(ev.DueAt) {
		return biopilot.Errorf(biopilot.ECONFLICT, "%d 年度报告的填报截止时间（%s）已过", ev.Year, beijing(ev.DueAt))
	}
	return nil
}

// platformName names a platform for messages and notifications.
func platformName(app *biopilot.Application) string {
	if app.PlatformName != "" {
		return app.PlatformName
	}
	return fmt.Sprintf("平台 %d", app.ID)
}

// parseDueAt reads a due time typed in a form (datetime-local, or a date meaning
// 17:00 of that day), in Beijing time.
func parseDueAt(raw string) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, raw, biopilot.Beijing); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", raw, biopilot.Beijing); err == nil {
		return t.Add(17 * time.Hour), nil
	}
	return time.Time{}, invalid("due_at", "「填报截止时间」格式应为 2027-03-31 17:00")
}
