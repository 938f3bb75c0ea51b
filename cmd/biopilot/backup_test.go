package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"biopilot"
	"biopilot/files"
	"biopilot/seal"
	"biopilot/store"
)

// testPNG returns a small PNG of one colour: a distinct evidence file per n.
func testPNG(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 30), uint8(y * 30), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// liveSite is a data directory in use: its database open as the server holds it,
// applications with attachments in the evidence store, audit records, an
// organisation's seal under the data directory's master key.
type liveSite struct {
	dir  string
	db   *store.DB
	apps []*biopilot.Application
	user *biopilot.User
	org  *biopilot.Organisation
}

func newLiveSite(t *testing.T) *liveSite {
	t.Helper()
	ctx := context.Background()
	s := &liveSite{dir: t.TempDir()}
	var err error
	s.db, err = store.Open(ctx, "sqlite:"+filepath.Join(s.dir, "biopilot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.Close() })
	if err := s.db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.org = &biopilot.Organisation{Name: "广东示例酶工程有限公司", USCC: "91440101MA5D000001", CityCode: "440100"}
	noErr(t, s.db.CreateOrganisation(ctx, s.org))
	s.user = &biopilot.User{Username: "chen", DisplayName: "陈立新", Role: biopilot.RoleApplicant, OrgID: s.org.ID, PasswordHash: "x"}
	noErr(t, s.db.CreateUser(ctx, s.user))

	c := &config{DataDir: s.dir}
	mk, err := c.masterKey() // creates data-dir/master.key
	noErr(t, err)
	_, err = s.db.EnsureOrganisationKey(ctx, s.org.ID, mk)
	noErr(t, err)

	fstore, err := files.Open(ctx, files.DefaultURL(s.dir))
	noErr(t, err)
	defer fstore.Close()
	for i := 0; i < 3; i++ {
		a := &biopilot.Application{ProgramID: "gd-2025-biomfg-pilot", OrgID: s.org.ID, CreatedBy: s.user.ID,
			Document: json.RawMessage(fmt.Sprintf(`{"platform":{"name":"平台%d"}}`, i)), PlatformName: fmt.Sprintf("平台%d", i)}
		noErr(t, s.db.CreateApplication(ctx, a))
		s.apps = append(s.apps, a)
		for j := 0; j < 2; j++ {
			info, err := fstore.Put(ctx, bytes.NewReader(testPNG(t, i*2+j)), fmt.Sprintf("证明%d.png", j), 0)
			noErr(t, err)
			noErr(t, s.db.AddAttachment(ctx, &store.Attachment{ApplicationID: a.ID, Category: "site", SHA256: info.SHA256,
				Filename: info.Filename, Size: info.Size, Kind: info.Kind, MediaType: info.MediaType, UploadedBy: s.user.ID}))
		}
	}
	for i := 0; i < 5; i++ {
		noErr(t, s.db.AppendAudit(ctx, &seal.ChainRecord{Actor: "user:1 陈立新", Role: "applicant", Object: "application:1",
			Action: "download", Result: "ok"}))
	}
	return s
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// storeHashes returns the SHA-256 of the content of every file in a data
// directory's evidence store, read through the files package.
func storeHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	ctx := context.Background()
	fstore, err := files.Open(ctx, files.DefaultURL(dir))
	noErr(t, err)
	defer fstore.Close()
	got := map[string]string{}
	noErr(t, fstore.Walk(ctx, func(sum string, _ int64, _ time.Time) error {
		r, err := fstore.Open(ctx, sum)
		if err != nil {
			return err
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			return err
		}
		got[sum] = hex.EncodeToString(h.Sum(nil))
		return nil
	}))
	return got
}

func TestBackupRestoreLive(t *testing.T) {
	ctx := context.Background()
	site := newLiveSite(t)

	// A writer saves documents and appends audit records all through the backup.
	var saves atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		app := site.apps[0]
		version := app.Version
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			got, err := site.db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: app.ID, BaseVersion: version,
				Document: json.RawMessage(fmt.Sprintf(`{"platform":{"name":"平台0 第%d稿"}}`, i)), UserID: site.user.ID})
			if err != nil {
				t.Error(err)
				return
			}
			version = got.Version
			if err := site.db.AppendAudit(ctx, &seal.ChainRecord{Actor: "user:1 陈立新", Role: "applicant",
				Object: fmt.Sprintf("application:%d", app.ID), Action: "save", Result: "ok"}); err != nil {
				t.Error(err)
				return
			}
			saves.Add(1)
		}
	}()
	for saves.Load() < 5 {
		time.Sleep(time.Millisecond)
	}
	before := saves.Load()
	out := filepath.Join(t.TempDir(), "backup")
	code, stdout, stderr := runCmd(t, "backup", "--data-dir", site.dir, out)
	for saves.Load() < before+5 {
		time.Sleep(time.Millisecond) // the writer went on after the backup
	}
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("backup during saves %d…%d:\n%s", before, saves.Load(), stdout)
	if !strings.Contains(stdout, "备份完成") || !strings.Contains(stdout, "佐证材料：6 个文件") {
		t.Fatalf("backup said:\n%s", stdout)
	}
	var m backupManifest
	data, err := os.ReadFile(filepath.Join(out, "backup.json"))
	noErr(t, err)
	noErr(t, json.Unmarshal(data, &m))
	if m.Format != backupFormat || m.Files.Count != 6 || m.MasterKey != "master.key" || len(m.Missing) != 0 ||
		m.Database.Counts["applications"] != 3 || m.Database.Counts["attachments"] != 6 {
		t.Fatalf("manifest %s", data)
	}

	// Restore into a new data directory, flags after the backup directory.
	restored := filepath.Join(t.TempDir(), "restored")
	code, stdout, stderr = runCmd(t, "restore", out, "--data-dir", restored)
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("restore:\n%s", stdout)
	if !strings.Contains(stdout, "恢复完成") || !strings.Contains(stdout, "哈希链完整") {
		t.Fatalf("restore said:\n%s", stdout)
	}
	rdb, err := store.Open(ctx, "sqlite:"+filepath.Join(restored, "biopilot.db"))
	noErr(t, err)
	defer rdb.Close()

	// Every document is one that was saved, at the version it was saved as; the
	// snapshot holds at least what was saved before the backup began.
	for _, a := range site.apps {
		got, err := rdb.Application(ctx, a.ID)
		noErr(t, err)
		live, err := site.db.ApplicationVersionDocument(ctx, a.ID, got.Version)
		noErr(t, err)
		if string(got.Document) != string(live.Document) {
			t.Errorf("application %d v%d: restored %s, saved %s", a.ID, got.Version, got.Document, live.Document)
		}
		versions, err := rdb.ApplicationVersions(ctx, a.ID)
		noErr(t, err)
		for _, v := range versions {
			rv, err := rdb.ApplicationVersionDocument(ctx, a.ID, v.Version)
			noErr(t, err)
			lv, err := site.db.ApplicationVersionDocument(ctx, a.ID, v.Version)
			noErr(t, err)
			if string(rv.Document) != string(lv.Document) {
				t.Errorf("application %d version %d differs", a.ID, v.Version)
			}
		}
		if a.ID == site.apps[0].ID && got.Version < before+1 {
			t.Errorf("restored version %d, but %d saves were done before the backup", got.Version, before)
		}
		ra, err := rdb.Attachments(ctx, a.ID)
		noErr(t, err)
		la, err := site.db.Attachments(ctx, a.ID)
		noErr(t, err)
		if len(ra) != 2 || len(ra) != len(la) || *ra[0] != *la[0] || *ra[1] != *la[1] {
			t.Errorf("attachments of %d: %v, want %v", a.ID, ra, la)
		}
	}
	// The audit trail is a consistent prefix of the live one.
	n, err := rdb.VerifyAudit(ctx)
	noErr(t, err)
	if n < 5+before || n != m.Database.Counts["audit_log"] {
		t.Errorf("restored audit trail has %d records (manifest %d, %d saves before)", n, m.Database.Counts["audit_log"], before)
	}
	// Every evidence file, byte for byte.
	liveFiles, restoredFiles := storeHashes(t, site.dir), storeHashes(t, restored)
	if len(liveFiles) != 6 || len(restoredFiles) != 6 {
		t.Fatalf("%d live files, %d restored", len(liveFiles), len(restoredFiles))
	}
	for sum := range liveFiles {
		if restoredFiles[sum] != sum {
			t.Errorf("file %s restored as %q", sum, restoredFiles[sum])
		}
	}
	// The seals still open with the restored master key.
	mk, err := (&config{DataDir: restored}).masterKey()
	noErr(t, err)
	key, err := rdb.OrganisationSigningKey(ctx, site.org.ID, mk)
	noErr(t, err)
	org, err := site.db.Organisation(ctx, site.org.ID)
	noErr(t, err)
	if key.PublicPEM() != org.SignPublicKey {
		t.Error("the restored seal is not the organisation's")
	}
	if fi, err := os.Stat(filepath.Join(restored, "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("master.key: %v, %v", fi, err)
	}

	// Never into a directory that is not empty.
	code, _, stderr = runCmd(t, "restore", out, "--data-dir", restored)
	if code != 1 || !strings.Contains(stderr, "不是空的") {
		t.Errorf("restore over data: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCmd(t, "backup", "--data-dir", site.dir, out)
	if code != 1 || !strings.Contains(stderr, "不是空的") {
		t.Errorf("backup over a backup: exit %d, %s", code, stderr)
	}
}

func TestRestoreRefusesDamagedBackup(t *testing.T) {
	site := newLiveSite(t)
	out := filepath.Join(t.TempDir(), "backup")
	if code, stdout, stderr := runCmd(t, "backup", "--data-dir", site.dir, out); code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var m backupManifest
	data, err := os.ReadFile(filepath.Join(out, "backup.json"))
	noErr(t, err)
	noErr(t, json.Unmarshal(data, &m))

	// One evidence file with one byte changed: refused, naming the file, and the
	// data directory left empty for a retry.
	victim := m.Files.List[3].SHA256
	path := filepath.Join(out, "files", filepath.FromSlash(files.Key(victim)))
	content, err := os.ReadFile(path)
	noErr(t, err)
	content[len(content)/2] ^= 0xff
	noErr(t, os.WriteFile(path, content, 0o600))
	restored := filepath.Join(t.TempDir(), "restored")
	code, _, stderr := runCmd(t, "restore", "--data-dir", restored, out)
	if code != 1 || !strings.Contains(stderr, victim) || !strings.Contains(stderr, "备份已损坏") {
		t.Fatalf("damaged file: exit %d, %s", code, stderr)
	}
	if entries, err := os.ReadDir(restored); err != nil || len(entries) != 0 {
		t.Fatalf("after a failed restore the data directory holds %v (%v)", entries, err)
	}
	content[len(content)/2] ^= 0xff
	noErr(t, os.WriteFile(path, content, 0o600))

	// The database with one byte changed.
	dbFile := filepath.Join(out, "biopilot.db")
	db, err := os.ReadFile(dbFile)
	noErr(t, err)
	db[len(db)-100] ^= 0x01
	noErr(t, os.WriteFile(dbFile, db, 0o600))
	code, _, stderr = runCmd(t, "restore", "--data-dir", restored, out)
	if code != 1 || !strings.Contains(stderr, "数据库与清单不符") {
		t.Fatalf("damaged database: exit %d, %s", code, stderr)
	}

	// No manifest: not a backup.
	noErr(t, os.Remove(filepath.Join(out, "backup.json")))
	code, _, stderr = runCmd(t, "restore", "--data-dir", restored, out)
	if code != 1 || !strings.Contains(stderr, "backup.json") {
		t.Fatalf("no manifest: exit %d, %s", code, stderr)
	}
}

func TestBackupPostgresAndUsage(t *testing.T) {
	pg := "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	for _, cmd := range []string{"backup", "restore"} {
		code, _, stderr := runCmd(t, cmd, "--db", pg, filepath.Join(t.TempDir(), "x"))
		if code != 2 || !strings.Contains(stderr, "pg_dump") {
			t.Errorf("%s on PostgreSQL: exit %d, %s", cmd, code, stderr)
		}
		if code, _, _ := runCmd(t, cmd); code != 2 {
			t.Errorf("%s without a directory: exit %d", cmd, code)
		}
	}
	code, _, stderr := runCmd(t, "backup", "--data-dir", filepath.Join(t.TempDir(), "none"), filepath.Join(t.TempDir(), "x"))
	if code != 1 || !strings.Contains(stderr, "不存在") {
		t.Errorf("backup of nothing: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCmd(t, "restore", "--files", "s3://bucket?region=x", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "file://") {
		t.Errorf("restore to S3: exit %d, %s", code, stderr)
	}
}
