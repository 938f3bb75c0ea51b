package export

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
	"biopilot/seal"
)

// recordHashes gives every evidence file of the fixture its SM3 and size as recorded
// at upload (files.Info.SM3, store.Attachment.SM3).
func recordHashes(f *fixture) {
	for i, e := range f.app.Evidence {
		data := f.blobs[e.SHA256]
		h := sm3.Sum(data)
		f.app.Evidence[i].SM3, f.app.Evidence[i].Size = hex.EncodeToString(h[:]), int64(len(data))
	}
}

// Evidence with recorded hashes is copied and listed with them; the package verifies.
func TestPackageRecordedHashes(t *testing.T) {
	f := newFixture(t, 12, "440600")
	recordHashes(f)
	in := f.input(t)
	var opened int
	in.Open = func(ctx context.Context, sum string) (io.ReadCloser, error) {
		opened++
		return f.blobs.open(ctx, sum)
	}
	pkg := buildApp(t, in)
	rep, err := verify(pkg)
	if err != nil {
		t.Fatalf("VerifyPackage: %v", err)
	}
	if opened != 2 {
		t.Errorf("opened %d evidence files, want 2", opened)
	}
	byPath := map[string]seal.ManifestFile{}
	for _, mf := range rep.Manifest.Files {
		byPath[mf.Path] = mf
	}
	for _, e := range f.app.Evidence[:2] {
		mf := byPath[EvidencePath(Number(f.p, f.app.App), e)]
		if mf.SM3 != e.SM3 || mf.SHA256 != e.SHA256 || mf.Size != e.Size {
			t.Errorf("%s: manifest %+v, want the recorded hashes %+v", e.Filename, mf, e)
		}
	}
}

// The manifest attests the evidence as uploaded: a stored file that changed since
// (same size) is copied, and the package fails verification naming it; one whose
// size changed stops the export. Without recorded hashes, a changed file stops the
// export as before.
func TestPackageRecordedHashesRotted(t *testing.T) {
	f := newFixture(t, 12, "440600")
	recordHashes(f)
	lic := f.app.Evidence[0].SHA256
	orig := f.blobs[lic]
	rotted := bytes.Clone(orig)
	rotted[3] ^= 0x20
	f.blobs[lic] = rotted
	pkg := buildApp(t, f.input(t))
	_, err := verify(pkg)
	var e *biopilot.Error
	if !errors.As(err, &e) || e.Field != f.evidenceLicense || e.Message != fmt.Sprintf("文件 %s 的 SM3 摘要不符", f.evidenceLicense) {
		t.Fatalf("VerifyPackage of a rotted file: %v, want the SM3 of %s refused", err, f.evidenceLicense)
	}

	f.blobs[lic] = orig[:len(orig)-1]
	err = ApplicationPackage(context.Background(), &bytes.Buffer{}, f.input(t))
	if !errors.As(err, &e) || e.Code != biopilot.EINVALID || !strings.Contains(e.Message, "与上传时记录的") || !strings.Contains(err.Error(), "营业执照.pdf") {
		t.Fatalf("export of a truncated file: %v", err)
	}

	// without recorded hashes
	f.blobs[lic] = rotted
	f.app.Evidence[0].SM3 = ""
	err = ApplicationPackage(context.Background(), &bytes.Buffer{}, f.input(t))
	if err == nil || !strings.Contains(err.Error(), "stored content has SHA-256") {
		t.Fatalf("export of a rotted file without recorded hashes: %v", err)
	}
}
