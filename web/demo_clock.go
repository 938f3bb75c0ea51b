package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
)

// The demo's clock. A person trying the demo must get past a public notice of five
// working days, an annual reporting year, and deadlines; the demo therefore runs on
// a biopilot.OffsetClock that the ministry or the administrator can move forward by
// whole days. Time never runs back, every move is audited, and a server not running
// the demo has no such clock: these pages answer 404 there.

// demoClockMaxDays bounds one move (a little over a year).
const demoClockMaxDays = 400

func (s *Server) demoClockAllowed(r *http.Request) error {
	if s.demoClock == nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "页面不存在")
	}
	return authz.CheckDemoClock(currentUser(r))
}

func (s *Server) pageDemoClock(w http.ResponseWriter, r *http.Request) error {
	if err := s.demoClockAllowed(r); err != nil {
		return err
	}
	return s.renderDemoClock(w, r, http.StatusOK, "")
}

func (s *Server) renderDemoClock(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	off := s.demoClock.Offset()
	p := s.newPage(r, "演示时钟", map[string]any{
		"Now":        beijing(s.now()),
		"OffsetDays": strconv.FormatFloat(off.Hours()/24, 'f', 1, 64),
		"Done":       r.URL.Query().Get("done"),
		"Max":        demoClockMaxDays,
	})
	p.Error = msg
	return s.render(w, r, status, "demo_clock", p)
}

func (s *Server) pageDemoClockPost(w http.ResponseWriter, r *http.Request) error {
	if err := s.demoClockAllowed(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("days")))
	if err != nil || days < 1 || days > demoClockMaxDays {
		return s.renderDemoClock(w, r, http.StatusUnprocessableEntity,
			"快进天数：请填写 1 至 "+strconv.Itoa(demoClockMaxDays)+" 之间的整数")
	}
	before := s.now()
	s.demoClock.Advance(time.Duration(days) * 24 * time.Hour)
	s.audit(r, "demo-clock", "demo.clock.advance", auditOK, map[string]any{
		"days": days, "from": before.UTC().Format(time.RFC3339), "to": s.now().UTC().Format(time.RFC3339)})
	done := "演示时间已快进 " + strconv.Itoa(days) + " 天，现在是 " + beijing(s.now())
	http.Redirect(w, r, "/demo/clock?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}
