package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
)

// hashBuffer is the buffer through which a stored file is read to hash it.
const hashBuffer = 1 << 20

// SM3 returns the SM3 (lower-case hex) of the stored file sum. It reads the file once,
// checking on the way that it still hashes to sum: a file whose content changed in
// storage is EINVALID naming it, never a wrong hash to record; a missing one is
// ENOTFOUND.
func (s *Store) SM3(ctx context.Context, sum string) (string, error) {
	r, err := s.Open(ctx, sum)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h, hs := sha256.New(), sm3.New()
	if _, err := io.CopyBuffer(io.MultiWriter(h, hs), &ctxReader{ctx: ctx, r: r}, make([]byte, hashBuffer)); err != nil {
		return "", fmt.Errorf("files: read %s: %w", sum, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return "", &biopilot.Error{Code: biopilot.EINVALID, Field: "sha256",
			Message: fmt.Sprintf("附件 %s 的存储内容已损坏：其 SHA-256 为 %s", sum, got)}
	}
	return hex.EncodeToString(hs.Sum(nil)), nil
}

// SM3Recorder is what BackfillSM3 needs of the database; *store.DB has it.
type SM3Recorder interface {
	// AttachmentHashesWithoutSM3 returns, in ascending order, up to limit distinct
	// SHA-256 greater than after of the attachments whose SM3 is not recorded.
	AttachmentHashesWithoutSM3(ctx context.Context, after string, limit int) ([]string, error)
	// SetAttachmentSM3 records sm3 on every attachment of the content sha256 that
	// has none, and returns how many it updated.
	SetAttachmentSM3(ctx context.Context, sha256, sm3 string) (int64, error)
}

// backfillBatch is how many content addresses BackfillSM3 asks for at a time.
const backfillBatch = 100

// BackfillSM3 computes and records the SM3 of every stored file whose attachments
// have none (uploaded before Put computed it), so that packages copy them without
// hashing. It goes through them once, in order, until none is left or ctx is done,
// and returns how many files it recorded. A file that is missing or whose content no
// longer hashes to its address is skipped (its attachments keep no SM3, and a package
// hashes them as it copies them); the skipped ones are reported together in the error.
func (s *Store) BackfillSM3(ctx context.Context, db SM3Recorder) (int, error) {
	var (
		done  int
		after string
		bad   []error
	)
	for {
		sums, err := db.AttachmentHashesWithoutSM3(ctx, after, backfillBatch)
		if err != nil {
			return done, err
		}
		for _, sum := range sums {
			after = sum
			h, err := s.SM3(ctx, sum)
			if err != nil {
				if ctx.Err() != nil {
					return done, ctx.Err()
				}
				bad = append(bad, err)
				continue
			}
			if _, err := db.SetAttachmentSM3(ctx, sum, h); err != nil {
				return done, err
			}
			done++
		}
		if len(sums) < backfillBatch {
			return done, errors.Join(bad...)
		}
	}
}
