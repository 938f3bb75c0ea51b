package seal

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"biopilot"
)

// parties of a city recommendation, with their keys.
type parties struct {
	org, miit, drc *Key
}

func newParties(t testing.TB) parties {
	return parties{mustKey(t), mustKey(t), mustKey(t)}
}

func (p parties) pems() []string {
	return []string{p.org.PublicPEM(), p.miit.PublicPEM(), p.drc.PublicPEM()}
}

// buildOptions lets a test break a package while it is being built.
type buildOptions struct {
	// beforeClose edits the writer (its manifest) just before sealing.
	beforeClose func(w *PackageWriter)
}

// buildPackage writes a city recommendation of one application: its snapshot, its
// PDF and evidence, the applicant's submission, both city authorities' recommendations
// and the city's sending, sealed by both city authorities.
func buildPackage(t testing.TB, ps parties, opt buildOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewPackageWriter(&buf, PackageInfo{
		Program:   ProgramRef{ID: "gd-2025", Name: "2025年广东省生物制造中试能力建设平台"},
		Kind:      KindRecommendation,
		Title:     "佛山市生物制造中试能力建设平台推荐材料",
		CreatedAt: t0.Add(48 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ ManifestFile, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	snapshot := map[string]any{"document": map[string]any{"platform": map[string]any{"name": "示例酶制剂与食品配料中试平台", "equipment_value_10k_yuan": 5800}},
		"evidence": map[string]any{"license": Hash([]byte("营业执照"))}}
	snapHash, _ := CanonicalHash(snapshot)
	must(w.AddJSON("applications/GD2025-0001/snapshot.json", snapshot))
	must(w.AddFile("applications/GD2025-0001/申请表.pdf", strings.NewReader("%PDF-1.7\n申请表内容\n%%EOF\n")))
	must(w.AddFile("applications/GD2025-0001/evidence/营业执照.pdf", strings.NewReader("营业执照")))
	must(w.AddFile("applications/GD2025-0001/evidence/equipment-list.xlsx", bytes.NewReader(bytes.Repeat([]byte{0, 1, 2, 0xff}, 300))))
	w.AddApplication(ManifestApplication{ID: 1, Number: "GD2025-0001", OrgName: "广东示例酶工程有限公司", PlatformName: "示例酶制剂与食品配料中试平台",
		CityCode: "440600", State: string(biopilot.StateAtProvince), SnapshotHash: snapHash, Snapshot: "applications/GD2025-0001/snapshot.json",
		Files: []string{"applications/GD2025-0001/申请表.pdf", "applications/GD2025-0001/evidence/营业执照.pdf"}})

	sign := func(key *Key, payload any, path string, meta SignMeta) *Signature {
		t.Helper()
		if path != "" {
			must(w.AddJSON(path, payload))
		}
		s, err := SignPayload(key, payload, meta)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddSignature(s, path); err != nil {
			t.Fatal(err)
		}
		return s
	}
	sub := sign(ps.org, snapshot, "", SignMeta{Purpose: PurposeSubmit, Signer: "陈立新", Role: biopilot.RoleApplicant, Holder: "广东示例酶工程有限公司", SignedAt: t0})
	opinion := map[string]any{"snapshot_hash": snapHash, "checks": map[string]any{"真实性": true, "完整性": true, "有效性": true}, "opinion": "同意推荐。", "previous": sub.Digest}
	miit := sign(ps.miit, opinion, "applications/GD2025-0001/recommend-miit.json", SignMeta{Purpose: PurposeRecommend, Signer: "王五", Role: biopilot.RoleCityMIIT, Holder: "佛山市工业和信息化局", SignedAt: t0.Add(time.Hour), Previous: sub})
	drc := sign(ps.drc, opinion, "applications/GD2025-0001/recommend-drc.json", SignMeta{Purpose: PurposeRecommend, Signer: "赵六", Role: biopilot.RoleCityDRC, Holder: "佛山市发展和改革局", SignedAt: t0.Add(2 * time.Hour), Previous: miit})
	letter := map[string]any{"city": "440600", "order": []any{"GD2025-0001"}, "opinion": "经审核，推荐以上平台。", "previous": drc.Digest}
	sign(ps.miit, letter, "recommendation.json", SignMeta{Purpose: PurposeSend, Signer: "王五", Role: biopilot.RoleCityMIIT, Holder: "佛山市工业和信息化局", SignedAt: t0.Add(24 * time.Hour), Previous: drc})

	if opt.beforeClose != nil {
		opt.beforeClose(w)
	}
	err = w.Close(
		Sealer{Key: ps.miit, Meta: SignMeta{Signer: "王五", Role: biopilot.RoleCityMIIT, Holder: "佛山市工业和信息化局", SignedAt: t0.Add(48 * time.Hour)}},
		Sealer{Key: ps.drc, Meta: SignMeta{Signer: "赵六", Role: biopilot.RoleCityDRC, Holder: "佛山市发展和改革局", SignedAt: t0.Add(49 * time.Hour)}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func verifyBytes(b []byte, trusted ...string) (*Report, error) {
	return VerifyPackage(bytes.NewReader(b), int64(len(b)), trusted...)
}

// rewrite copies a package entry by entry with the same ZIP profile, letting edit
// change, drop (nil) or add entries.
func rewrite(t *testing.T, pkg []byte, edit func(name string, data []byte) []byte, extra map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, fh zip.FileHeader, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, ModifiedDate: fh.ModifiedDate, ModifiedTime: fh.ModifiedTime})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == ManifestName {
			for name, d := range extra {
				put(name, f.FileHeader, d)
			}
		}
		if data = edit(f.Name, data); data != nil {
			put(f.Name, f.FileHeader, data)
		}
	}
	zw.Close()
	return out.Bytes()
}

func TestPackageRoundTrip(t *testing.T) {
	ps := newParties(t)
	pkg := buildPackage(t, ps, buildOptions{})
	rep, err := verifyBytes(pkg)
	if err != nil {
		t.Fatalf("VerifyPackage: %v", err)
	}
	if rep.Files != 7 || rep.Manifest.Kind != KindRecommendation || len(rep.Manifest.Applications) != 1 || rep.Trusted {
		t.Fatalf("report = %+v", rep)
	}
	var labels []string
	for _, s := range rep.Signers {
		labels = append(labels, s.Label)
	}
	want := "材料包签章（佛山市工业和信息化局） 材料包签章（佛山市发展和改革局） 申请表签章（广东示例酶工程有限公司） 推荐意见签章（佛山市工业和信息化局） 推荐意见签章（佛山市发展和改革局） 推荐函签章（佛山市工业和信息化局）"
	if got := strings.Join(labels, " "); got != want {
		t.Fatalf("signers = %s\nwant %s", got, want)
	}
	// The manifest is the last entry and its own canonical encoding.
	zr, _ := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	last := zr.File[len(zr.File)-1]
	rc, _ := last.Open()
	raw, _ := io.ReadAll(rc)
	if last.Name != ManifestName || !bytes.HasPrefix(raw, []byte(`{"applications":[{`)) {
		t.Fatalf("last entry %s: %.40s", last.Name, raw)
	}
	// Trusted keys.
	if rep, err := verifyBytes(pkg, ps.pems()...); err != nil || !rep.Trusted {
		t.Fatalf("with trusted keys: %v", err)
	}
	_, err = verifyBytes(pkg, ps.miit.PublicPEM(), ps.drc.PublicPEM())
	if msg := biopilot.ErrorMessage(err); !strings.Contains(msg, "申请表签章（广东示例酶工程有限公司）使用的公钥") {
		t.Fatalf("untrusted applicant key: %q", msg)
	}
}

func TestPackageTampered(t *testing.T) {
	ps := newParties(t)
	pkg := buildPackage(t, ps, buildOptions{})
	flipAt := func(off int64) []byte {
		b := bytes.Clone(pkg)
		b[off] ^= 0x01
		return b
	}
	zr, _ := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	entry := func(name string) *zip.File {
		for _, f := range zr.File {
			if f.Name == name {
				return f
			}
		}
		t.Fatalf("no entry %s", name)
		return nil
	}
	dataAt := func(name string, i int64) int64 {
		off, _ := entry(name).DataOffset()
		return off + i
	}
	manifestAt := func(substr string) int64 {
		off, _ := entry(ManifestName).DataOffset()
		i := bytes.Index(pkg[off:], []byte(substr))
		if i < 0 {
			t.Fatalf("%q not in manifest", substr)
		}
		return off + int64(i)
	}
	replaceManifest := func(old, new string) []byte {
		return rewrite(t, pkg, func(name string, data []byte) []byte {
			if name == ManifestName {
				if !bytes.Contains(data, []byte(old)) {
					t.Fatalf("%q not in manifest", old)
				}
				i := bytes.LastIndex(data, []byte(old)) // the seals come last
				return append(append(bytes.Clone(data[:i]), new...), data[i+len(old):]...)
			}
			return data
		}, nil)
	}
	sealValue := func(i int) int64 {
		off, _ := entry(ManifestName).DataOffset()
		seals := bytes.Index(pkg[off:], []byte(`"seals":[`))
		at := seals
		for k := 0; k <= i; k++ {
			at += bytes.Index(pkg[off+int64(at):], []byte(`"value":"`)) + len(`"value":"`)
		}
		return off + int64(at) + 10
	}
	tests := []struct {
		name string
		pkg  []byte
		msg  string
	}{
		{"evidence byte", flipAt(dataAt("applications/GD2025-0001/evidence/营业执照.pdf", 2)), "文件 applications/GD2025-0001/evidence/营业执照.pdf 的 SM3 摘要不符"},
		{"pdf last byte", flipAt(dataAt("applications/GD2025-0001/申请表.pdf", int64(entry("applications/GD2025-0001/申请表.pdf").UncompressedSize64-1))), "文件 applications/GD2025-0001/申请表.pdf 的 SM3 摘要不符"},
		{"payload file", flipAt(dataAt("recommendation.json", 20)), "文件 recommendation.json 的 SM3 摘要不符"},
		{"manifest title", flipAt(manifestAt("佛山市生物制造") + 1), "manifest.json"},
		{"manifest title rewritten", replaceManifest("佛山市生物制造", "广州市生物制造"), "清单 manifest.json 在盖章后被改动"},
		{"manifest file hash", replaceManifest(`"size":12,`, `"size":13,`), "清单 manifest.json 在盖章后被改动"},
		{"manifest not canonical", replaceManifest(`"kind":`, `"kind" :`), "不是规范编码"},
		{"seal value", flipAt(sealValue(0)), "材料包签章（佛山市工业和信息化局）验证失败"},
		{"second seal value", flipAt(sealValue(1)), "材料包签章（佛山市发展和改革局）验证失败"},
		{"seal signer", replaceManifest(`"signed_at":"2025-07-03T11:00:00+08:00","signer":"赵六"`, `"signed_at":"2025-07-03T11:00:00+08:00","signer":"赵七"`), "材料包签章（佛山市发展和改革局）验证失败：签章声明的摘要不符"},
		{"local header name", flipAt(manifestAt("") - 2 - int64(len(ManifestName))), "ZIP 结构不符"},
		{"central directory", flipAt(int64(len(pkg)) - 22 - 10), "ZIP 结构不符"},
		{"trailing garbage", append(bytes.Clone(pkg), 0), "ZIP"},
		{"missing file", rewrite(t, pkg, func(name string, data []byte) []byte {
			if name == "applications/GD2025-0001/申请表.pdf" {
				return nil
			}
			return data
		}, nil), "清单中的文件 applications/GD2025-0001/申请表.pdf 缺失"},
		{"extra file", rewrite(t, pkg, func(name string, data []byte) []byte { return data }, map[string][]byte{"extra.pdf": []byte("x")}), "不在清单中"},
		{"no manifest", rewrite(t, pkg, func(name string, data []byte) []byte {
			if name == ManifestName {
				return nil
			}
			return data
		}, nil), "缺少清单"},
		{"not a zip", []byte("PK not really"), "不是有效的 ZIP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifyBytes(tt.pkg)
			if err == nil {
				t.Fatal("VerifyPackage accepted it")
			}
			if msg := biopilot.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q does not say %q", msg, tt.msg)
			}
		})
	}
}

// TestPackageBadSignatures builds packages whose manifest is sealed but whose decision
// signatures are wrong.
func TestPackageBadSignatures(t *testing.T) {
	ps := newParties(t)
	tests := []struct {
		name string
		edit func(w *PackageWriter)
		msg  string
	}{
		{"flipped signature", func(w *PackageWriter) {
			s := &w.manifest.Signatures[2]
			b := []byte(s.Value)
			b[5] ^= 0x01
			s.Value = string(b)
		}, "推荐意见签章（佛山市发展和改革局）验证失败"},
		{"payload changed", func(w *PackageWriter) {
			w.manifest.Signatures[3].Payload = "applications/GD2025-0001/recommend-drc.json"
		}, "推荐函签章（佛山市工业和信息化局）所签内容与文件 applications/GD2025-0001/recommend-drc.json 不符"},
		{"link missing", func(w *PackageWriter) {
			w.manifest.Signatures = append(w.manifest.Signatures[:1], w.manifest.Signatures[2:]...)
		}, "推荐意见签章（佛山市发展和改革局）所接续的前一签章不在材料包中"},
		{"reordered", func(w *PackageWriter) {
			s := w.manifest.Signatures
			s[1], s[2] = s[2], s[1]
		}, "推荐意见签章（佛山市发展和改革局）所接续的前一签章不在材料包中"},
		{"snapshot hash", func(w *PackageWriter) {
			w.manifest.Applications[0].SnapshotHash = Hash([]byte("other"))
		}, "申请 GD2025-0001 的快照文件 applications/GD2025-0001/snapshot.json 与快照摘要不符"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkg := buildPackage(t, ps, buildOptions{beforeClose: tt.edit})
			_, err := verifyBytes(pkg)
			if err == nil {
				t.Fatal("VerifyPackage accepted it")
			}
			if msg := biopilot.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q does not say %q", msg, tt.msg)
			}
		})
	}
}

// TestPackageEveryByte flips each byte of a small package in turn: every one must
// be detected, since file contents are hashed and everything else is checked byte for
// byte.
func TestPackageEveryByte(t *testing.T) {
	k := mustKey(t)
	var buf bytes.Buffer
	w, err := NewPackageWriter(&buf, PackageInfo{Program: ProgramRef{ID: "gd-2025"}, Kind: KindApplication, Title: "申请材料", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddFile("申请表.pdf", strings.NewReader("%PDF 申请表")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddFile("evidence/a.txt", strings.NewReader("证明")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Sealer{Key: k, Meta: SignMeta{Holder: "广东示例酶工程有限公司", SignedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	pkg := buf.Bytes()
	if _, err := verifyBytes(pkg); err != nil {
		t.Fatal(err)
	}
	for i := range pkg {
		for _, x := range []byte{0x01, 0x80} {
			b := bytes.Clone(pkg)
			b[i] ^= x
			if _, err := verifyBytes(b); err == nil {
				t.Fatalf("byte %d of %d flipped by %#x was not detected", i, len(pkg), x)
			}
		}
	}
	// Truncated anywhere.
	for n := 0; n < len(pkg); n += 37 {
		if _, err := verifyBytes(pkg[:n]); err == nil {
			t.Fatalf("package truncated to %d bytes verified", n)
		}
	}
}

func TestPackageWriterErrors(t *testing.T) {
	k := mustKey(t)
	w, err := NewPackageWriter(io.Discard, PackageInfo{Kind: KindApplication, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "/abs.pdf", "../up.pdf", "a//b", "a/./b", `a\b`, "c:x", "manifest.json", "a\x00b", "bad\xff"} {
		if _, err := w.AddFile(name, strings.NewReader("x")); err == nil {
			t.Errorf("AddFile(%q) succeeded", name)
		}
	}
	if _, err := w.AddFile("ok/文件.pdf", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddFile("ok/文件.pdf", strings.NewReader("y")); biopilot.ErrorCode(err) != biopilot.ECONFLICT {
		t.Errorf("duplicate: %v", err)
	}
	s, _ := SignPayload(k, map[string]any{"a": 1}, SignMeta{Purpose: PurposeSubmit, Holder: "x", SignedAt: t0})
	if err := w.AddSignature(s, "ok/文件.pdf"); err == nil {
		t.Error("AddSignature with a payload file of other content succeeded")
	}
	if err := w.AddSignature(s, "absent.json"); err == nil {
		t.Error("AddSignature with an absent payload file succeeded")
	}
	if err := w.Close(); biopilot.ErrorField(err) != "seals" {
		t.Errorf("Close without seals: %v", err)
	}
	if _, err := NewPackageWriter(io.Discard, PackageInfo{Kind: KindApplication}); err == nil {
		t.Error("NewPackageWriter without a time succeeded")
	}
	if _, err := NewPackageWriter(io.Discard, PackageInfo{Kind: "other", CreatedAt: t0}); err == nil {
		t.Error("NewPackageWriter of unknown kind succeeded")
	}
}
