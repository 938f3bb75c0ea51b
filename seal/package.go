package seal

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
)

// PackageFormat names the package format in every manifest.
const PackageFormat = "biopilot-package/1"

// ManifestName is the manifest's path in a package; it is always the last entry.
const ManifestName = "manifest.json"

// Package kinds.
const (
	KindApplication    = "application"         // one application
	KindRecommendation = "city_recommendation" // a city's whole recommendation
)

// copyBuffer is the buffer through which AddFileHashed copies: large, so that copying
// from disk takes few system calls.
const copyBuffer = 1 << 20

// Limits of the package format: no ZIP64, so below 4 GiB in all.
const (
	maxPackageBytes = 1<<32 - 1<<26 // room left for the manifest and central directory
	maxPackageFiles = 1<<16 - 3     // with the manifest, below the 0xffff records that need ZIP64
	maxPathBytes    = 512
)

// Manifest describes a package: what it holds, the hash of every file, the signatures
// of the decisions it documents, and the seals over the manifest itself. In the package
// it is written as its canonical encoding (Canonical), without a trailing newline.
type Manifest struct {
	Format       string                `json:"format"`
	Program      ProgramRef            `json:"program"`
	Kind         string                `json:"kind"`
	Title        string                `json:"title"`
	CreatedAt    string                `json:"created_at"`
	Applications []ManifestApplication `json:"applications"`
	// Files lists every entry but the manifest, in the order of the ZIP.
	Files []ManifestFile `json:"files"`
	// Signatures are the seals of the decisions (submission, recommendation, sending),
	// in the order they were made.
	Signatures []ManifestSignature `json:"signatures"`
	// Seals sign the canonical encoding of the manifest without its "seals" member.
	// Each one's Previous is the Digest of the one before; the first one's is "".
	Seals []*Signature `json:"seals,omitempty"`
}

// ProgramRef names the program (call for applications) a package belongs to.
type ProgramRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ManifestApplication is one application in a package.
type ManifestApplication struct {
	ID           int64  `json:"id"`
	Number       string `json:"number"`
	OrgName      string `json:"org_name"`
	PlatformName string `json:"platform_name"`
	CityCode     string `json:"city_code"`
	State        string `json:"state"`
	// SnapshotHash is the hex SM3 of the canonical snapshot (Application.SnapshotHash).
	SnapshotHash string `json:"snapshot_hash"`
	// Snapshot is the path of the canonical snapshot file in the package, if any: its
	// SM3 must equal SnapshotHash.
	Snapshot string `json:"snapshot,omitempty"`
	// Files are the paths of the application's other files (PDFs, evidence).
	Files []string `json:"files,omitempty"`
}

// ManifestFile is one file of a package.
type ManifestFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	SM3    string `json:"sm3"`
}

// ManifestSignature is a decision's signature in a package. Payload, if set, is the
// path of a file whose bytes are the canonical payload: its SM3 must equal PayloadHash.
type ManifestSignature struct {
	Signature
	Payload string `json:"payload,omitempty"`
}

// PackageInfo is what a package is about.
type PackageInfo struct {
	Program ProgramRef
	Kind    string
	Title   string
	// CreatedAt is the export time (from the caller's clock); every ZIP entry carries it.
	CreatedAt    time.Time
	Applications []ManifestApplication
}

// Sealer is a key and the metadata of one seal over a package's manifest. Purpose
// defaults to PurposePackage; Previous is set by Close.
type Sealer struct {
	Key  *Key
	Meta SignMeta
}

// PackageWriter writes a package as a stream: files are copied one by one through a
// fixed buffer, hashed (SM3 and SHA-256) on the way unless their hashes are recorded
// already (AddFileHashed), and the manifest goes last, so memory stays flat whatever
// the size of the files.
type PackageWriter struct {
	cw       *countWriter
	zw       *zip.Writer
	modDate  uint16
	modTime  uint16
	manifest Manifest
	paths    map[string]int
	buf      []byte // for AddFile, which hashes as it copies
	big      []byte // for AddFileHashed, which only copies; allocated on first use
	err      error
	closed   bool
}

// NewPackageWriter starts a package on w. The caller must Close it.
func NewPackageWriter(w io.Writer, info PackageInfo) (*PackageWriter, error) {
	if info.CreatedAt.IsZero() {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "created_at", Message: "材料包的生成时间不能为空"}
	}
	if info.Kind != KindApplication && info.Kind != KindRecommendation {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "kind", Message: fmt.Sprintf("未知的材料包类型 %q", info.Kind)}
	}
	created := info.CreatedAt.In(biopilot.Beijing)
	cw := &countWriter{w: w}
	zw := zip.NewWriter(cw)
	p := &PackageWriter{
		cw: cw, zw: zw,
		paths: map[string]int{},
		buf:   make([]byte, 64<<10),
		manifest: Manifest{
			Format:       PackageFormat,
			Program:      info.Program,
			Kind:         info.Kind,
			Title:        info.Title,
			CreatedAt:    created.Format(time.RFC3339),
			Applications: append([]ManifestApplication{}, info.Applications...),
			Files:        []ManifestFile{},
			Signatures:   []ManifestSignature{},
		},
	}
	p.modDate, p.modTime = dosTime(created)
	return p, nil
}

// AddFile copies r into the package under path, hashing it with SM3 and SHA-256 on
// the way, and returns its manifest entry. Content whose hashes are recorded already
// (evidence, hashed at upload) goes through AddFileHashed instead.
func (p *PackageWriter) AddFile(name string, r io.Reader) (ManifestFile, error) {
	if err := p.check(name); err != nil {
		return ManifestFile{}, err
	}
	fw, err := p.zw.CreateHeader(p.header(name))
	if err != nil {
		return ManifestFile{}, p.fail(err)
	}
	hs, hh := sm3.New(), sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(fw, hs, hh), r, p.buf)
	if err != nil {
		return ManifestFile{}, p.fail(fmt.Errorf("写入文件 %s：%w", name, err))
	}
	return p.record(ManifestFile{Path: name, Size: n, SHA256: hex.EncodeToString(hh.Sum(nil)), SM3: hex.EncodeToString(hs.Sum(nil))})
}

// AddFileHashed copies r, which must hold exactly size bytes, into the package under
// name, and records sha256hex and sm3hex (lower-case hex) as its hashes without
// computing them: the hashes of evidence are computed once, at upload, and a package
// then only copies its bytes (stored, so they pass through CRC-32 alone). The manifest
// thus attests the content as it was uploaded: if the bytes read differ from it (a
// file that changed in storage), VerifyPackage fails naming the file.
//
// Malformed hashes or size are EINVALID and add nothing. If r yields fewer or more
// than size bytes, or fails, the error is EINVALID (or the read error) and the package
// is abandoned: every later call fails.
func (p *PackageWriter) AddFileHashed(name string, r io.Reader, size int64, sha256hex, sm3hex string) (ManifestFile, error) {
	if err := p.check(name); err != nil {
		return ManifestFile{}, err
	}
	switch {
	case !LowerHex256(sha256hex):
		return ManifestFile{}, &biopilot.Error{Code: biopilot.EINVALID, Field: "sha256", Message: fmt.Sprintf("文件 %s 的 SHA-256 摘要 %q 应为 64 位小写十六进制", name, sha256hex)}
	case !LowerHex256(sm3hex):
		return ManifestFile{}, &biopilot.Error{Code: biopilot.EINVALID, Field: "sm3", Message: fmt.Sprintf("文件 %s 的 SM3 摘要 %q 应为 64 位小写十六进制", name, sm3hex)}
	case size < 0:
		return ManifestFile{}, &biopilot.Error{Code: biopilot.EINVALID, Field: "size", Message: fmt.Sprintf("文件 %s 的大小 %d 无效", name, size)}
	case p.cw.n+size > maxPackageBytes:
		return ManifestFile{}, &biopilot.Error{Code: biopilot.ETOOLARGE, Field: name, Message: "材料包超过 4 GB 上限"}
	}
	fw, err := p.zw.CreateHeader(p.header(name))
	if err != nil {
		return ManifestFile{}, p.fail(err)
	}
	if p.big == nil {
		p.big = make([]byte, copyBuffer)
	}
	// Up to one byte more than recorded, to tell a longer file; a LimitReader hides
	// r's WriterTo (an *os.File's would copy through its own small buffer).
	n, err := io.CopyBuffer(fw, io.LimitReader(r, size+1), p.big)
	switch {
	case err != nil:
		return ManifestFile{}, p.fail(fmt.Errorf("写入文件 %s：%w", name, err))
	case n > size:
		return ManifestFile{}, p.fail(&biopilot.Error{Code: biopilot.EINVALID, Field: name,
			Message: fmt.Sprintf("文件 %s 比记录的 %d 字节长，与上传时的内容不符", name, size)})
	case n < size:
		return ManifestFile{}, p.fail(&biopilot.Error{Code: biopilot.EINVALID, Field: name,
			Message: fmt.Sprintf("文件 %s 只有 %d 字节，与上传时记录的 %d 字节不符", name, n, size)})
	}
	return p.record(ManifestFile{Path: name, Size: n, SHA256: sha256hex, SM3: sm3hex})
}

// record lists a file written in the manifest, after checking the package's size.
func (p *PackageWriter) record(f ManifestFile) (ManifestFile, error) {
	if p.cw.n > maxPackageBytes {
		return ManifestFile{}, p.fail(&biopilot.Error{Code: biopilot.ETOOLARGE, Field: f.Path, Message: "材料包超过 4 GB 上限"})
	}
	p.paths[f.Path] = len(p.manifest.Files)
	p.manifest.Files = append(p.manifest.Files, f)
	return f, nil
}

// LowerHex256 reports whether s is a 256-bit hash (SHA-256, SM3) in lower-case hex.
func LowerHex256(s string) bool {
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

// check checks that a file may be added under name.
func (p *PackageWriter) check(name string) error {
	if p.err != nil {
		return p.err
	}
	if p.closed {
		return biopilot.Errorf(biopilot.ECONFLICT, "材料包已写完，不能再添加文件")
	}
	if err := checkPath(name); err != nil {
		return err
	}
	if name == ManifestName {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: name, Message: "文件名 manifest.json 为清单保留"}
	}
	if _, dup := p.paths[name]; dup {
		return &biopilot.Error{Code: biopilot.ECONFLICT, Field: name, Message: fmt.Sprintf("文件 %s 重复", name)}
	}
	if len(p.manifest.Files) >= maxPackageFiles {
		return &biopilot.Error{Code: biopilot.ETOOLARGE, Field: name, Message: "材料包文件数过多"}
	}
	return nil
}

// AddJSON adds the canonical encoding of v as a file; its SM3 is then CanonicalHash(v),
// so it can be the payload of a signature.
func (p *PackageWriter) AddJSON(name string, v any) (ManifestFile, error) {
	b, err := Canonical(v)
	if err != nil {
		return ManifestFile{}, err
	}
	return p.AddFile(name, bytes.NewReader(b))
}

// AddApplication lists an application in the manifest.
func (p *PackageWriter) AddApplication(a ManifestApplication) {
	p.manifest.Applications = append(p.manifest.Applications, a)
}

// AddSignature records a decision's signature, with the path of its payload file in
// the package ("" if the payload is not included). The signature is verified first.
func (p *PackageWriter) AddSignature(sig *Signature, payload string) error {
	if payload != "" {
		i, ok := p.paths[payload]
		if !ok {
			return &biopilot.Error{Code: biopilot.EINVALID, Field: payload, Message: fmt.Sprintf("%s所签内容文件 %s 尚未加入材料包", sig.Label(), payload)}
		}
		if err := VerifyHash(sig, p.manifest.Files[i].SM3); err != nil {
			return err
		}
	} else if err := VerifySignature(sig); err != nil {
		return err
	}
	p.manifest.Signatures = append(p.manifest.Signatures, ManifestSignature{Signature: *sig, Payload: payload})
	return nil
}

// Manifest returns the manifest as it stands (complete after Close).
func (p *PackageWriter) Manifest() *Manifest { return &p.manifest }

// Close seals the manifest with every sealer, in order (at least one), writes it as the
// last entry and finishes the ZIP. It does not close the underlying writer.
func (p *PackageWriter) Close(sealers ...Sealer) error {
	if p.err != nil {
		return p.err
	}
	if p.closed {
		return biopilot.Errorf(biopilot.ECONFLICT, "材料包已写完")
	}
	if len(sealers) == 0 {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "seals", Message: "材料包至少需要一个签章"}
	}
	p.closed = true
	p.manifest.Seals = nil
	h, err := CanonicalHash(p.manifest) // without "seals", as omitempty leaves it out
	if err != nil {
		return p.fail(err)
	}
	p.manifest.Seals = []*Signature{}
	var prev *Signature
	for _, s := range sealers {
		meta := s.Meta
		if meta.Purpose == "" {
			meta.Purpose = PurposePackage
		}
		meta.Previous = prev
		sig, err := SignHash(s.Key, h, meta)
		if err != nil {
			return p.fail(err)
		}
		p.manifest.Seals = append(p.manifest.Seals, sig)
		prev = sig
	}
	b, err := Canonical(p.manifest)
	if err != nil {
		return p.fail(err)
	}
	fw, err := p.zw.CreateHeader(p.header(ManifestName))
	if err != nil {
		return p.fail(err)
	}
	if _, err := fw.Write(b); err != nil {
		return p.fail(err)
	}
	if err := p.zw.Close(); err != nil {
		return p.fail(err)
	}
	if p.cw.n >= 1<<32-1 {
		return p.fail(&biopilot.Error{Code: biopilot.ETOOLARGE, Message: "材料包超过 4 GB 上限"})
	}
	return nil
}

func (p *PackageWriter) fail(err error) error {
	if p.err == nil {
		p.err = err
	}
	return err
}

// header is the ZIP header of every entry. The package profile is fixed, and
// VerifyPackage checks it byte for byte: entries are stored, not compressed (evidence
// is mostly compressed already, and stored bytes are exactly the hashed bytes, so no
// byte of the file escapes the hashes), no extra fields, no comments, the MS-DOS time
// of the package's creation, data descriptors after the data.
func (p *PackageWriter) header(name string) *zip.FileHeader {
	return &zip.FileHeader{
		Name:         name,
		Method:       zip.Store,
		ModifiedDate: p.modDate,
		ModifiedTime: p.modTime,
	}
}

// dosTime encodes t (to the even second) as MS-DOS date and time.
func dosTime(t time.Time) (date, tm uint16) {
	y := t.Year()
	if y < 1980 {
		y = 1980
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (y-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// checkPath checks a file's path in a package: relative, slash-separated, no "." or
// ".." segments, no empty segments, valid UTF-8 without control characters, no
// backslash or colon.
func checkPath(name string) error {
	bad := func(why string) error {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "path", Message: fmt.Sprintf("材料包文件名 %q 无效：%s", name, why)}
	}
	if name == "" {
		return bad("不能为空")
	}
	if len(name) > maxPathBytes {
		return bad("过长")
	}
	if !utf8.ValidString(name) {
		return bad("不是有效的 UTF-8")
	}
	if strings.ContainsAny(name, `\:`) {
		return bad("不能含有反斜杠或冒号")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return bad("不能含有控制字符")
		}
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("应为相对路径，不能含有空段、“.”或“..”")
		}
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
