// Package files stores evidence files (佐证材料): streamed to storage with a size
// limit, typed by their content and never by their name, and kept under their SHA-256
// content address in a gocloud.dev/blob bucket (a directory, or any S3-compatible
// store), so that several instances share them. It has no HTTP and no SQL in it.
package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
	"gocloud.dev/gcerrors"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
)

// DefaultLimit is the default size limit of one evidence file: 50 MB.
const DefaultLimit int64 = 50 << 20

// copyBuffer is the size of the one buffer through which a file is streamed.
const copyBuffer = 32 << 10

// staleSpool is the age after which a left-over spool file is removed on Open.
const staleSpool = 24 * time.Hour

// Info describes a stored file.
type Info struct {
	SHA256    string `json:"sha256"`    // lower-case hex; the content address
	SM3       string `json:"sm3"`       // lower-case hex, computed in the same pass
	Size      int64  `json:"size"`      // bytes
	MediaType string `json:"mediaType"` // e.g. application/pdf
	Kind      string `json:"kind"`      // one of the Kind constants
	Filename  string `json:"filename"`  // cleaned, for display only
}

// Store keeps files in a blob bucket under their content address.
type Store struct {
	bucket *blob.Bucket
	spool  string // local directory for files being received
}

// Open opens the store at url: file:///absolute/dir (the directory is created), or
// s3://bucket?region=…&endpoint=…&s3ForcePathStyle=true for an S3-compatible store
// (credentials from the usual AWS environment variables or files; for stores other
// than AWS add request_checksum_calculation=when_required, which most of them need).
// Files being received are spooled to dir/.spool, or to the system temporary
// directory for S3. Uploads to S3 hold up to 16 MB of a file in memory at a time (the
// AWS transfer manager's multipart threshold), whatever the file's size.
func Open(ctx context.Context, rawurl string) (*Store, error) {
	u, err := url.Parse(rawurl)
	if err != nil {
		return nil, fmt.Errorf("附件存储地址 %q 无效：%w", rawurl, err)
	}
	switch u.Scheme {
	case "file":
		return openDir(u)
	case "s3":
		b, err := blob.OpenBucket(ctx, rawurl)
		if err != nil {
			return nil, fmt.Errorf("无法打开附件存储 %s：%w", redact(u), err)
		}
		return &Store{bucket: b, spool: os.TempDir()}, nil
	default:
		return nil, fmt.Errorf("附件存储地址 %q 不受支持：应为 file:///绝对路径 或 s3://存储桶", redact(u))
	}
}

func openDir(u *url.URL) (*Store, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("附件存储地址 %q 无效：file 地址不能指定主机，应为 file:///绝对路径", u.String())
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("附件存储地址 %q 无效：file 地址不接受参数", u.String())
	}
	dir := filepath.FromSlash(u.Path)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("附件存储地址 %q 无效：目录必须是绝对路径", u.String())
	}
	spool := filepath.Join(dir, ".spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return nil, fmt.Errorf("无法创建附件目录 %s：%w", dir, err)
	}
	removeStale(spool, time.Now().Add(-staleSpool))
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir:   true,
		DirFileMode: 0o750,
		// Temporary files next to their final place: a rename out of os.TempDir fails
		// when the data directory is on another file system.
		NoTempDir: true,
		// The media type and name live in the database; no sidecar files.
		Metadata: fileblob.MetadataDontWrite,
	})
	if err != nil {
		return nil, fmt.Errorf("无法打开附件目录 %s：%w", dir, err)
	}
	return &Store{bucket: b, spool: spool}, nil
}

// removeStale removes spool files older than before, left behind by a process that died.
func removeStale(dir string, before time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(before) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// redact drops the query and credentials of a URL for messages.
func redact(u *url.URL) string {
	c := *u
	c.User, c.RawQuery = nil, ""
	return c.String()
}

// DirURL returns the file:// URL of the directory dir (made absolute).
func DirURL(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// DefaultURL returns the default store of a data directory: its "files" subdirectory.
func DefaultURL(dataDir string) string {
	return DirURL(filepath.Join(dataDir, "files"))
}

// Close closes the store.
func (s *Store) Close() error {
	return s.bucket.Close()
}

// Key returns the object key of a content address, sha256/ab/cd/abcd…; sum must
// satisfy ValidSHA256.
func Key(sum string) string {
	return "sha256/" + sum[0:2] + "/" + sum[2:4] + "/" + sum
}

// ValidSHA256 reports whether s is a SHA-256 in lower-case hex.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Put stores the content of r, read once in fixed-size pieces however large it is, and
// hashes it on the way with SHA-256 (its content address) and SM3, both returned in
// the Info: recorded with the attachment, they let a package copy the file without
// hashing it again (seal.PackageWriter.AddFileHashed). It
// refuses more than limit bytes (≤ 0: DefaultLimit) with ETOOLARGE and content that is
// not PDF, JPEG, PNG, OFD, XLSX or DOCX with EINVALID, both naming the file. The same
// content is stored once, whatever its names. filename is only cleaned and returned.
func (s *Store) Put(ctx context.Context, r io.Reader, filename string, limit int64) (*Info, error) {
	name := CleanFilename(filename)
	if limit <= 0 {
		limit = DefaultLimit
	}
	head := make([]byte, HeadSize)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, readError(name, err)
	}
	head = head[:n]
	if n == 0 {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Message: fmt.Sprintf("文件「%s」是空文件，不能作为佐证材料上传", name)}
	}
	if int64(n) > limit {
		return nil, tooLarge(name, limit)
	}
	// Refuse what the first bytes already tell, before receiving the rest.
	kind, err := sniff(head)
	if err != nil {
		return nil, refusal(name, err)
	}

	f, err := os.CreateTemp(s.spool, "put-*")
	if err != nil {
		return nil, fmt.Errorf("files: spool: %w", err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	h, hs := sha256.New(), sm3.New()
	w := io.MultiWriter(f, h, hs)
	if _, err := w.Write(head); err != nil {
		return nil, fmt.Errorf("files: spool: %w", err)
	}
	size := int64(n)
	if n == HeadSize {
		rest := &ctxReader{ctx: ctx, r: io.LimitReader(r, limit-size+1)}
		m, err := io.CopyBuffer(w, rest, make([]byte, copyBuffer))
		size += m
		if err != nil {
			if rest.readErr {
				return nil, readError(name, err)
			}
			return nil, fmt.Errorf("files: spool: %w", err)
		}
		if size > limit {
			return nil, tooLarge(name, limit)
		}
	}
	if kind == kindZIP {
		if kind, err = inspectZip(f, size); err != nil {
			return nil, refusal(name, err)
		}
	}
	info := &Info{
		SHA256:    hex.EncodeToString(h.Sum(nil)),
		SM3:       hex.EncodeToString(hs.Sum(nil)),
		Size:      size,
		MediaType: MediaType(kind),
		Kind:      kind,
		Filename:  name,
	}
	key := Key(info.SHA256)
	if a, err := s.bucket.Attributes(ctx, key); err == nil && a.Size == size {
		return info, nil // the same content is already stored
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("files: spool: %w", err)
	}
	err = s.bucket.Upload(ctx, key, f, &blob.WriterOptions{
		ContentType:    info.MediaType,
		BufferSize:     5 << 20, // S3's smallest part
		MaxConcurrency: 2,
	})
	if err != nil {
		return nil, fmt.Errorf("files: store %s: %w", key, err)
	}
	return info, nil
}

// ctxReader stops reading when ctx is done and remembers whether an error was the
// reader's (the client's) rather than the writer's.
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	readErr bool
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.readErr = true
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.readErr = true
	}
	return n, err
}

// readError wraps an error reading the upload; the cause stays in the chain (a
// cancelled context, an http.MaxBytesError).
func readError(name string, err error) error {
	return fmt.Errorf("files: read %q: %w", name, err)
}

func tooLarge(name string, limit int64) error {
	return &biopilot.Error{
		Code:    biopilot.ETOOLARGE,
		Message: fmt.Sprintf("文件「%s」超过 %s 的大小限制", name, formatSize(limit)),
	}
}

// refusal turns a *RefusedError into the EINVALID error naming the file.
func refusal(name string, err error) error {
	var r *RefusedError
	if !errors.As(err, &r) {
		return err
	}
	var what string
	switch {
	case r.What == "":
		what = "是无法识别的文件类型"
	case r.What[0] < utf8.RuneSelf:
		what = "的内容是 " + r.What // a space between Chinese and Latin words
	default:
		what = "的内容是" + r.What
	}
	return &biopilot.Error{
		Code:    biopilot.EINVALID,
		Message: fmt.Sprintf("文件「%s」%s，不能作为佐证材料上传；请上传 %s", name, what, Accepted),
	}
}

// formatSize writes a size limit the way people say it: 50 MB, 512 KB, 1000 字节.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d 字节", n)
}

// Open returns the content of the stored file sum. The reader also implements
// io.Seeker (for range requests); the caller closes it.
func (s *Store) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	if err := checkSum(sum); err != nil {
		return nil, err
	}
	r, err := s.bucket.NewReader(ctx, Key(sum), nil)
	if err != nil {
		return nil, s.blobError(sum, err)
	}
	return r, nil
}

// Exists reports whether the file sum is stored.
func (s *Store) Exists(ctx context.Context, sum string) (bool, error) {
	if err := checkSum(sum); err != nil {
		return false, err
	}
	ok, err := s.bucket.Exists(ctx, Key(sum))
	if err != nil {
		return false, fmt.Errorf("files: exists %s: %w", sum, err)
	}
	return ok, nil
}

// Size returns the size in bytes of the stored file sum.
func (s *Store) Size(ctx context.Context, sum string) (int64, error) {
	if err := checkSum(sum); err != nil {
		return 0, err
	}
	a, err := s.bucket.Attributes(ctx, Key(sum))
	if err != nil {
		return 0, s.blobError(sum, err)
	}
	return a.Size, nil
}

// Delete removes the stored file sum (for tests, and for removing files no
// application refers to). A file that is not stored is ENOTFOUND.
func (s *Store) Delete(ctx context.Context, sum string) error {
	if err := checkSum(sum); err != nil {
		return err
	}
	if err := s.bucket.Delete(ctx, Key(sum)); err != nil {
		return s.blobError(sum, err)
	}
	return nil
}

// Walk calls fn with the content address, size and modification time of every stored
// file, in no particular order, until fn returns an error. A sweep of unreferenced
// files should spare recent ones: they may belong to an upload whose reference is not
// yet committed.
func (s *Store) Walk(ctx context.Context, fn func(sum string, size int64, modTime time.Time) error) error {
	it := s.bucket.List(&blob.ListOptions{Prefix: "sha256/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("files: list: %w", err)
		}
		sum := obj.Key[strings.LastIndexByte(obj.Key, '/')+1:]
		if obj.IsDir || !ValidSHA256(sum) || Key(sum) != obj.Key {
			continue // a temporary file of an upload in progress
		}
		if err := fn(sum, obj.Size, obj.ModTime); err != nil {
			return err
		}
	}
}

func checkSum(sum string) error {
	if !ValidSHA256(sum) {
		return &biopilot.Error{Code: biopilot.EINVALID, Message: "附件编号格式不正确", Field: "sha256"}
	}
	return nil
}

func (s *Store) blobError(sum string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return &biopilot.Error{Code: biopilot.ENOTFOUND, Message: "附件不存在或已被删除"}
	}
	return fmt.Errorf("files: %s: %w", sum, err)
}
