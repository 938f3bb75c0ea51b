package main

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/seal"
)

// writeTestPackage writes an application package sealed by its organisation and
// returns its path and the organisation's public key.
func writeTestPackage(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 7, 1, 10, 0, 0, 0, biopilot.Beijing)
	var buf bytes.Buffer
	w, err := seal.NewPackageWriter(&buf, seal.PackageInfo{
		Program:   seal.ProgramRef{ID: "gd-2025", Name: "2025年广东省生物制造中试能力建设平台"},
		Kind:      seal.KindApplication,
		Title:     "示例酶制剂与食品配料中试平台申请材料",
		CreatedAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	snapshot := map[string]any{"platform": map[string]any{"name": "示例酶制剂与食品配料中试平台"}}
	snapHash, _ := seal.CanonicalHash(snapshot)
	if _, err := w.AddJSON("snapshot.json", snapshot); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddFile("evidence/营业执照.pdf", strings.NewReader("%PDF-1.7 营业执照 %%EOF")); err != nil {
		t.Fatal(err)
	}
	w.AddApplication(seal.ManifestApplication{ID: 1, Number: "GD2025-0001", OrgName: "广东示例酶工程有限公司",
		PlatformName: "示例酶制剂与食品配料中试平台", State: string(biopilot.StateSubmitted), SnapshotHash: snapHash, Snapshot: "snapshot.json"})
	meta := seal.SignMeta{Purpose: seal.PurposeSubmit, Signer: "陈立新", Role: biopilot.RoleApplicant, Holder: "广东示例酶工程有限公司", SignedAt: at}
	sig, err := seal.SignPayload(key, snapshot, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddSignature(sig, "snapshot.json"); err != nil {
		t.Fatal(err)
	}
	meta.Purpose = ""
	if err := w.Close(seal.Sealer{Key: key, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "申请材料.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, key.PublicPEM()
}

func runVerify(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"verify"}, args...), func(string) string { return "" }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	path, pub := writeTestPackage(t, dir)

	code, out, errOut := runVerify(t, path)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"结论：通过", "文件：2 个", "申请表签章（广东示例酶工程有限公司）", "材料包签章（广东示例酶工程有限公司）",
		"陈立新（申报单位）", "GD2025-0001", "已提交，待地市审核", "未指定受信任的公钥", "公钥 ID " + seal.KeyID(pub)} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	// One flipped byte of the evidence file.
	data, _ := os.ReadFile(path)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var off int64 = -1
	for _, f := range zr.File {
		if f.Name == "evidence/营业执照.pdf" {
			off, _ = f.DataOffset()
		}
	}
	flipped := bytes.Clone(data)
	flipped[off+3] ^= 0x01
	bad := filepath.Join(dir, "flipped.zip")
	os.WriteFile(bad, flipped, 0o644)
	code, out, _ = runVerify(t, bad)
	if code != 1 || !strings.Contains(out, "结论：不通过。文件 evidence/营业执照.pdf 的 SM3 摘要不符") {
		t.Fatalf("flipped evidence byte: exit %d\n%s", code, out)
	}

	// One flipped byte in the manifest's seal (whose members come before the
	// decisions' signatures in canonical order).
	seals := bytes.Index(data, []byte(`"seals":[`))
	i := seals + bytes.Index(data[seals:], []byte(`"value":"`)) + 12
	flipped = bytes.Clone(data)
	flipped[i] ^= 0x01
	os.WriteFile(bad, flipped, 0o644)
	code, out, _ = runVerify(t, bad)
	if code != 1 || !strings.Contains(out, "结论：不通过。材料包签章（广东示例酶工程有限公司）验证失败") {
		t.Fatalf("flipped seal byte: exit %d\n%s", code, out)
	}

	// One changed byte in the decision's signature: the manifest no longer matches
	// its seal.
	i = bytes.LastIndex(data, []byte(`"value":"`)) + 12
	flipped = bytes.Clone(data)
	flipped[i] ^= 0x01
	os.WriteFile(bad, flipped, 0o644)
	code, out, _ = runVerify(t, bad)
	if code != 1 || !strings.Contains(out, "结论：不通过。清单 manifest.json 在盖章后被改动") {
		t.Fatalf("flipped signature byte: exit %d\n%s", code, out)
	}

	// Trusted keys.
	keys := filepath.Join(dir, "keys.pem")
	os.WriteFile(keys, []byte(pub), 0o644)
	if code, out, _ := runVerify(t, "-trust", keys, path); code != 0 || !strings.Contains(out, "均在受信任的公钥之列") {
		t.Fatalf("-trust with the right key: exit %d\n%s", code, out)
	}
	other, _ := seal.GenerateKey()
	os.WriteFile(keys, []byte(other.PublicPEM()), 0o644)
	if code, out, _ := runVerify(t, "-trust", keys, path); code != 1 || !strings.Contains(out, "不在受信任的公钥之列") {
		t.Fatalf("-trust with another key: exit %d\n%s", code, out)
	}
	os.WriteFile(keys, []byte("no keys here"), 0o644)
	if code, _, errOut := runVerify(t, "-trust", keys, path); code != 2 || !strings.Contains(errOut, "没有 PEM 格式的公钥") {
		t.Fatalf("-trust with no key: exit %d\n%s", code, errOut)
	}

	// Not a package, unreadable, usage.
	notZip := filepath.Join(dir, "not.zip")
	os.WriteFile(notZip, []byte("hello"), 0o644)
	if code, out, _ := runVerify(t, notZip); code != 1 || !strings.Contains(out, "不是有效的 ZIP") {
		t.Fatalf("not a zip: exit %d\n%s", code, out)
	}
	if code, _, errOut := runVerify(t, filepath.Join(dir, "absent.zip")); code != 2 || !strings.Contains(errOut, "无法读取材料包") {
		t.Fatalf("absent file: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runVerify(t, dir); code != 2 {
		t.Fatalf("directory: exit %d\n%s", code, errOut)
	}
	if code, _, _ := runVerify(t); code != 2 {
		t.Fatalf("no argument: exit %d", code)
	}
	if code, _, errOut := runVerify(t, "-h"); code != 0 || !strings.Contains(errOut, "用法：biopilot verify") {
		t.Fatalf("-h: exit %d\n%s", code, errOut)
	}
}
