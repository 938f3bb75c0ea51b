package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/render"
	"biopilot/seal"
)

func buildApp(t *testing.T, in AppInput) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := ApplicationPackage(context.Background(), &buf, in); err != nil {
		t.Fatalf("ApplicationPackage: %v", err)
	}
	return buf.Bytes()
}

func verify(pkg []byte) (*seal.Report, error) {
	return seal.VerifyPackage(bytes.NewReader(pkg), int64(len(pkg)))
}

func names(t *testing.T, pkg []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

func TestApplicationPackageVerifies(t *testing.T) {
	f := newFixture(t, 12, "440600")
	pkg := buildApp(t, f.input(t))
	rep, err := verify(pkg)
	if err != nil {
		t.Fatalf("VerifyPackage: %v", err)
	}
	no := "GD2025-440600-0012"
	want := []string{
		"applications/" + no + "/snapshot.json",
		"applications/" + no + "/evidence/license/" + f.app.Evidence[0].SHA256[:8] + "-营业执照.pdf",
		"applications/" + no + "/evidence/site/" + f.app.Evidence[1].SHA256[:8] + "-site_ photo 1.jpg",
		"applications/" + no + "/signatures/01-submit.json",
		"applications/" + no + "/signatures/02-recommend.json",
		"applications/" + no + "/signatures/03-recommend.json",
		"applications/" + no + "/申请表.pdf",
		"manifest.json",
	}
	if got := names(t, pkg); !slices.Equal(got, want) {
		t.Errorf("entries:\n got %q\nwant %q", got, want)
	}
	// three decisions and the exporter's seal
	if len(rep.Signers) != 4 {
		t.Errorf("%d signers, want the package seal and 3 decisions: %+v", len(rep.Signers), rep.Signers)
	}
	zr, _ := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	var m seal.Manifest
	rc, _ := zr.File[len(zr.File)-1].Open()
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Kind != seal.KindApplication || len(m.Applications) != 1 || len(m.Seals) != 1 {
		t.Fatalf("manifest: kind %q, %d applications, %d seals", m.Kind, len(m.Applications), len(m.Seals))
	}
	a := m.Applications[0]
	if a.Number != no || a.State != string(biopilot.StateCityRecommended) || a.SnapshotHash != f.app.App.SnapshotHash ||
		a.OrgName != "广东示例酶工程有限公司" || len(a.Files) != 6 {
		t.Errorf("manifest application: %+v", a)
	}
	if m.Seals[0].Holder != "佛山市工业和信息化局" || m.Seals[0].PublicKey != f.miit.PublicPEM() {
		t.Errorf("package seal: %+v", m.Seals[0])
	}
	// the PDF is the 申请表 of the snapshot
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, ".pdf") && strings.Contains(zf.Name, "申请表") {
			rc, _ := zf.Open()
			head := make([]byte, 5)
			io.ReadFull(rc, head)
			rc.Close()
			if string(head) != "%PDF-" || zf.UncompressedSize64 < 10_000 {
				t.Errorf("申请表.pdf: %q, %d bytes", head, zf.UncompressedSize64)
			}
		}
	}
	// trusted keys: the three keys used, and not another
	if _, err := seal.VerifyPackage(bytes.NewReader(pkg), int64(len(pkg)), f.org.PublicPEM(), f.miit.PublicPEM(), f.drc.PublicPEM()); err != nil {
		t.Errorf("verify with the right trusted keys: %v", err)
	}
	if _, err := seal.VerifyPackage(bytes.NewReader(pkg), int64(len(pkg)), f.org.PublicPEM(), f.miit.PublicPEM()); err == nil {
		t.Error("verify trusts a key that was not given")
	}
}

// flip returns pkg with one byte of the named entry's data flipped (or of the
// manifest's, for "manifest.json").
func flip(t *testing.T, pkg []byte, name string, at int64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		out := bytes.Clone(pkg)
		out[off+at] ^= 0x01
		return out
	}
	t.Fatalf("no entry %s", name)
	return nil
}

func TestApplicationPackageTamper(t *testing.T) {
	f := newFixture(t, 12, "440600")
	pkg := buildApp(t, f.input(t))
	no := "GD2025-440600-0012"
	cases := []struct{ name, entry string }{
		{"evidence", f.evidenceLicense},
		{"pdf", "applications/" + no + "/申请表.pdf"},
		{"snapshot", "applications/" + no + "/snapshot.json"},
		{"signed payload", "applications/" + no + "/signatures/02-recommend.json"},
		{"manifest", "manifest.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, at := range []int64{0, 9} {
				_, err := verify(flip(t, pkg, c.entry, at))
				if err == nil {
					t.Fatalf("a flipped byte %d in %s passed verification", at, c.entry)
				}
				if !strings.Contains(biopilot.ErrorMessage(err), c.entry) && !strings.Contains(biopilot.ErrorMessage(err), "清单") {
					t.Errorf("the error does not name %s: %v", c.entry, err)
				}
			}
		})
	}
}

func TestApplicationPackageRefuses(t *testing.T) {
	cases := []struct {
		name string
		edit func(*AppInput)
		want string
	}{
		{"draft", func(in *AppInput) { in.Application.App.Snapshot = nil }, "尚未提交"},
		{"hash mismatch", func(in *AppInput) { in.Application.App.SnapshotHash = strings.Repeat("0", 64) }, "not to its recorded hash"},
		{"missing evidence", func(in *AppInput) {
			in.Application.Evidence = append(in.Application.Evidence, Evidence{SHA256: strings.Repeat("a", 64), Filename: "x.pdf", Category: "other"})
		}, "open evidence"},
		{"no sealer", func(in *AppInput) { in.Sealers = nil }, "签章"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 12, "440600")
			in := f.input(t)
			c.edit(&in)
			err := ApplicationPackage(context.Background(), io.Discard, in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestEvidenceContentChecked(t *testing.T) {
	f := newFixture(t, 12, "440600")
	in := f.input(t)
	sum := in.Application.Evidence[0].SHA256
	f.blobs[sum] = []byte("not the licence")
	err := ApplicationPackage(context.Background(), io.Discard, in)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("err = %v, want the evidence hash mismatch", err)
	}
}

func TestRecommendationPackage(t *testing.T) {
	a := newFixture(t, 12, "440600")
	b := newFixture(t, 15, "440600", a.org, a.miit, a.drc)
	in := RecInput{Program: a.p, Renderer: renderer(t), CityCode: "440600",
		Letter: render.Letter{Number: "佛工信函〔2025〕7号", City: "佛山市", Opinion: "同意推荐。",
			Authorities: []render.Seal{{Holder: "佛山市工业和信息化局"}, {Holder: "佛山市发展和改革局"}},
			Date:        t0.Add(48 * time.Hour), CC: []string{"广东省发展和改革委员会"}},
		Applications: []Application{b.app, a.app},
		Open: func(ctx context.Context, sum string) (io.ReadCloser, error) {
			if _, ok := a.blobs[sum]; ok {
				return a.blobs.open(ctx, sum)
			}
			return b.blobs.open(ctx, sum)
		},
		Sealers: []seal.Sealer{a.exporter, {Key: a.drc, Meta: seal.SignMeta{Signer: "导出人", Role: biopilot.RoleCityDRC,
			Holder: "佛山市发展和改革局", SignedAt: t0.Add(24 * time.Hour)}}},
		At: t0.Add(48 * time.Hour)}
	letterPayload := map[string]any{"city": "440600", "applications": []any{"GD2025-440600-0015", "GD2025-440600-0012"}}
	sig, err := seal.SignPayload(a.miit, letterPayload, seal.SignMeta{Purpose: seal.PurposeSend, Signer: "局长",
		Role: biopilot.RoleCityMIIT, Holder: "佛山市工业和信息化局", SignedAt: t0.Add(47 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	in.Signatures = []Signed{{Signature: sig, Payload: letterPayload}}
	var buf bytes.Buffer
	if err := RecommendationPackage(context.Background(), &buf, in); err != nil {
		t.Fatalf("RecommendationPackage: %v", err)
	}
	pkg := buf.Bytes()
	rep, err := verify(pkg)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(rep.Signers) != 9 {
		t.Errorf("%d signers, want 2 package seals, 3 per application and the letter's", len(rep.Signers))
	}
	got := names(t, pkg)
	if got[0] != "推荐函.pdf" || !strings.HasPrefix(got[1], "applications/GD2025-440600-0015/") ||
		!slices.Contains(got, "recommendation/signatures/01-send.json") || got[len(got)-1] != "manifest.json" {
		t.Errorf("entries: %q", got)
	}
	if _, err := verify(flip(t, pkg, "推荐函.pdf", 100)); err == nil || !strings.Contains(err.Error(), "推荐函.pdf") {
		t.Errorf("flipped letter: %v", err)
	}

	// another city's application is refused
	in.Applications[1].App.CityCode = "440100"
	if err := RecommendationPackage(context.Background(), io.Discard, in); err == nil {
		t.Error("a 广州 application went into 佛山's recommendation")
	}
}

// TestPackageMemoryFlat exports ~200 MB of generated evidence and watches the heap.
func TestPackageMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("exports 200 MB; skipped with -short")
	}
	f := newFixture(t, 12, "440600")
	in := f.input(t)
	const n, size = 5, 40 << 20
	var hw heapWatch
	sums := map[string]uint64{}
	for i := range n {
		sum := genSum(t, size, uint64(2*i+1))
		sums[sum] = uint64(2*i + 1)
		in.Application.Evidence = append(in.Application.Evidence, Evidence{SHA256: sum, Filename: "设备照片.bin", Category: "other"})
	}
	in.Open = func(ctx context.Context, sum string) (io.ReadCloser, error) {
		if seed, ok := sums[sum]; ok {
			return newGen(size, seed, hw.sample), nil
		}
		return f.blobs.open(ctx, sum)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	cw := &countWriter{}
	if err := ApplicationPackage(context.Background(), cw, in); err != nil {
		t.Fatal(err)
	}
	if cw.n < n*size {
		t.Fatalf("package of %d bytes, want at least %d", cw.n, n*size)
	}
	growth := int64(hw.max) - int64(base)
	t.Logf("package %s; heap in use %s before, at most %s during", mib(uint64(cw.n)), mib(base), mib(hw.max))
	if growth > 48<<20 {
		t.Errorf("heap grew by %s while exporting %s: not streamed", mib(uint64(growth)), mib(uint64(cw.n)))
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestSnapshotWithEvidence packages an application whose snapshot hash covers the
// document and its evidence list, as the web layer seals a submission.
func TestSnapshotWithEvidence(t *testing.T) {
	f := newFixture(t, 12, "440600")
	in := f.input(t)
	in.Application.Evidence = in.Application.Evidence[:2]
	in.Application.Evidence[0].ID, in.Application.Evidence[0].Size = 31, 25
	in.Application.Evidence[1].ID, in.Application.Evidence[1].Size = 32, 60000
	var ev []any
	for _, e := range in.Application.Evidence {
		ev = append(ev, map[string]any{"id": e.ID, "category": e.Category, "sha256": e.SHA256, "size": e.Size, "filename": e.Filename})
	}
	want, err := seal.Canonical(map[string]any{"document": json.RawMessage(f.app.App.Snapshot), "evidence": ev})
	if err != nil {
		t.Fatal(err)
	}
	app := *f.app.App
	app.SnapshotHash = seal.Hash(want)
	in.Application.App = &app
	pkg := buildApp(t, in)
	if _, err := verify(pkg); err != nil {
		t.Fatalf("verify: %v", err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	rc, _ := zr.File[0].Open()
	got, _ := io.ReadAll(rc)
	if zr.File[0].Name != "applications/GD2025-440600-0012/snapshot.json" || !bytes.Equal(got, want) {
		t.Errorf("%s is not the sealed snapshot object:\n%.300s", zr.File[0].Name, got)
	}
	// a changed evidence list no longer matches the hash
	in.Application.Evidence[1].Size++
	if err := ApplicationPackage(context.Background(), io.Discard, in); err == nil {
		t.Error("an evidence list that does not match the snapshot hash was packaged")
	}
}
