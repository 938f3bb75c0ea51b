package national

import (
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/program"
)

var beijing = time.FixedZone("CST", 8*3600)

func TestNoticeEnd(t *testing.T) {
	cal := CalendarOf(program.MustDefault())
	tests := []struct {
		name  string
		start string // Beijing time
		days  int
		end   string // Beijing time; 24:00 of the last day is 00:00 the next
	}{
		{"within a week", "2025-11-17T09:00", 5, "2025-11-22T00:00"},
		{"over a weekend", "2025-11-19T10:00", 5, "2025-11-26T00:00"},
		{"published on Saturday starts Monday", "2025-11-22T10:00", 5, "2025-11-29T00:00"},
		{"published late in the day still counts", "2025-11-24T23:30", 1, "2025-11-25T00:00"},
		{"over 国庆 with 调休 on 9-28", "2025-09-26T09:00", 5, "2025-10-10T00:00"},
		{"published on 国庆 starts 10-9, 10-11 is 调休", "2025-10-03T09:00", 3, "2025-10-12T00:00"},
		{"over 2026 春节, 2-14 调休", "2026-02-12T09:00", 5, "2026-02-26T00:00"},
		{"two working days across 元旦 2026", "2025-12-31T09:00", 2, "2026-01-05T00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, _ := time.ParseInLocation("2006-01-02T15:04", tt.start, beijing)
			want, _ := time.ParseInLocation("2006-01-02T15:04", tt.end, beijing)
			got := NoticeEnd(start, tt.days, cal)
			if !got.Equal(want) {
				t.Errorf("NoticeEnd(%s, %d) = %s, want %s", tt.start, tt.days, got.In(beijing).Format(time.DateTime), want.Format(time.DateTime))
			}
		})
	}
	// A start given in UTC is counted on its Beijing date: 2025-11-21 17:00 UTC is
	// Saturday 01:00 in Beijing.
	start := time.Date(2025, 11, 21, 17, 0, 0, 0, time.UTC)
	if got, want := NoticeEnd(start, 1, cal), time.Date(2025, 11, 25, 0, 0, 0, 0, beijing); !got.Equal(want) {
		t.Errorf("UTC start: got %s, want %s", got, want)
	}
}

func TestIsWorkingDay(t *testing.T) {
	cal := CalendarOf(program.MustDefault())
	for d, want := range map[string]bool{
		"2025-09-27": false, // Saturday
		"2025-09-28": true,  // Sunday, 调休上班
		"2025-10-08": false, // Wednesday, 国庆
		"2025-10-09": true,
		"2025-10-11": true, // Saturday, 调休上班
		"2025-10-12": false,
	} {
		day, _ := time.ParseInLocation(time.DateOnly, d, beijing)
		if got := cal.IsWorkingDay(day); got != want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", d, got, want)
		}
	}
}

func TestPublishable(t *testing.T) {
	tests := []struct {
		name string
		objs []Objection
		open int
	}{
		{"no objection", nil, 0},
		{"all handled", []Objection{{ID: "O1", Outcome: ObjectionRejected, Reason: "经核查，设备清单与现场一致"}, {ID: "O2", Outcome: ObjectionWithdrawn, Reason: "异议人来函撤回"}}, 0},
		{"one open", []Objection{{ID: "O1", Outcome: ObjectionUpheld, Reason: "经核查属实"}, {ID: "O2"}}, 1},
		{"outcome without reason counts as open", []Objection{{ID: "O1", Outcome: ObjectionRejected}, {ID: "O2"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Publishable(tt.objs)
			if tt.open == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if biopilot.ErrorCode(err) != biopilot.ECONFLICT || !strings.Contains(biopilot.ErrorMessage(err), "尚有 "+string(rune('0'+tt.open))+" 件异议未处理") {
				t.Errorf("err = %v, want ECONFLICT naming %d open", err, tt.open)
			}
		})
	}
}

func TestObjectionResolve(t *testing.T) {
	o := Objection{ID: "O1", AppID: "A1"}
	if err := o.Resolve("accepted", "x"); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("unknown outcome: %v", err)
	}
	if err := o.Resolve(ObjectionUpheld, ""); biopilot.ErrorCode(err) != biopilot.EINVALID || !o.Open() {
		t.Errorf("no reason: %v, open %v", err, o.Open())
	}
	if err := Publishable([]Objection{o}); err == nil {
		t.Fatal("open objection should block publication")
	}
	if err := o.Resolve(ObjectionUpheld, "经核查，平台未建成"); err != nil {
		t.Fatal(err)
	}
	if err := o.Resolve(ObjectionRejected, "改判"); biopilot.ErrorCode(err) != biopilot.ECONFLICT || o.Outcome != ObjectionUpheld {
		t.Errorf("second outcome: %v, outcome %s", err, o.Outcome)
	}
	if err := Publishable([]Objection{o}); err != nil {
		t.Errorf("handled objection still blocks: %v", err)
	}
	if got := Upheld([]Objection{o, {ID: "O2", AppID: "A1", Outcome: ObjectionUpheld}, {ID: "O3", AppID: "A2", Outcome: ObjectionRejected}}); len(got) != 1 || got[0] != "A1" {
		t.Errorf("Upheld = %v", got)
	}
}

func TestCanPublish(t *testing.T) {
	end := time.Date(2025, 12, 1, 0, 0, 0, 0, beijing)
	handled := []Objection{{ID: "O1", Outcome: ObjectionRejected, Reason: "不成立"}}
	if err := CanPublish(end.Add(-time.Minute), end, handled); biopilot.ErrorCode(err) != biopilot.ECONFLICT || !strings.Contains(err.Error(), "2025年11月30日 24:00") {
		t.Errorf("during notice: %v", err)
	}
	if err := CanPublish(end, end, handled); err != nil {
		t.Errorf("after notice: %v", err)
	}
	if err := CanPublish(end, end, []Objection{{ID: "O2"}}); biopilot.ErrorCode(err) != biopilot.ECONFLICT {
		t.Errorf("open objection after notice: %v", err)
	}
}
