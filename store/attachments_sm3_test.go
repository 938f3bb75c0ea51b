package store_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
	"biopilot/files"
	"biopilot/store"
	"biopilot/store/storetest"
)

// The database's side of recording SM3 for attachments uploaded before it was
// computed at upload: listing their contents in pages, recording once per content.
func TestAttachmentSM3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广东示例酶工程有限公司", "440100")
		u := newApplicant(t, db, org, "chen")
		app := newApp(t, db, org, u, "示例平台")
		other := newApp(t, db, org, u, "另一平台")
		add := func(appID int64, content, sm string) *store.Attachment {
			t.Helper()
			a := &store.Attachment{ApplicationID: appID, Category: "other", SHA256: sum(content), SM3: sm, Size: 1}
			must(t, db.AddAttachment(ctx, a))
			return a
		}
		// five contents without SM3 (one under two applications, one removed), one with
		var want []string
		for i := range 5 {
			add(app.ID, fmt.Sprint("old", i), "")
			want = append(want, sum(fmt.Sprint("old", i)))
		}
		slices.Sort(want)
		dup := add(other.ID, "old0", "")
		must(t, db.RemoveAttachment(ctx, app.ID, add(app.ID, "old1", "").ID, t0))
		recorded := add(app.ID, "new", sum("new sm3"))

		var got []string
		after := ""
		for {
			page, err := db.AttachmentHashesWithoutSM3(ctx, after, 2)
			must(t, err)
			got = append(got, page...)
			if len(page) < 2 {
				break
			}
			after = page[len(page)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages = %v\nwant %v", got, want)
		}
		if page, err := db.AttachmentHashesWithoutSM3(ctx, "", 0); err != nil || len(page) != 0 {
			t.Fatalf("limit 0: %v, %v", page, err)
		}

		// Every row of the content, removed or under another application, gets it once.
		n, err := db.SetAttachmentSM3(ctx, sum("old0"), sum("sm3 of old0"))
		must(t, err)
		if n != 2 {
			t.Fatalf("SetAttachmentSM3 updated %d rows, want 2", n)
		}
		a, err := db.Attachment(ctx, dup.ID)
		must(t, err)
		if a.SM3 != sum("sm3 of old0") {
			t.Fatalf("SM3 = %q", a.SM3)
		}
		if n, err = db.SetAttachmentSM3(ctx, sum("old0"), sum("another")); err != nil || n != 0 {
			t.Fatalf("second SetAttachmentSM3: %d, %v; want nothing overwritten", n, err)
		}
		if n, err = db.SetAttachmentSM3(ctx, sum("old1"), sum("sm3 of old1")); err != nil || n != 2 {
			t.Fatalf("removed attachment: %d rows, %v; want 2", n, err)
		}
		if a, _ := db.Attachment(ctx, recorded.ID); a.SM3 != sum("new sm3") {
			t.Fatalf("recorded SM3 changed: %q", a.SM3)
		}
		left, err := db.AttachmentHashesWithoutSM3(ctx, "", 100)
		must(t, err)
		if len(left) != 3 || slices.Contains(left, sum("old0")) || slices.Contains(left, sum("old1")) {
			t.Fatalf("left without SM3: %v", left)
		}
		for _, tt := range []struct{ sha, sm3, field string }{
			{"ABC", sum("x"), "sha256"},
			{sum("x"), strings.ToUpper(sum("x")), "sm3"},
			{sum("x"), "", "sm3"},
		} {
			_, err := db.SetAttachmentSM3(ctx, tt.sha, tt.sm3)
			if e := wantCode(t, err, biopilot.EINVALID); e.Field != tt.field {
				t.Errorf("%q %q: field %q, want %q", tt.sha, tt.sm3, e.Field, tt.field)
			}
		}
	})
}

// files.Store.BackfillSM3 records the SM3 of stored files through the database.
func TestAttachmentSM3Backfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs, err := files.Open(ctx, files.DirURL(t.TempDir()))
		must(t, err)
		defer fs.Close()
		org := newOrg(t, db, 1, "广东示例酶工程有限公司", "440100")
		u := newApplicant(t, db, org, "chen")
		app := newApp(t, db, org, u, "示例平台")
		pdf := "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
		info, err := fs.Put(ctx, strings.NewReader(pdf), "营业执照.pdf", 0)
		must(t, err)
		// as the upload handler stored it before SM3 was recorded
		a := &store.Attachment{ApplicationID: app.ID, Category: "license", SHA256: info.SHA256, Size: info.Size}
		must(t, db.AddAttachment(ctx, a))
		n, err := fs.BackfillSM3(ctx, db)
		must(t, err)
		h := sm3.Sum([]byte(pdf))
		got, err := db.Attachment(ctx, a.ID)
		must(t, err)
		if n != 1 || got.SM3 != hex.EncodeToString(h[:]) || got.SM3 != info.SM3 {
			t.Fatalf("backfill: %d files, SM3 %q; want 1, %x", n, got.SM3, h)
		}
	})
}
