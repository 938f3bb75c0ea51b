package national

import (
	"fmt"
	"strings"
	"time"

	"biopilot"
	"biopilot/program"
)

// Calendar is the working-day calendar of the public notice: Monday to Friday are
// working days, except Holidays; Saturdays and Sundays are not, except ExtraWorkdays
// (调休上班). Dates are YYYY-MM-DD in Loc.
type Calendar struct {
	Loc           *time.Location
	Holidays      map[string]bool
	ExtraWorkdays map[string]bool
}

// CalendarOf builds the calendar of a program's evaluation section (its dates were
// checked at load time).
func CalendarOf(p *program.Program) Calendar {
	e := p.Eval()
	cal := Calendar{Loc: p.Location(), Holidays: make(map[string]bool), ExtraWorkdays: make(map[string]bool)}
	for _, d := range e.Holidays {
		cal.Holidays[d] = true
	}
	for _, d := range e.ExtraWorkdays {
		cal.ExtraWorkdays[d] = true
	}
	return cal
}

func (c Calendar) loc() *time.Location {
	if c.Loc == nil {
		return time.FixedZone("CST", 8*3600) // Beijing time
	}
	return c.Loc
}

// IsWorkingDay reports whether the day of t (in the calendar's zone) is a working day.
func (c Calendar) IsWorkingDay(t time.Time) bool {
	t = t.In(c.loc())
	d := t.Format("2006-01-02")
	switch {
	case c.ExtraWorkdays[d]:
		return true
	case c.Holidays[d]:
		return false
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// NoticeEnd is the end of a public notice published at start and lasting workingDays
// working days: the day of publication counts when it is a working day (otherwise the
// count starts on the next working day), and the notice ends at 24:00 — the first
// instant of the following day — of the last working day, in the calendar's zone
// (Beijing time). A notice published on Friday 2025-09-26 for 5 working days runs
// 26 and 28 September (调休), 29 and 30 September and, after 国庆, 9 October, and
// ends at 2025-10-10 00:00 Beijing time.
func NoticeEnd(start time.Time, workingDays int, cal Calendar) time.Time {
	loc := cal.loc()
	s := start.In(loc)
	day := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
	if workingDays <= 0 {
		return start
	}
	for n := 0; ; day = day.AddDate(0, 0, 1) {
		if cal.IsWorkingDay(day) {
			n++
			if n == workingDays {
				return day.AddDate(0, 0, 1)
			}
		}
	}
}

// Objection outcomes: every objection needs one before the list is published.
const (
	ObjectionUpheld    = "upheld"    // 异议成立
	ObjectionRejected  = "rejected"  // 异议不成立
	ObjectionWithdrawn = "withdrawn" // 异议人撤回
)

// Objection is an objection raised during the public notice and its handling.
type Objection struct {
	ID      string
	AppID   string // the platform objected to
	Outcome string // "" while open
	Reason  string // the ministry's recorded reason
}

// Open reports whether the objection still awaits an outcome.
func (o Objection) Open() bool { return o.Outcome == "" }

// Resolve records an outcome with its reason; both are required.
func (o *Objection) Resolve(outcome, reason string) error {
	switch outcome {
	case ObjectionUpheld, ObjectionRejected, ObjectionWithdrawn:
	default:
		return biopilot.FieldErrorf("outcome", "异议处理结果应为“异议成立”“异议不成立”或“异议人撤回”")
	}
	if strings.TrimSpace(reason) == "" {
		return biopilot.FieldErrorf("reason", "请填写异议处理理由")
	}
	if !o.Open() {
		return biopilot.Errorf(biopilot.ECONFLICT, "异议 %s 已处理，处理结果不能更改", o.ID)
	}
	o.Outcome, o.Reason = outcome, reason
	return nil
}

// Publishable reports whether the list may be published as far as objections go:
// every objection has an outcome and a reason. Otherwise it is an ECONFLICT
// *biopilot.Error saying how many are open (and which).
func Publishable(objections []Objection) error {
	var open []string
	for _, o := range objections {
		if o.Open() || strings.TrimSpace(o.Reason) == "" {
			open = append(open, o.ID)
		}
	}
	if len(open) == 0 {
		return nil
	}
	return &biopilot.Error{Code: biopilot.ECONFLICT,
		Message: fmt.Sprintf("尚有 %d 件异议未处理（%s），处理完毕前不能发布名单", len(open), strings.Join(open, "、")),
		Detail:  open}
}

// CanPublish is Publishable plus the notice period: the list may be published only
// at or after the end of the notice (from NoticeEnd).
func CanPublish(now, noticeEnd time.Time, objections []Objection) error {
	if now.Before(noticeEnd) {
		return biopilot.Errorf(biopilot.ECONFLICT, "公示期至 %s 结束，公示期内不能发布名单",
			noticeEnd.Add(-time.Second).Format("2006年1月2日")+" 24:00")
	}
	return Publishable(objections)
}

// Upheld returns the applications with an upheld objection: the committee must
// reconsider them before they are listed.
func Upheld(objections []Objection) []string {
	var out []string
	for _, o := range objections {
		if o.Outcome == ObjectionUpheld && !containsStr(out, o.AppID) {
			out = append(out, o.AppID)
		}
	}
	return out
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
