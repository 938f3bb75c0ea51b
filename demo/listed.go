package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"biopilot"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
)

// NationalWorkflow takes the ministry's, the experts' and the public's actions of
// the national stage as their pages do, without a request. *web.Server implements
// it (web/national_seed.go).
type NationalWorkflow interface {
	// AutoAssignAs assigns experts to every application waiting at the ministry;
	// it returns how many were assigned and the shortfalls.
	AutoAssignAs(ctx context.Context, u *biopilot.User) (int, []string, error)
	// DeclareAs records an expert's declaration (a conflict is reassigned).
	DeclareAs(ctx context.Context, u *biopilot.User, assignmentID int64, conflict bool, reason string) (*store.ReviewAssignment, error)
	// ScoreAs submits an expert's sealed, final score sheet.
	ScoreAs(ctx context.Context, u *biopilot.User, assignmentID int64, points map[string]float64, comments map[string]string) (*store.ReviewAssignment, error)
	// DecideAs records the committee's decision on an application.
	DecideAs(ctx context.Context, u *biopilot.User, appID int64, outcome, reason string) (*store.CommitteeDecision, error)
	// OpenNoticeAs opens the public notice of the decided applications.
	OpenNoticeAs(ctx context.Context, u *biopilot.User, title, body string) (*store.PublicNotice, error)
	// ObjectAs files an objection as an anonymous visitor of the public form who
	// opened it formAge ago.
	ObjectAs(ctx context.Context, name, contact string, appID int64, grounds string, formAge time.Duration) (*store.Objection, error)
	// ResolveObjectionAs records the ministry's outcome of an objection.
	ResolveObjectionAs(ctx context.Context, u *biopilot.User, objectionID int64, outcome, reason string) (*store.Objection, error)
	// PublishAs publishes the list of the open notice.
	PublishAs(ctx context.Context, u *biopilot.User) (listed, notListed int, err error)
	// SetStarsAs sets a platform's star rating for a year with its reason.
	SetStarsAs(ctx context.Context, u *biopilot.User, appID int64, year, stars int, reason string) (*store.StarRating, error)
}

// ListedDeps are what SeedListed works with.
type ListedDeps struct {
	ReviewDeps
	// National is the same server as Workflow.
	National NationalWorkflow
	// Clock is the clock of the Workflow's server: SeedListed sets it to each
	// step's moment in 2025 and puts the store on it while it runs.
	Clock *biopilot.FakeClock
	// Restore is the store's clock afterwards (the demo's clock).
	Restore biopilot.Clock
}

// FirstBatchYear is the year of the first national list (published in December
// 2025) and of its platforms' initial star ratings.
const FirstBatchYear = 2025

// SeedListed adds the first batch of the national evaluation to a database that
// Seed and SeedNationalAccounts filled: six applications of 广州, 佛山 and 南京
// taken, on a clock running from September to December 2025, through the same
// code paths as the pages — submitted; recommended by their cities (letters
// sealed and sent) and provinces; assigned automatically to five experts each;
// declarations (one conflict of interest, reassigned) and sealed scores (one
// outlier); the committee's decisions (one 不予入选); the public notice with an
// objection the ministry finds unfounded (异议不成立); the publication. Five
// platforms are listed in the public directory, each with its 2025 star rating.
// It returns the applicants' accounts. No application may be waiting at the
// ministry when it starts (automatic assignment takes every one).
func SeedListed(ctx context.Context, d ListedDeps) ([]Account, error) {
	if d.DB == nil || d.Program == nil || d.Rules == nil || d.Files == nil || d.Workflow == nil || d.Hash == nil ||
		d.National == nil || d.Clock == nil || d.Restore == nil {
		return nil, fmt.Errorf("demo: SeedListed needs the store, the program, the rules, the evidence store, the workflows, a hash and the clocks")
	}
	if !d.Program.IsNational() {
		return nil, fmt.Errorf("demo: SeedListed needs a national program (cn-2025), not %s", d.Program.ID)
	}
	d.DB.SetClock(d.Clock)
	defer d.DB.SetClock(d.Restore)
	who := map[string]*biopilot.User{}
	for _, name := range []string{"ministry", "gz-miit", "gz-drc", "fs-miit", "fs-drc", "nj-miit", "nj-drc",
		"prov-miit", "prov-drc", "js-prov-miit", "js-prov-drc"} {
		u, err := d.DB.UserByUsername(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("demo: %s (run Seed and SeedNationalAccounts first): %w", name, err)
		}
		who[name] = u
	}
	pwHash, err := d.Hash(Password)
	if err != nil {
		return nil, err
	}
	b := &batch{d: d, who: who, byApp: map[int64]listedSample{}}
	accounts, err := b.recommend(ctx, pwHash)
	if err != nil {
		return nil, err
	}
	if err := b.evaluate(ctx); err != nil {
		return nil, err
	}
	if err := b.publish(ctx); err != nil {
		return nil, err
	}
	return accounts, nil
}

// batch is the first batch on its way.
type batch struct {
	d     ListedDeps
	who   map[string]*biopilot.User
	apps  []*biopilot.Application // in firstBatch's order
	byApp map[int64]listedSample
}

// at moves the clock to a moment of 2025.
func (b *batch) at(month time.Month, day, hour, minute int) {
	b.d.Clock.Set(when(month, day, hour, minute))
}

// recommend creates the applications and takes them to recommended_to_ministry.
func (b *batch) recommend(ctx context.Context, pwHash string) ([]Account, error) {
	d, wf := b.d, b.d.Workflow
	var accounts []Account
	byCity := map[string][]int64{}
	var cities []string
	for i, s := range firstBatch {
		b.at(9, 8+i, 10, 0)
		app, u, err := reviewApplication(ctx, d.ReviewDeps, s.reviewSample, pwHash, s.edit)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", s.platform, err)
		}
		accounts = append(accounts, Account{s.username, biopilot.RoleApplicant, s.person, s.org})
		b.at(9, 15+i, 16, 30)
		if app, err = wf.SubmitAs(ctx, u, app.ID); err != nil {
			return nil, fmt.Errorf("demo: submit %s: %w", s.platform, err)
		}
		b.apps = append(b.apps, app)
		b.byApp[app.ID] = s
		if byCity[s.city] == nil {
			cities = append(cities, s.city)
		}
		byCity[s.city] = append(byCity[s.city], app.ID)
	}
	for i, app := range b.apps {
		pair := cityAccounts[app.CityCode]
		b.at(9, 22, 9+i, 0)
		if _, err := wf.ActAs(ctx, b.who[pair[0]], app.ID, "city_propose", body(map[string]any{
			"checks": map[string]any{"authenticity": true, "completeness": true, "validity": true,
				"notes": "已现场核验中试车间、关键设备和近三年中试服务合同原件。"},
			"opinion": "平台中试条件和服务业绩满足培育指南要求，同意推荐。"})); err != nil {
			return nil, fmt.Errorf("demo: %s proposes %s: %w", pair[0], app.PlatformName, err)
		}
		b.at(9, 23, 9+i, 0)
		if _, err := wf.ActAs(ctx, b.who[pair[1]], app.ID, "city_cosign", nil); err != nil {
			return nil, fmt.Errorf("demo: %s co-signs %s: %w", pair[1], app.PlatformName, err)
		}
	}
	for i, city := range cities {
		pair, name := cityAccounts[city], d.Program.CityName(city)
		b.at(9, 26, 9+i, 0)
		for _, step := range []struct {
			who, action string
			c           json.RawMessage
		}{
			{pair[0], "save", body(map[string]any{"number": batchLetters[city], "application_ids": byCity[city],
				"opinion": "经" + name + "工业和信息化主管部门、发展改革部门联合审核，申报材料真实、完整、有效，同意推荐。"})},
			{pair[0], "propose", nil},
			{pair[1], "cosign", nil},
			{pair[0], "send", nil},
		} {
			if _, err := wf.LetterAs(ctx, b.who[step.who], step.action, step.c); err != nil {
				return nil, fmt.Errorf("demo: %s's letter of 2025, %s: %w", name, step.action, err)
			}
		}
	}
	for i, app := range b.apps {
		prov := d.Program.ProvinceOf(app.CityCode)
		miit, drc := d.Program.ProvinceAuthorities(app.CityCode)
		pair := cityAccounts[prov.Code]
		b.at(10, 13, 9+i, 0)
		if _, err := wf.ActAs(ctx, b.who[pair[0]], app.ID, "prov_propose", body(map[string]any{
			"checks": map[string]any{"authenticity": true, "completeness": true, "validity": true,
				"notes": "已复核地市推荐文件和佐证材料。"},
			"opinion": "经" + miit + "、" + drc + "联合复核，同意推荐至工业和信息化部。"})); err != nil {
			return nil, fmt.Errorf("demo: %s proposes %s: %w", pair[0], app.PlatformName, err)
		}
		b.at(10, 14, 9+i, 0)
		if _, err := wf.ActAs(ctx, b.who[pair[1]], app.ID, "prov_cosign", nil); err != nil {
			return nil, fmt.Errorf("demo: %s co-signs %s: %w", pair[1], app.PlatformName, err)
		}
	}
	return accounts, nil
}

// evaluate assigns the experts, has them declare and score, and records the
// committee's decisions.
func (b *batch) evaluate(ctx context.Context) error {
	d, nw, ministry := b.d, b.d.National, b.who["ministry"]
	b.at(10, 20, 10, 0)
	n, short, err := nw.AutoAssignAs(ctx, ministry)
	if err != nil {
		return fmt.Errorf("demo: assignment of the first batch: %w", err)
	}
	if n != len(b.apps) || len(short) > 0 {
		return fmt.Errorf("demo: assignment of the first batch: %d of %d applications assigned, shortfalls %v", n, len(b.apps), short)
	}
	sheet := d.Program.Eval().ScoreSheet
	day := 0
	for _, app := range b.apps {
		s := b.byApp[app.ID]
		declared := map[int64]bool{}
		for k := 0; ; k++ {
			live, err := d.DB.Assignments(ctx, store.AssignmentFilter{ProgramID: d.Program.ID, Round: store.RoundSelection,
				ApplicationID: app.ID, States: []string{store.AssignAssigned}})
			if err != nil {
				return err
			}
			if len(live) == 0 {
				break
			}
			a := live[0]
			if declared[a.ID] || k > 20 {
				return fmt.Errorf("demo: assignment %d of %s stays open", a.ID, app.PlatformName)
			}
			declared[a.ID] = true
			u, err := b.expertUser(ctx, a.ExpertID)
			if err != nil {
				return err
			}
			b.at(10, 27+day%5, 9+k, 0)
			conflict := s.conflict && k == 0
			reason := ""
			if conflict {
				reason = conflictReason
			}
			if _, err := nw.DeclareAs(ctx, u, a.ID, conflict, reason); err != nil {
				return fmt.Errorf("demo: %s declares on %s: %w", u.Username, app.PlatformName, err)
			}
			if conflict {
				continue
			}
			b.at(11, 3+day%5, 9+k, 30)
			share := s.share + offsets[k%len(offsets)]
			if s.outlier && k == 2 {
				share = outlierShare
			}
			points, notes := map[string]float64{}, map[string]string{}
			for _, c := range sheet {
				points[c.Key] = math.Min(c.MaxPoints, math.Round(c.MaxPoints*share*2)/2)
				level := 0
				switch {
				case share < 0.7:
					level = 2
				case share < 0.85:
					level = 1
				}
				notes[c.Key] = comments[c.Key][level]
			}
			if _, err := nw.ScoreAs(ctx, u, a.ID, points, notes); err != nil {
				return fmt.Errorf("demo: %s scores %s: %w", u.Username, app.PlatformName, err)
			}
		}
		day++
	}
	for i, app := range b.apps {
		s := b.byApp[app.ID]
		outcome := national.DecisionRecommend
		if !s.listed {
			outcome = national.DecisionNotRecommend
		}
		b.at(11, 18, 14, i*5)
		if _, err := nw.DecideAs(ctx, ministry, app.ID, outcome, s.reason); err != nil {
			return fmt.Errorf("demo: decision on %s: %w", app.PlatformName, err)
		}
	}
	return nil
}

// expertUser is the login of a pool member.
func (b *batch) expertUser(ctx context.Context, expertID int64) (*biopilot.User, error) {
	e, err := b.d.DB.Expert(ctx, expertID)
	if err != nil {
		return nil, err
	}
	return b.d.DB.User(ctx, e.UserID)
}

// publish opens the notice, files and resolves the objection, publishes the list
// after the notice period and sets the listed platforms' 2025 stars.
func (b *batch) publish(ctx context.Context) error {
	d, nw, ministry := b.d, b.d.National, b.who["ministry"]
	b.at(11, 24, 9, 0) // a Monday: five working days end on Friday 28 November
	n, err := nw.OpenNoticeAs(ctx, ministry, "", "")
	if err != nil {
		return fmt.Errorf("demo: the notice of the first batch: %w", err)
	}
	for _, app := range b.apps {
		if !b.byApp[app.ID].objection {
			continue
		}
		b.at(11, 26, 15, 20)
		o, err := nw.ObjectAs(ctx, objectorName, objectorContact, app.ID, objectionText, 12*time.Minute)
		if err != nil {
			return fmt.Errorf("demo: objection to %s: %w", app.PlatformName, err)
		}
		b.at(11, 28, 16, 0)
		if _, err := nw.ResolveObjectionAs(ctx, ministry, o.ID, national.ObjectionRejected, objectionReason); err != nil {
			return fmt.Errorf("demo: the objection to %s: %w", app.PlatformName, err)
		}
	}
	b.at(12, 5, 10, 0)
	if !d.Clock.Now().After(n.EndsAt) {
		return fmt.Errorf("demo: the notice of the first batch ends at %s, after the publication", n.EndsAt)
	}
	listed, _, err := nw.PublishAs(ctx, ministry)
	if err != nil {
		return fmt.Errorf("demo: publication of the first batch: %w", err)
	}
	if want := countListed(); listed != want {
		return fmt.Errorf("demo: %d platforms listed, want %d", listed, want)
	}
	for i, app := range b.apps {
		s := b.byApp[app.ID]
		if !s.listed {
			continue
		}
		b.at(12, 15, 10, i*10)
		if _, err := nw.SetStarsAs(ctx, ministry, app.ID, FirstBatchYear, s.stars, s.starWhy); err != nil {
			return fmt.Errorf("demo: stars of %s: %w", app.PlatformName, err)
		}
	}
	return nil
}

func countListed() int {
	n := 0
	for _, s := range firstBatch {
		if s.listed {
			n++
		}
	}
	return n
}

// edit makes the document the sample's own (as the national samples') and sets
// its public contact and its targets for 2026 and 2027.
func (s listedSample) edit(doc program.Document) {
	s.nationalSample.edit(doc)
	program.Set(doc, "platform.contact.name", s.person)
	program.Set(doc, "platform.contact.mobile", s.mobile)
	if v, _ := program.Lookup(doc, "goals.targets"); v != nil {
		list, _ := v.([]any)
		for i, row := range list {
			if m, ok := row.(map[string]any); ok {
				grow := 1 + 0.25*float64(i)
				m["enterprise_count"] = math.Round(s.targets[0] * grow)
				m["amount_10k_yuan"] = math.Round(s.targets[1] * grow)
			}
		}
	}
}
