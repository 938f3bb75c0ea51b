package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
)

// openTest opens a store in a new temporary directory.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "附件 store")
	s, err := Open(context.Background(), DirURL(dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// storedFiles lists the regular files of the store directory, relative to it, leaving
// out the spool directory, and fails if the spool directory is not empty.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, ".spool") {
			t.Errorf("spool file left behind: %s", rel)
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPutAccepted(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	tests := []struct {
		filename string
		data     []byte
		kind     string
		media    string
	}{
		{"营业执照.pdf", tinyPDF(t), KindPDF, "application/pdf"},
		{"场地照片.png", tinyPNG(t), KindPNG, "image/png"},
		{"健康证.jpg", tinyJPEG(t), KindJPEG, "image/jpeg"},
		{"合同金额汇总表.xlsx", tinyXLSX(t), KindXLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"知识产权保护制度.docx", tinyDOCX(t), KindDOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"环评批复.ofd", tinyOFD(t), KindOFD, "application/ofd"},
		// The name never decides.
		{"x.exe", tinyPDF(t), KindPDF, "application/pdf"},
		{"no name", tinyOFD(t), KindOFD, "application/ofd"},
	}
	for _, tt := range tests {
		t.Run(tt.filename, func(t *testing.T) {
			info, err := s.Put(ctx, bytes.NewReader(tt.data), tt.filename, DefaultLimit)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			want := Info{SHA256: sum(tt.data), SM3: sm3sum(tt.data), Size: int64(len(tt.data)), MediaType: tt.media, Kind: tt.kind, Filename: tt.filename}
			if *info != want {
				t.Errorf("Info = %+v, want %+v", *info, want)
			}
			r, err := s.Open(ctx, info.SHA256)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("read back %d bytes, %v; want the %d bytes put", len(got), err, len(tt.data))
			}
			if size, err := s.Size(ctx, info.SHA256); err != nil || size != int64(len(tt.data)) {
				t.Errorf("Size = %d, %v", size, err)
			}
		})
	}
	// Objects are at their content address only: no name is ever a path.
	for _, f := range storedFiles(t, dir) {
		parts := strings.Split(f, "/")
		if len(parts) != 4 || parts[0] != "sha256" || !ValidSHA256(parts[3]) ||
			parts[1] != parts[3][:2] || parts[2] != parts[3][2:4] {
			t.Errorf("stored file %q is not at a content address", f)
		}
	}
}

func TestPutRefused(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	const accepted = "；请上传 PDF、JPEG、PNG、OFD、XLSX 或 DOCX"
	tests := []struct {
		filename string
		data     []byte
		message  string
	}{
		{"a.pdf", []byte("<!doctype html><html><body>申报书</body></html>"),
			"文件「a.pdf」的内容是 HTML 网页，不能作为佐证材料上传" + accepted},
		{"logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`),
			"文件「logo.png」的内容是 SVG 图形，不能作为佐证材料上传" + accepted},
		{"团队.docx", elf(), "文件「团队.docx」的内容是 Linux 可执行程序，不能作为佐证材料上传" + accepted},
		{"setup.pdf", pe(), "文件「setup.pdf」的内容是 Windows 可执行程序，不能作为佐证材料上传" + accepted},
		{"run.sh", []byte("#!/bin/bash\necho hi\n"), "文件「run.sh」的内容是脚本程序，不能作为佐证材料上传" + accepted},
		{"材料.zip", zipOf(t, "a.pdf", "%PDF-1.4"), "文件「材料.zip」的内容是 ZIP 压缩包，不能作为佐证材料上传" + accepted},
		{"汇总表.xlsx", macroXLSX(t), "文件「汇总表.xlsx」的内容是启用宏的 Excel 工作簿，不能作为佐证材料上传" + accepted},
		{"说明.txt", []byte("这是一段文字"), "文件「说明.txt」是无法识别的文件类型，不能作为佐证材料上传" + accepted},
		{"../../etc/空.pdf", nil, "文件「空.pdf」是空文件，不能作为佐证材料上传"},
	}
	for _, tt := range tests {
		t.Run(tt.filename, func(t *testing.T) {
			info, err := s.Put(ctx, bytes.NewReader(tt.data), tt.filename, DefaultLimit)
			if err == nil {
				t.Fatalf("Put = %+v, want an error", info)
			}
			if code := biopilot.ErrorCode(err); code != biopilot.EINVALID {
				t.Errorf("code = %s, want %s (%v)", code, biopilot.EINVALID, err)
			}
			if msg := biopilot.ErrorMessage(err); msg != tt.message {
				t.Errorf("message\n got %s\nwant %s", msg, tt.message)
			}
		})
	}
	if f := storedFiles(t, dir); len(f) != 0 {
		t.Errorf("refused files were stored: %v", f)
	}
}

// pdfOfSize returns a reader of exactly n bytes that starts as a PDF.
func pdfOfSize(n int64) io.Reader {
	return io.MultiReader(strings.NewReader("%PDF-1.7\n"), io.LimitReader(&pattern{}, n-9))
}

// pattern is an endless reader of varying bytes that allocates nothing.
type pattern struct{ i byte }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = p.i
		p.i = p.i*31 + 7
	}
	return len(b), nil
}

func TestPutLimit(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		size  int64
		limit int64
		ok    bool
		msg   string
	}{
		{"at a small limit", 1000, 1000, true, ""},
		{"over a small limit", 1001, 1000, false, "文件「x.pdf」超过 1000 字节 的大小限制"},
		{"at a limit past the head", 100 << 10, 100 << 10, true, ""},
		{"over a limit past the head", 100<<10 + 1, 100 << 10, false, "文件「x.pdf」超过 100 KB 的大小限制"},
		{"at 1 MB", 1 << 20, 1 << 20, true, ""},
		{"over 1 MB", 1<<20 + 1, 1 << 20, false, "文件「x.pdf」超过 1 MB 的大小限制"},
		{"default limit", 2 << 20, 0, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := s.Put(ctx, pdfOfSize(tt.size), "x.pdf", tt.limit)
			if tt.ok {
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if info.Size != tt.size {
					t.Errorf("Size = %d, want %d", info.Size, tt.size)
				}
				return
			}
			if code := biopilot.ErrorCode(err); code != biopilot.ETOOLARGE {
				t.Fatalf("Put = %v, want %s", err, biopilot.ETOOLARGE)
			}
			if msg := biopilot.ErrorMessage(err); msg != tt.msg {
				t.Errorf("message = %q, want %q", msg, tt.msg)
			}
		})
	}
	if got := len(storedFiles(t, dir)); got != 4 {
		t.Errorf("%d files stored, want the 4 within their limits", got)
	}
	if got := formatSize(DefaultLimit); got != "50 MB" {
		t.Errorf("formatSize(DefaultLimit) = %q", got)
	}
}

func TestPutDedup(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	data := tinyPDF(t)
	a, err := s.Put(ctx, bytes.NewReader(data), "第一份.pdf", DefaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(ctx, bytes.NewReader(data), "第二份.pdf", DefaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 || a.Filename == b.Filename {
		t.Errorf("same content: %+v and %+v", a, b)
	}
	if f := storedFiles(t, dir); len(f) != 1 {
		t.Errorf("stored %v, want one object", f)
	}
	// A damaged object (wrong size) is replaced by the next Put of the content.
	path := filepath.Join(dir, filepath.FromSlash(Key(a.SHA256)))
	if err := os.WriteFile(path, data[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, bytes.NewReader(data), "第三份.pdf", DefaultLimit); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Errorf("damaged object not repaired: %d bytes", len(got))
	}
}

func TestPutConcurrent(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	contents := [][]byte{tinyPDF(t), tinyPNG(t), tinyXLSX(t), tinyOFD(t)}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			data := contents[i%len(contents)]
			info, err := s.Put(ctx, bytes.NewReader(data), fmt.Sprintf("f%d", i), DefaultLimit)
			if err == nil && info.SHA256 != sum(data) {
				err = fmt.Errorf("put %d: sha256 %s", i, info.SHA256)
			}
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if f := storedFiles(t, dir); len(f) != len(contents) {
		t.Errorf("stored %v, want %d objects", f, len(contents))
	}
	for _, data := range contents {
		r, err := s.Open(ctx, sum(data))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("object %s corrupted", sum(data))
		}
	}
}

func TestStoreLookups(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	data := tinyPNG(t)
	info, err := s.Put(ctx, bytes.NewReader(data), "a.png", DefaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, info.SHA256); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	r, err := s.Open(ctx, info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if rs, ok := r.(io.Seeker); !ok {
		t.Error("the reader of Open is not an io.Seeker")
	} else if _, err := rs.Seek(1, io.SeekStart); err != nil {
		t.Error(err)
	} else if b, _ := io.ReadAll(r); !bytes.Equal(b, data[1:]) {
		t.Error("seek and read returned the wrong bytes")
	}
	r.Close()

	var walked []string
	if err := s.Walk(ctx, func(sum string, size int64, mod time.Time) error {
		if size != int64(len(data)) || time.Since(mod) > time.Minute {
			t.Errorf("Walk: %s size %d mod %v", sum, size, mod)
		}
		walked = append(walked, sum)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(walked) != 1 || walked[0] != info.SHA256 {
		t.Errorf("Walk = %v", walked)
	}

	if err := s.Delete(ctx, info.SHA256); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, info.SHA256); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	missing := sum([]byte("never stored"))
	for name, err := range map[string]error{
		"Open":   func() error { _, err := s.Open(ctx, missing); return err }(),
		"Size":   func() error { _, err := s.Size(ctx, missing); return err }(),
		"Delete": s.Delete(ctx, info.SHA256),
	} {
		if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
			t.Errorf("%s of a missing file = %v, want %s", name, err, biopilot.ENOTFOUND)
		}
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.ToUpper(missing), missing[:63] + "g", missing + "0"} {
		if _, err := s.Open(ctx, bad); biopilot.ErrorCode(err) != biopilot.EINVALID {
			t.Errorf("Open(%q) = %v, want %s", bad, err, biopilot.EINVALID)
		}
		if _, err := s.Exists(ctx, bad); biopilot.ErrorCode(err) != biopilot.EINVALID {
			t.Errorf("Exists(%q) = %v, want %s", bad, err, biopilot.EINVALID)
		}
	}
}

// A reader that fails mid-way (a client gone) leaves nothing behind, and the cause
// stays in the error chain.
func TestPutReadError(t *testing.T) {
	s, dir := openTest(t)
	boom := errors.New("connection reset")
	r := io.MultiReader(pdfOfSize(HeadSize+100), &failing{boom})
	_, err := s.Put(context.Background(), r, "x.pdf", DefaultLimit)
	if !errors.Is(err, boom) {
		t.Fatalf("Put = %v, want %v in the chain", err, boom)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, pdfOfSize(1<<20), "x.pdf", DefaultLimit); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context = %v", err)
	}
	if f := storedFiles(t, dir); len(f) != 0 {
		t.Errorf("stored %v", f)
	}
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

func TestOpenURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, bad := range []string{
		"file://relative/dir",
		"file://host/abs",
		"file:///abs/dir?create_dir=1",
		"http://example.com/bucket",
		"/just/a/path",
		"%zz",
	} {
		if s, err := Open(ctx, bad); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
	got := DefaultURL(dir)
	if want := "file://" + filepath.ToSlash(filepath.Join(dir, "files")); got != want {
		t.Errorf("DefaultURL = %q, want %q", got, want)
	}
	s, err := Open(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(filepath.Join(dir, "files")); err != nil || !fi.IsDir() {
		t.Errorf("Open did not create the directory: %v", err)
	}
}

// Spool files older than a day are left-overs of a dead process and removed on Open.
func TestOpenRemovesStaleSpool(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, ".spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(spool, "put-1"), filepath.Join(spool, "put-2")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), DirURL(dir))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale spool file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh spool file removed: %v", err)
	}
}
