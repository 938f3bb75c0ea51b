package web

// Helpers of the applicant's browser scenario: filling a section of the editor
// from a document through the page's own inputs (driven by the form definition,
// like the editor), and an Excel workbook made from the table template.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"biopilot/program"
	"biopilot/xlsx"
)

// cssAttr quotes a value for a CSS attribute selector.
func cssAttr(v string) string { return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"` }

// byName selects the form control named name inside the editor's form.
func byName(name string) chromedp.CSS {
	return chromedp.CSS(`#editor-form [name=` + cssAttr(name) + `]`)
}

// fillSection sets every value doc has for the fields of a section into the
// editor's inputs, as a person would: text typed into inputs and text areas,
// options chosen, boxes checked, radio buttons clicked, table rows added with the
// table's 「＋ 添加一行」 button and their cells filled. Tables named in skip are left
// alone (they come from Excel). It does not save.
func fillSection(t *testing.T, ctx context.Context, prog *program.Program, section string, doc program.Document, skip ...string) int {
	t.Helper()
	n := 0
	// run runs one step, bounded: a selector that matches nothing fails the test
	// naming the selector instead of waiting for the test's deadline.
	run := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, a); err != nil {
			names, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("fieldset.table-field")).map(f => f.getAttribute("data-table") + ":" + f.querySelectorAll("tbody tr").length + ":" + (f.querySelector("tbody tr:last-child input") || {}).name).join(" ")`))
			t.Fatalf("section %s: %s: %v (tables: %s)", section, what, err, names)
		}
		n++
	}
	set := func(name, value string) { run(name, chromedp.SetValue(byName(name), value)) }
	// Clicks go to the middle of the window: the editor's sticky save bar covers
	// the bottom edge, where a plain scroll-into-view would leave the element.
	click := func(sel string) {
		run(sel, chromedp.Steps(
			chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: "center"}), true)`, sel))(c, tg)
				return err
			}),
			chromedp.Click(chromedp.CSS(sel))))
	}
	for _, fl := range prog.Form.SectionFields(section) {
		v, ok := program.Lookup(doc, fl.Key)
		if !ok || v == nil || fl.Type == program.TypeAttachments || contains(skip, fl.Key) {
			continue
		}
		switch fl.Type {
		case program.TypeBool:
			click(fmt.Sprintf(`#editor-form input[name=%s][value="%t"]`, cssAttr(fl.Key), v == true))
		case program.TypeSet:
			list, _ := v.([]any)
			for _, it := range list {
				click(fmt.Sprintf(`#editor-form input[type=checkbox][name=%s][value=%s]`, cssAttr(fl.Key), cssAttr(fmt.Sprint(it))))
			}
		case program.TypeTable:
			rows, _ := v.([]any)
			have := get(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(
				`document.querySelectorAll('fieldset[data-table=%s] tbody tr').length`, cssAttr(fl.Key))))
			for i := have; i < len(rows); i++ {
				click(`fieldset[data-table=` + cssAttr(fl.Key) + `] button.add-row`)
			}
			for i, r := range rows {
				row, _ := r.(map[string]any)
				for _, c := range fl.Columns {
					if cv, ok := row[c.Key]; ok && inputValue(cv) != "" {
						set(fmt.Sprintf("%s[%d].%s", fl.Key, i, c.Key), inputValue(cv))
					}
				}
			}
		default: // text, list (one item a line), numbers, dates, months, enumerations
			if s := inputValue(v); s != "" {
				set(fl.Key, s)
			}
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// saveSection clicks 「保存本部分」 and waits for the editor to say 已保存 with a
// version newer than before.
func saveSection(t *testing.T, ctx context.Context) {
	t.Helper()
	before := get(t, ctx, chromedp.Text(chromedp.CSS("#version-label")))
	do(t, ctx, chromedp.Click(chromedp.CSS(`#editor-form .form-actions button.primary`)))
	waitFor(t, ctx, "保存", func() (bool, string) {
		st, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#save-status")))
		v, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#version-label")))
		return strings.Contains(st, "已保存") && v != before, st
	})
}

// waitFor polls cond until it holds, failing after 10 s with what it last saw.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waiting for %s: last seen %q", what, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tableWorkbook fills the program's Excel template of a table with rows (in the
// document's form) and writes it to dir/name; it returns the path.
func tableWorkbook(t *testing.T, prog *program.Program, key string, rows []any, dir, name string) string {
	t.Helper()
	var tpl bytes.Buffer
	if err := xlsx.Template(&tpl, prog, key); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&tpl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fl := prog.Form.Field(key)
	sheet := f.GetSheetList()[0]
	// Find the header row (the template puts a note above it) and fill below it.
	header := 0
	for r := 1; r <= 10 && header == 0; r++ {
		v, _ := f.GetCellValue(sheet, fmt.Sprintf("A%d", r))
		if v == xlsx.ColumnHeader(fl.Columns[0]) {
			header = r
		}
	}
	if header == 0 {
		t.Fatalf("template of %s: no header row", key)
	}
	for i, r := range rows {
		row, _ := r.(map[string]any)
		for j, c := range fl.Columns {
			v, ok := row[c.Key]
			if !ok || v == "" {
				continue
			}
			if c.Type == program.TypeEnum { // a person picks the label from the drop-down
				v = c.OptionLabel(fmt.Sprint(v))
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, header+1+i)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(dir, name)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// follow clicks a link or button that loads a new page and waits until the new
// page (not the old one) has loaded and shows ready, a CSS selector.
func follow(t *testing.T, ctx context.Context, click, ready string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__oldPage = true`)); err != nil {
		t.Fatalf("browser: %v", err)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(click)))
	check := fmt.Sprintf(`!window.__oldPage && document.readyState === "complete" && !!document.querySelector(%q)`, ready)
	waitFor(t, ctx, "page with "+ready, func() (bool, string) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](check))
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		return err == nil && ok, loc
	})
}

// viewShot saves what a person sees in the window (not the whole page) as
// test-output/screenshots/<area>/<name>.png, scrolled so that the element at sel
// is at the top ("" for the top of the page).
func viewShot(t *testing.T, ctx context.Context, area, name, sel string) {
	t.Helper()
	js := `(window.scrollTo(0, 0), true)`
	if sel == "#conflict-panel" { // a sticky panel: show the fields above it too
		js = `(window.scrollTo(0, document.querySelector("#editor-form").offsetTop), true)`
	} else if sel != "" {
		js = fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: "start"}), window.scrollBy(0, -8), true)`, sel)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t, area), name+".png"), buf, 0o644); err != nil {
		t.Error(err)
	}
}
