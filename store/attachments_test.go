package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广东示例酶工程有限公司", "440100")
		u := newApplicant(t, db, org, "chen")
		app := newApp(t, db, org, u, "示例平台")
		other := newApp(t, db, org, u, "另一平台")

		lic := &store.Attachment{ApplicationID: app.ID, Category: "license", SHA256: sum("licence"), SM3: sum("licence sm3"),
			Filename: "营业执照.pdf", Size: 1234, Kind: "pdf", MediaType: "application/pdf", UploadedBy: u.ID,
			UploadedAt: t0}
		must(t, db.AddAttachment(ctx, lic))
		if lic.ID == 0 || !lic.UploadedAt.Equal(t0.Truncate(time.Millisecond)) {
			t.Fatalf("added %+v", lic)
		}
		site := &store.Attachment{ApplicationID: app.ID, Category: "site", SHA256: sum("site"),
			Filename: "环评批复.pdf", Size: 99, Kind: "pdf", MediaType: "application/pdf", UploadedBy: u.ID}
		must(t, db.AddAttachment(ctx, site))
		// The same content under another application: two rows, one hash.
		dup := &store.Attachment{ApplicationID: other.ID, Category: "license", SHA256: sum("licence"),
			Filename: "执照副本.pdf", Size: 1234, Kind: "pdf", MediaType: "application/pdf"}
		must(t, db.AddAttachment(ctx, dup))

		got, err := db.Attachment(ctx, lic.ID)
		must(t, err)
		if *got != *lic {
			t.Fatalf("Attachment = %+v\nwant %+v", got, lic)
		}
		list, err := db.Attachments(ctx, app.ID)
		must(t, err)
		if len(list) != 2 || list[0].ID != lic.ID || list[1].ID != site.ID {
			t.Fatalf("Attachments = %v", list)
		}

		// Removal is scoped to the application and soft.
		wantCode(t, db.RemoveAttachment(ctx, other.ID, lic.ID, time.Time{}), biopilot.ENOTFOUND)
		must(t, db.RemoveAttachment(ctx, app.ID, lic.ID, t0.Add(time.Hour)))
		wantCode(t, db.RemoveAttachment(ctx, app.ID, lic.ID, time.Time{}), biopilot.ENOTFOUND)
		list, err = db.Attachments(ctx, app.ID)
		must(t, err)
		if len(list) != 1 || list[0].ID != site.ID {
			t.Fatalf("after removal: %v", list)
		}
		got, err = db.Attachment(ctx, lic.ID)
		must(t, err)
		if !got.RemovedAt.Equal(t0.Add(time.Hour).Truncate(time.Millisecond)) || got.SHA256 != lic.SHA256 {
			t.Fatalf("removed attachment: %+v", got)
		}
		hashes, err := db.ReferencedHashes(ctx)
		must(t, err)
		if len(hashes) != 2 || !hashes[sum("licence")] || !hashes[sum("site")] {
			t.Fatalf("ReferencedHashes = %v", hashes)
		}

		wantCode(t, func() error { _, err := db.Attachment(ctx, 9999); return err }(), biopilot.ENOTFOUND)
		for _, tt := range []struct {
			a     store.Attachment
			code  string
			field string
		}{
			{store.Attachment{ApplicationID: app.ID, SHA256: sum("x")}, biopilot.EINVALID, "category"},
			{store.Attachment{ApplicationID: app.ID, Category: "other", SHA256: "ABC"}, biopilot.EINVALID, "sha256"},
			{store.Attachment{ApplicationID: app.ID, Category: "other", SHA256: sum("x"), Size: -1}, biopilot.EINVALID, "size"},
			{store.Attachment{ApplicationID: app.ID, Category: "other", SHA256: sum("x"), SM3: "ABC"}, biopilot.EINVALID, "sm3"},
			{store.Attachment{ApplicationID: app.ID, Category: "other", SHA256: sum("x"), SM3: strings.ToUpper(sum("y"))}, biopilot.EINVALID, "sm3"},
			{store.Attachment{ApplicationID: app.ID, Category: "other", SHA256: sum("x"), UploadedBy: 9999}, biopilot.EINVALID, "uploaded_by"},
			{store.Attachment{ApplicationID: 9999, Category: "other", SHA256: sum("x")}, biopilot.ENOTFOUND, ""},
		} {
			e := wantCode(t, db.AddAttachment(ctx, &tt.a), tt.code)
			if e.Field != tt.field {
				t.Errorf("%+v: field %q, want %q", tt.a, e.Field, tt.field)
			}
		}
	})
}
