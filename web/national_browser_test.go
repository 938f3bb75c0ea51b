package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"biopilot"
	"biopilot/store"
)

// NATIONAL: the browser test of the ministry's and the experts' pages. One
// application goes through automatic assignment → a conflict declaration (the
// application disappears for that expert) → the "no conflict" declaration and the
// score sheet by experts → the committee's decision → the public notice, whose
// publish button waits for the end of the period. Screenshots in
// test-output/screenshots/national/.
func TestBrowserNationalFlow(t *testing.T) {
	f := newNatFixture(t, 7)
	ctx0 := context.Background()
	// Only 甲 stays at the ministry: the others are taken out of the round.
	for _, app := range f.apps[1:] {
		if _, err := f.db.Transition(ctx0, store.TransitionRequest{ApplicationID: app.ID,
			From: biopilot.StateRecommendedToMinistry, To: biopilot.StateNotListed}); err != nil {
			t.Fatal(err)
		}
	}
	app := f.apps[0]
	srv := startHTTP(t, f.h)
	ctx := newBrowser(t)
	base := srv.URL

	// The ministry: overview, pool, automatic assignment.
	rvLoginAs(t, ctx, base, "ministry")
	do(t, ctx, chromedp.Navigate(base+"/ministry"), chromedp.WaitVisible(chromedp.CSS("#nat-provinces")))
	if txt := get(t, ctx, chromedp.Text(chromedp.CSS("header nav"))); !strings.Contains(txt, "国家评审") {
		t.Errorf("nav lacks 国家评审: %q", txt)
	}
	screenshot(t, ctx, "national", "overview")
	do(t, ctx, chromedp.Navigate(base+"/ministry/experts"), chromedp.WaitVisible(chromedp.CSS("#nat-experts")))
	screenshot(t, ctx, "national", "experts")
	do(t, ctx, chromedp.Navigate(base+"/ministry/assignments"), chromedp.WaitVisible(chromedp.CSS("#nat-auto")),
		chromedp.Click(chromedp.CSS("#nat-auto")))
	rvWaitText(t, ctx, ".rv-done", "已为 1 件申报书分配评审专家")
	screenshot(t, ctx, "national", "assignments")
	live := f.live(app.ID)
	if len(live) != 5 {
		t.Fatalf("%d experts assigned", len(live))
	}

	// The first expert declares a conflict: the task disappears from its list.
	first := live[0]
	rvLoginAs(t, ctx, base, f.byUser[first.ExpertID])
	do(t, ctx, chromedp.Navigate(base+"/expert"), chromedp.WaitVisible(chromedp.CSS("#ex-tasks")))
	screenshot(t, ctx, "national", "expert-tasks")
	do(t, ctx, chromedp.Navigate(base+idPath("/expert/assignments/%d", first.ID)), chromedp.WaitVisible(chromedp.CSS("#ex-declare")))
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); strings.Contains(body, "机密的基本情况") {
		t.Error("the application's content shows before the declaration")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#ex-conflict")),
		chromedp.SetValue(chromedp.CSS(`#ex-declare textarea[name=reason]`), "本人近三年与申报单位有合作项目"))
	screenshot(t, ctx, "national", "expert-declare-conflict")
	do(t, ctx, chromedp.Submit(chromedp.CSS(`#ex-declare textarea[name=reason]`)))
	rvWaitText(t, ctx, ".rv-done", "已声明存在利益冲突")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); strings.Contains(body, f.srv.number(app)) {
		t.Error("the conflicted task is still listed")
	}
	if got := rvStatus(t, ctx, idPath("/expert/assignments/%d", first.ID)); got != 404 {
		t.Errorf("conflicted task opens: %d", got)
	}

	// The experts now assigned (the replacement among them) declare no conflict and
	// score: two through the pages, the others through the API.
	live = f.live(app.ID)
	if len(live) != 5 {
		t.Fatalf("after the conflict: %d experts", len(live))
	}
	for i, a := range live {
		if i >= 2 {
			f.score(a, 0.7)
			continue
		}
		rvLoginAs(t, ctx, base, f.byUser[a.ExpertID])
		do(t, ctx, chromedp.Navigate(base+idPath("/expert/assignments/%d", a.ID)), chromedp.WaitVisible(chromedp.CSS("#ex-declare")),
			chromedp.Click(chromedp.CSS("#ex-no-conflict")), chromedp.Submit(chromedp.CSS("#ex-no-conflict")))
		rvWaitText(t, ctx, ".rv-done", "已声明无利益冲突")
		if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "机密的基本情况") {
			t.Error("the snapshot is not shown after the declaration")
		}
		var fill []chromedp.Action[chromedp.Void]
		for _, c := range f.prog.Eval().ScoreSheet {
			fill = append(fill,
				chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`input[name="points.%s"]`, c.Key)), fmt.Sprint(c.MaxPoints*0.8)),
				chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`textarea[name="comments.%s"]`, c.Key)), c.Label+"较好"))
		}
		do(t, ctx, fill...)
		if i == 0 {
			do(t, ctx, chromedp.ScrollIntoView(chromedp.CSS("#ex-score")))
			rvShot(t, ctx, "../national/expert-score-sheet")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#ex-submit")))
		rvWaitText(t, ctx, "#ex-sealed", "摘要（SM3）")
		if i == 0 {
			do(t, ctx, chromedp.ScrollIntoView(chromedp.CSS("#ex-sealed")))
			rvShot(t, ctx, "../national/expert-sealed")
		}
	}

	// The ministry: results, decision, notice.
	rvLoginAs(t, ctx, base, "ministry")
	do(t, ctx, chromedp.Navigate(base+"/ministry/results"), chromedp.WaitVisible(chromedp.CSS(".nat-ranking")))
	screenshot(t, ctx, "national", "results")
	sum := fmt.Sprintf("#nat-decide-%d summary", app.ID)
	form := fmt.Sprintf("#nat-decide-%d form", app.ID)
	do(t, ctx, chromedp.Click(chromedp.CSS(sum)), chromedp.WaitVisible(chromedp.CSS(form+" textarea")),
		chromedp.Click(chromedp.CSS(form+` input[value=recommend]`)),
		chromedp.SetValue(chromedp.CSS(form+" textarea"), "评审得分位列本领域第一，同意拟入选"),
		chromedp.Submit(chromedp.CSS(form+" textarea")))
	rvWaitText(t, ctx, ".rv-done", "拟入选")
	do(t, ctx, chromedp.Navigate(base+"/ministry/notice"), chromedp.WaitVisible(chromedp.CSS("#nat-open-notice")))
	screenshot(t, ctx, "national", "notice-open")
	do(t, ctx, chromedp.Click(chromedp.CSS("#nat-open-notice")))
	rvWaitText(t, ctx, ".rv-done", "公示已开始")
	rvWaitText(t, ctx, "#nat-why", "公示期")
	screenshot(t, ctx, "national", "notice")
	if f.stateOf(app.ID) != biopilot.StatePublicized {
		t.Errorf("state %s, want publicized", f.stateOf(app.ID))
	}
	disabled := get(t, ctx, chromedp.Evaluate[bool](`document.querySelector("#nat-publish").disabled`))
	if !disabled {
		t.Error("publish is enabled during the notice period")
	}
}
