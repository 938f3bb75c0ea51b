package files

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
)

func sm3sum(b []byte) string {
	h := sm3.Sum(b)
	return hex.EncodeToString(h[:])
}

// The SM3 the package computes is the standard one (GB/T 32905-2016, example 1).
func TestSM3Vector(t *testing.T) {
	if got, want := sm3sum([]byte("abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"; got != want {
		t.Fatalf("SM3(abc) = %s, want %s", got, want)
	}
}

func TestStoreSM3(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	data := tinyPDF(t)
	info, err := s.Put(ctx, bytes.NewReader(data), "营业执照.pdf", 0)
	if err != nil {
		t.Fatal(err)
	}
	if info.SM3 != sm3sum(data) {
		t.Fatalf("Put SM3 = %s, want %s", info.SM3, sm3sum(data))
	}
	got, err := s.SM3(ctx, info.SHA256)
	if err != nil || got != info.SM3 {
		t.Fatalf("SM3 = %q, %v; want %s", got, err, info.SM3)
	}
	// A missing file, a malformed address, a file that rotted in storage.
	if _, err := s.SM3(ctx, sum([]byte("nothing"))); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("missing file: %v, want ENOTFOUND", err)
	}
	if _, err := s.SM3(ctx, "ABC"); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("bad address: %v, want EINVALID", err)
	}
	rotted := bytes.Clone(data)
	rotted[len(rotted)/2] ^= 1
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(Key(info.SHA256))), rotted, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.SM3(ctx, info.SHA256)
	if biopilot.ErrorCode(err) != biopilot.EINVALID || !strings.Contains(biopilot.ErrorMessage(err), info.SHA256) {
		t.Errorf("rotted file: %v, want EINVALID naming %s", err, info.SHA256)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.SM3(ctx2, info.SHA256); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// fakeRecorder is the database side of a backfill: attachments by SHA-256 with their
// recorded SM3 ("" when none).
type fakeRecorder struct {
	sm3   map[string]string
	calls int
}

func (f *fakeRecorder) AttachmentHashesWithoutSM3(_ context.Context, after string, limit int) ([]string, error) {
	f.calls++
	var out []string
	for h, s := range f.sm3 {
		if s == "" && h > after {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out[:min(limit, len(out))], nil
}

func (f *fakeRecorder) SetAttachmentSM3(_ context.Context, sha, s string) (int64, error) {
	if f.sm3[sha] != "" {
		return 0, nil
	}
	f.sm3[sha] = s
	return 1, nil
}

func TestBackfillSM3(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	rec := &fakeRecorder{sm3: map[string]string{}}
	var good []*Info
	for _, data := range [][]byte{tinyPDF(t), tinyPNG(t), tinyJPEG(t)} {
		info, err := s.Put(ctx, bytes.NewReader(data), "x", 0)
		if err != nil {
			t.Fatal(err)
		}
		good = append(good, info)
		rec.sm3[info.SHA256] = ""
	}
	// The JPEG rots in storage; many more attachments refer to missing files (more
	// than one batch); one already has its SM3.
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(Key(good[2].SHA256))), []byte("rotted"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 * backfillBatch {
		rec.sm3[sum([]byte{byte(i), byte(i >> 8)})] = ""
	}
	done := sum([]byte("recorded"))
	rec.sm3[done] = strings.Repeat("ab", 32)

	n, err := s.BackfillSM3(ctx, rec)
	if n != 2 {
		t.Errorf("recorded %d files, want 2", n)
	}
	if err == nil || !strings.Contains(err.Error(), good[2].SHA256) || !strings.Contains(err.Error(), "附件不存在") {
		t.Errorf("error = %v, want the rotted and the missing files reported", err)
	}
	for _, info := range good[:2] {
		if rec.sm3[info.SHA256] != info.SM3 {
			t.Errorf("%s: recorded %q, want %s", info.SHA256, rec.sm3[info.SHA256], info.SM3)
		}
	}
	if rec.sm3[good[2].SHA256] != "" || rec.sm3[done] != strings.Repeat("ab", 32) {
		t.Errorf("rotted or already recorded file changed: %q, %q", rec.sm3[good[2].SHA256], rec.sm3[done])
	}
	if rec.calls < 3 {
		t.Errorf("%d queries for %d hashes: batches not followed", rec.calls, len(rec.sm3))
	}
	// Run again: only the bad ones are left, nothing is recorded, and it ends.
	if n, _ := s.BackfillSM3(ctx, rec); n != 0 {
		t.Errorf("second run recorded %d", n)
	}
}
