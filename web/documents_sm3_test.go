package web

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"biopilot/seal"
)

// An upload records the content's SM3 with its SHA-256, and a package of the
// application lists that recorded SM3 (the file is copied, not hashed again); a
// file uploaded before SM3 was recorded is hashed as it is packaged, until the
// backfill records its SM3.
func TestPackageRecordedSM3(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.withFiles()
	png := tinyPNG(t)
	wantStatus(t, f.as("applicantA").upload(t, f.appDraft.ID, "license", map[string][]byte{"执照.png": png}), 201)
	as, err := f.db.Attachments(ctx, f.appDraft.ID)
	if err != nil || len(as) != 1 {
		t.Fatalf("attachments: %v, %v", as, err)
	}
	if h := sm3.Sum(png); as[0].SM3 != hex.EncodeToString(h[:]) {
		t.Fatalf("uploaded attachment's SM3 = %q, want %x", as[0].SM3, h)
	}

	a := docApp(f) // its attachment was stored without an SM3
	pa, err := f.srv.packageApp(ctx, a)
	if err != nil || len(pa.Evidence) != 1 || pa.Evidence[0].SM3 != "" {
		t.Fatalf("before the backfill: %+v, %v", pa.Evidence, err)
	}
	if n, err := f.srv.files.BackfillSM3(ctx, f.db); err != nil || n != 1 {
		t.Fatalf("BackfillSM3: %d, %v; want the one file without SM3", n, err)
	}
	pa, err = f.srv.packageApp(ctx, a)
	if err != nil || len(pa.Evidence) != 1 || len(pa.Evidence[0].SM3) != 64 {
		t.Fatalf("after the backfill: %+v, %v", pa.Evidence, err)
	}
	w := f.as("applicantA").do("GET", idPath("/api/v1/applications/%d/package.zip", a.ID), nil)
	wantStatus(t, w, 200)
	pkg := w.Body.Bytes()
	rep, err := seal.VerifyPackage(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatalf("package does not verify: %v", err)
	}
	var found bool
	for _, mf := range rep.Manifest.Files {
		if strings.Contains(mf.Path, "/evidence/") {
			found = true
			if mf.SM3 != pa.Evidence[0].SM3 || mf.SHA256 != pa.Evidence[0].SHA256 {
				t.Errorf("manifest entry %+v, want the recorded hashes %+v", mf, pa.Evidence[0])
			}
		}
	}
	if !found {
		t.Fatalf("no evidence in the manifest: %+v", rep.Manifest.Files)
	}
}
