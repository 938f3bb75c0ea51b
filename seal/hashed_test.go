package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
)

// hashesOf returns the SHA-256 and SM3 of b in lower-case hex, as files.Put records them.
func hashesOf(b []byte) (sha, sm string) {
	h, s := sha256.Sum256(b), sm3.Sum(b)
	return hex.EncodeToString(h[:]), hex.EncodeToString(s[:])
}

// hashedWriter starts a package into buf with one generated file; the caller adds
// more and closes it with sealPackage.
func hashedWriter(t *testing.T, buf *bytes.Buffer) *PackageWriter {
	t.Helper()
	w, err := NewPackageWriter(buf, PackageInfo{Program: ProgramRef{ID: "gd-2025"}, Kind: KindApplication, Title: "申请材料", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddJSON("snapshot.json", map[string]any{"平台": "示例"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func sealPackage(t *testing.T, w *PackageWriter, k *Key) {
	t.Helper()
	if err := w.Close(Sealer{Key: k, Meta: SignMeta{Signer: "导出人", Holder: "佛山市工业和信息化局", SignedAt: t0}}); err != nil {
		t.Fatal(err)
	}
}

// A file added with its recorded hashes is copied, listed with them, and verifies:
// from memory, and from a file on disk larger than the copy buffer.
func TestAddFileHashed(t *testing.T) {
	k := mustKey(t)
	small := []byte("%PDF-1.4\n营业执照\n%%EOF\n")
	big := make([]byte, copyBuffer*2+12345)
	if _, err := io.ReadFull(newGen(int64(len(big)), 99, nil), big); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var buf bytes.Buffer
	w := hashedWriter(t, &buf)
	for _, tt := range []struct {
		name string
		r    io.Reader
		data []byte
	}{
		{"evidence/license/营业执照.pdf", bytes.NewReader(small), small},
		{"evidence/other/big.bin", f, big},
		{"evidence/other/slow.bin", iotest.OneByteReader(bytes.NewReader(small[:7])), small[:7]},
		{"evidence/other/empty.bin", strings.NewReader(""), nil},
	} {
		sha, sm := hashesOf(tt.data)
		got, err := w.AddFileHashed(tt.name, tt.r, int64(len(tt.data)), sha, sm)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := (ManifestFile{Path: tt.name, Size: int64(len(tt.data)), SHA256: sha, SM3: sm}); got != want {
			t.Fatalf("%s: entry %+v, want %+v", tt.name, got, want)
		}
	}
	sealPackage(t, w, k)
	rep, err := verifyBytes(buf.Bytes())
	if err != nil {
		t.Fatalf("VerifyPackage: %v", err)
	}
	if rep.Files != 5 || rep.Bytes != int64(len(big)+len(small)+7)+rep.Manifest.Files[0].Size {
		t.Fatalf("report: %d files, %d bytes", rep.Files, rep.Bytes)
	}
}

// The manifest attests the content as uploaded: bytes read that differ from the
// recorded hashes (a file that changed in storage) make the package fail
// verification, naming the file and the hash.
func TestAddFileHashedRotted(t *testing.T) {
	k := mustKey(t)
	uploaded := bytes.Repeat([]byte("场地照片"), 1000)
	sha, sm := hashesOf(uploaded)
	rotted := bytes.Clone(uploaded)
	rotted[1234] ^= 0x40
	rsha, rsm := hashesOf(rotted)
	const name = "evidence/site/场地照片.jpg"
	for _, tt := range []struct {
		what     string
		sha, sm3 string
		want     string
	}{
		{"both hashes of the upload", sha, sm, "文件 " + name + " 的 SM3 摘要不符"},
		{"SM3 of the content read, SHA-256 of the upload", sha, rsm, "文件 " + name + " 的 SHA-256 摘要不符"},
		{"SHA-256 of the content read, SM3 of the upload", rsha, sm, "文件 " + name + " 的 SM3 摘要不符"},
	} {
		t.Run(tt.what, func(t *testing.T) {
			var buf bytes.Buffer
			w := hashedWriter(t, &buf)
			if _, err := w.AddFileHashed(name, bytes.NewReader(rotted), int64(len(rotted)), tt.sha, tt.sm3); err != nil {
				t.Fatal(err)
			}
			sealPackage(t, w, k)
			_, err := verifyBytes(buf.Bytes())
			var e *biopilot.Error
			if !errors.As(err, &e) || e.Code != biopilot.EINVALID || e.Field != name || e.Message != tt.want {
				t.Fatalf("VerifyPackage: %v, want EINVALID %q on %s", err, tt.want, name)
			}
		})
	}
}

// Bytes read that are fewer or more than recorded, or a read that fails, abandon the
// package; malformed hashes or size add nothing and leave the package usable.
func TestAddFileHashedRefused(t *testing.T) {
	k := mustKey(t)
	data := []byte("%PDF-1.4\n环评批复\n%%EOF\n")
	sha, sm := hashesOf(data)
	n := int64(len(data))
	boom := errors.New("磁盘读取失败")
	for _, tt := range []struct {
		what    string
		r       io.Reader
		size    int64
		wantMsg string
		wantErr error
	}{
		{"shorter", bytes.NewReader(data[:n-3]), n, fmt.Sprintf("只有 %d 字节，与上传时记录的 %d 字节不符", n-3, n), nil},
		{"longer", bytes.NewReader(append(bytes.Clone(data), 'x')), n, fmt.Sprintf("比记录的 %d 字节长", n), nil},
		{"read error", io.MultiReader(bytes.NewReader(data[:5]), iotest.ErrReader(boom)), n, "", boom},
	} {
		t.Run(tt.what, func(t *testing.T) {
			var buf bytes.Buffer
			w := hashedWriter(t, &buf)
			_, err := w.AddFileHashed("evidence/a.pdf", tt.r, tt.size, sha, sm)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			} else if e, ok := err.(*biopilot.Error); !ok || e.Code != biopilot.EINVALID || e.Field != "evidence/a.pdf" || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("err = %v, want EINVALID %q", err, tt.wantMsg)
			}
			if _, err2 := w.AddFile("b.pdf", bytes.NewReader(data)); err2 != err {
				t.Errorf("AddFile after: %v, want the package abandoned with %v", err2, err)
			}
			if err2 := w.Close(Sealer{Key: k, Meta: SignMeta{SignedAt: t0}}); err2 != err {
				t.Errorf("Close after: %v, want %v", err2, err)
			}
		})
	}

	var buf bytes.Buffer
	w := hashedWriter(t, &buf)
	for _, tt := range []struct {
		sha, sm3 string
		size     int64
		field    string
	}{
		{strings.ToUpper(sha), sm, n, "sha256"},
		{sha[:63], sm, n, "sha256"},
		{sha, "", n, "sm3"},
		{sha, sm + "0", n, "sm3"},
		{sha, sm, -1, "size"},
	} {
		_, err := w.AddFileHashed("evidence/a.pdf", bytes.NewReader(data), tt.size, tt.sha, tt.sm3)
		if e, ok := err.(*biopilot.Error); !ok || e.Code != biopilot.EINVALID || e.Field != tt.field {
			t.Errorf("%q %q %d: err = %v, want EINVALID on %s", tt.sha, tt.sm3, tt.size, err, tt.field)
		}
	}
	// the usual refusals of a path
	for _, name := range []string{ManifestName, "../a.pdf", "snapshot.json"} {
		if _, err := w.AddFileHashed(name, bytes.NewReader(data), n, sha, sm); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := w.AddFileHashed("evidence/a.pdf", bytes.NewReader(data), n, sha, sm); err != nil {
		t.Fatalf("after refusals: %v", err)
	}
	sealPackage(t, w, k)
	if _, err := verifyBytes(buf.Bytes()); err != nil {
		t.Fatalf("VerifyPackage: %v", err)
	}
}
