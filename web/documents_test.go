package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/files"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/xlsx"
)

// docFixtures remembers, per fixture, the submitted application the route table's
// package rows download (a path function is called more than once).
var docFixtures sync.Map

// withFiles gives the fixture's server an evidence store.
func withFiles(f *fixture) {
	f.t.Helper()
	if f.srv.files != nil {
		return
	}
	fs, err := files.Open(context.Background(), files.DirURL(f.t.TempDir()))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { fs.Close() })
	f.srv.files = fs
}

// submitted creates org's application from the example document with one evidence
// file, and submits it as the web layer does: the canonical snapshot, its hash over
// the document and the evidence, the applicant's seal.
func submitted(f *fixture, org *biopilot.Organisation, applicant string) *biopilot.Application {
	f.t.Helper()
	withFiles(f)
	ctx := context.Background()
	var doc map[string]any
	if err := json.Unmarshal(example(f.t), &doc); err != nil {
		f.t.Fatal(err)
	}
	info, err := f.srv.files.Put(ctx, strings.NewReader("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), "营业执照.pdf", 1<<20)
	if err != nil {
		f.t.Fatal(err)
	}
	a := f.app(org, `{"platform":{"name":"临时"}}`)
	att := &store.Attachment{ApplicationID: a.ID, Category: "license", SHA256: info.SHA256, Filename: "营业执照.pdf",
		Size: info.Size, Kind: info.Kind, MediaType: info.MediaType, UploadedBy: f.users[applicant].ID}
	if err := f.db.AddAttachment(ctx, att); err != nil {
		f.t.Fatal(err)
	}
	doc["evidence"] = map[string]any{"license": []any{fmt.Sprint(att.ID)}}
	doc["applicant"].(map[string]any)["name"] = org.Name
	raw, _ := json.Marshal(doc)
	d, err := f.prog.Form.DecodeDocument(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	snap, hash, _, err := f.srv.snapshot(ctx, d)
	if err != nil {
		f.t.Fatal(err)
	}
	payload := map[string]any{"action": "submit", "application_id": a.ID, "from": "draft", "to": "submitted",
		"reason": "", "snapshot_hash": hash}
	u := f.users[applicant]
	sig, err := f.srv.sign(ctx, u, a, seal.PurposeSubmit, payload, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	payload["signature"] = sig
	data, _ := json.Marshal(payload)
	out, err := f.db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft,
		To: biopilot.StateSubmitted, Snapshot: snap, SnapshotHash: hash,
		Transition: &biopilot.Transition{ActorID: u.ID, ActorRole: u.Role, ActorName: u.DisplayName, Data: data}})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// moveTo moves an application along to state (as a reviewer would, unsealed).
func moveTo(f *fixture, a *biopilot.Application, to biopilot.State) *biopilot.Application {
	f.t.Helper()
	out, err := f.db.Transition(context.Background(), store.TransitionRequest{ApplicationID: a.ID, From: a.State, To: to,
		Transition: &biopilot.Transition{ActorID: f.users["citygz"].ID, ActorRole: biopilot.RoleCityMIIT, ActorName: "测试"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func docApp(f *fixture) *biopilot.Application {
	if a, ok := docFixtures.Load(f); ok {
		return a.(*biopilot.Application)
	}
	a := submitted(f, f.orgA, "applicantA")
	docFixtures.Store(f, a)
	return a
}

func docAppPath(format string) func(*fixture) string {
	return func(f *fixture) string { return fmt.Sprintf(format, docApp(f).ID) }
}

// pdfText is the text of a PDF (pdftotext), white space removed. Without poppler
// the test is skipped, unless BIOPILOT_REQUIRE_TOOLS=1.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("BIOPILOT_REQUIRE_TOOLS") == "1" {
			t.Fatalf("pdftotext not found: %v", err)
		}
		t.Skip("pdftotext not found (poppler-utils)")
	}
	p := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(p, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-raw", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

func TestFormPDF(t *testing.T) {
	f := newFixture(t)
	a := docApp(f)
	no := export_number(f, a)

	w := f.as("applicantA").do("GET", idPath("/api/v1/applications/%d/form.pdf", a.ID), nil)
	wantStatus(t, w, 200)
	if ct := w.Header().Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	draft := pdfText(t, w.Body.Bytes())
	if !strings.Contains(draft, "草稿（未提交）") || strings.Contains(draft, no) {
		t.Errorf("the applicant's PDF is not the marked draft:\n%.400s", draft)
	}

	w = f.as("citygz").do("GET", idPath("/applications/%d/form.pdf", a.ID), nil)
	wantStatus(t, w, 200)
	txt := pdfText(t, w.Body.Bytes())
	for _, s := range []string{no, a.SnapshotHash, "广州某生物科技有限公司", "签章人：测试applicantA"} {
		if !strings.Contains(txt, s) {
			t.Errorf("the reviewer's PDF lacks %q", s)
		}
	}
	if strings.Contains(txt, "草稿（未提交）") {
		t.Error("the reviewer's PDF is marked as a draft")
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("Content-Disposition %q", cd)
	}
	wantStatus(t, f.as("cityfs").do("GET", idPath("/api/v1/applications/%d/form.pdf", a.ID), nil), 404)
	wantStatus(t, f.as("applicantB").do("GET", idPath("/api/v1/applications/%d/form.pdf", a.ID), nil), 404)
	if !strings.Contains(f.logs.String(), `"action":"download"`) && !auditHas(t, f, "download") {
		t.Error("the download was not audited")
	}
}

func export_number(f *fixture, a *biopilot.Application) string { return f.srv.appNumber(a) }

// auditHas reports whether the audit trail has a record of action.
func auditHas(t *testing.T, f *fixture, action string) bool {
	t.Helper()
	recs, _, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) > 0
}

// sheetRows reads a workbook's sheet back.
func sheetRows(t *testing.T, data []byte, sheet string) [][]string {
	t.Helper()
	wb, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer wb.Close()
	rows, err := wb.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v (sheets %v)", sheet, err, wb.GetSheetList())
	}
	return rows
}

func findRow(rows [][]string, cell string) []string {
	for _, r := range rows {
		for _, c := range r {
			if c == cell {
				return r
			}
		}
	}
	return nil
}

func TestExportXLSXScope(t *testing.T) {
	f := newFixture(t)
	gz := docApp(f)
	fs := submitted(f, f.orgB, "applicantB")
	gzNo, fsNo := f.srv.appNumber(gz), f.srv.appNumber(fs)

	w := f.as("citygz").do("GET", "/api/v1/applications/export.xlsx", nil)
	wantStatus(t, w, 200)
	rows := sheetRows(t, w.Body.Bytes(), xlsx.ListSheet)
	if findRow(rows, gzNo) == nil {
		t.Errorf("广州's export lacks its application %s: %q", gzNo, rows)
	}
	if findRow(rows, fsNo) != nil || strings.Contains(fmt.Sprint(rows), "佛山某酶制剂有限公司") {
		t.Errorf("广州's export has 佛山's application")
	}
	r := findRow(rows, gzNo)
	if r != nil && !strings.Contains(strings.Join(r, "|"), "广州某生物科技有限公司") {
		t.Errorf("row %q lacks the organisation", r)
	}
	// the list's filters apply: nothing is in state returned
	w = f.as("citygz").do("GET", "/api/v1/applications/export.xlsx?state=returned", nil)
	wantStatus(t, w, 200)
	if findRow(sheetRows(t, w.Body.Bytes(), xlsx.ListSheet), gzNo) != nil {
		t.Error("the state filter was ignored")
	}
	wantStatus(t, f.as("citygz").do("GET", "/api/v1/applications/export.xlsx?state=bogus", nil), 422)
	wantStatus(t, f.as("admin").do("GET", "/api/v1/applications/export.xlsx", nil), 403)

	// the province sees what cities recommended: the summary counts it
	moveTo(f, gz, biopilot.StateCityRecommended)
	wantStatus(t, f.as("citygz").do("GET", "/api/v1/reports/summary.xlsx", nil), 403)
	w = f.as("province").do("GET", "/api/v1/reports/summary.xlsx", nil)
	wantStatus(t, w, 200)
	sum := sheetRows(t, w.Body.Bytes(), xlsx.SummaryCityState)
	gzRow, fsRow := findRow(sum, "广州市"), findRow(sum, "佛山市")
	if gzRow == nil || fsRow == nil {
		t.Fatalf("summary rows: %q", sum)
	}
	col := -1
	for i, h := range sum[0] {
		if h == biopilot.StateCityRecommended.Label() {
			col = i
		}
	}
	if col < 0 || col >= len(gzRow) || gzRow[col] != "1" {
		t.Errorf("广州 × %s = %v (col %d), want 1; header %q", biopilot.StateCityRecommended.Label(), gzRow, col, sum[0])
	}
	if strings.Contains(strings.Join(fsRow[1:], ""), "1") {
		t.Errorf("佛山's submitted application is counted for the province: %q", fsRow)
	}

	w = f.as("province").do("GET", "/api/v1/reports/equipment-gaps.xlsx", nil)
	wantStatus(t, w, 200)
	gaps := sheetRows(t, w.Body.Bytes(), xlsx.GapsSheet)
	if len(gaps) < 2 || findRow(gaps, gzNo) == nil && !strings.Contains(fmt.Sprint(gaps), "广州某生物科技有限公司") {
		t.Errorf("the gap sheet lacks 广州's equipment: %.500q", gaps)
	}
	if strings.Contains(fmt.Sprint(gaps), "佛山某酶制剂有限公司") {
		t.Error("the gap sheet has an application the province cannot see")
	}
	wantStatus(t, f.as("citygz").do("GET", "/api/v1/reports/equipment-gaps.xlsx", nil), 403)
}

func TestAppPackage(t *testing.T) {
	f := newFixture(t)
	a := docApp(f)
	no := f.srv.appNumber(a)
	for _, who := range []string{"applicantA", "citygz"} {
		w := f.as(who).do("GET", idPath("/api/v1/applications/%d/package.zip", a.ID), nil)
		wantStatus(t, w, 200)
		pkg := w.Body.Bytes()
		rep, err := seal.VerifyPackage(bytes.NewReader(pkg), int64(len(pkg)))
		if err != nil {
			t.Fatalf("%s's package does not verify: %v", who, err)
		}
		if len(rep.Signers) != 2 { // the package seal and the submission
			t.Errorf("%s: signers %+v", who, rep.Signers)
		}
		ev := "applications/" + no + "/evidence/license/"
		if !bytes.Contains(pkg, []byte(ev)) {
			t.Errorf("%s: the package lacks the evidence under %s", who, ev)
		}
		// one flipped byte in the evidence fails
		i := bytes.Index(pkg, []byte("1 0 obj<<>>endobj"))
		if i < 0 {
			t.Fatal("evidence content not found")
		}
		bad := bytes.Clone(pkg)
		bad[i] ^= 1
		if _, err := seal.VerifyPackage(bytes.NewReader(bad), int64(len(bad))); err == nil || !strings.Contains(err.Error(), "evidence") {
			t.Errorf("%s: a flipped evidence byte: %v", who, err)
		}
	}
	wantStatus(t, f.as("cityfs").do("GET", idPath("/api/v1/applications/%d/package.zip", a.ID), nil), 404)
	wantStatus(t, f.as("applicantB").do("GET", idPath("/api/v1/applications/%d/package.zip", a.ID), nil), 404)
	wantStatus(t, f.as("applicantA").do("GET", idPath("/api/v1/applications/%d/package.zip", f.appDraft.ID), nil), 409)
	if !auditHas(t, f, "download") {
		t.Error("downloads not audited")
	}
}

func TestRecommendationDocuments(t *testing.T) {
	f := newFixture(t)
	a := docApp(f)
	b := submitted(f, f.orgA, "applicantA")
	rec := &store.Recommendation{ProgramID: f.prog.ID, Level: store.LevelCity, Jurisdiction: "440100",
		Number: "穗工信函〔2025〕12号", ApplicationIDs: []int64{b.ID, a.ID}, Opinion: "经审核，同意推荐。", CreatedBy: f.users["citygz"].ID}
	if err := f.db.SaveRecommendation(context.Background(), rec, 0); err != nil {
		t.Fatal(err)
	}
	w := f.as("citygz").do("GET", idPath("/api/v1/recommendations/%d/letter.pdf", rec.ID), nil)
	wantStatus(t, w, 200)
	txt := pdfText(t, w.Body.Bytes())
	nb, na := f.srv.appNumber(b), f.srv.appNumber(a)
	ib, ia := strings.Index(txt, nb), strings.Index(txt, na)
	if ib < 0 || ia < 0 || ib > ia {
		t.Errorf("the letter does not list %s then %s:\n%s", nb, na, txt)
	}
	for _, s := range []string{"穗工信函〔2025〕12号", "关于推荐生物制造中试能力建设平台的函", "广东省工业和信息化厅：", "经审核，同意推荐。", "抄送：广东省发展和改革委员会。"} {
		if !strings.Contains(txt, s) {
			t.Errorf("the letter lacks %q", s)
		}
	}
	wantStatus(t, f.as("cityfs").do("GET", idPath("/api/v1/recommendations/%d/letter.pdf", rec.ID), nil), 404)
	wantStatus(t, f.as("province").do("GET", idPath("/api/v1/recommendations/%d/letter.pdf", rec.ID), nil), 404) // not sent
	wantStatus(t, f.as("applicantA").do("GET", idPath("/api/v1/recommendations/%d/package.zip", rec.ID), nil), 404)

	w = f.as("citygz").do("GET", idPath("/api/v1/recommendations/%d/package.zip", rec.ID), nil)
	wantStatus(t, w, 200)
	pkg := w.Body.Bytes()
	rep, err := seal.VerifyPackage(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatalf("the recommendation package does not verify: %v", err)
	}
	if rep.Manifest == nil || len(rep.Manifest.Applications) != 2 || rep.Manifest.Applications[0].Number != nb {
		t.Errorf("manifest applications: %+v", rep.Manifest)
	}
	if !bytes.Contains(pkg, []byte("推荐函.pdf")) {
		t.Error("no 推荐函.pdf in the package")
	}
}
