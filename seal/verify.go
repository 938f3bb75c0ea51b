package seal

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"biopilot"
)

// maxManifestBytes bounds the manifest read into memory.
const maxManifestBytes = 64 << 20

// Report is what VerifyPackage found.
type Report struct {
	// Manifest is the package's manifest (nil if it could not be read).
	Manifest *Manifest
	// Files and Bytes count the files checked and their total size.
	Files int
	Bytes int64
	// Signers lists the seals over the manifest, then the decisions' signatures.
	Signers []Signer
	// Trusted is true when trusted keys were given and every signature used one.
	Trusted bool
}

// Signer is one verified signature of a package.
type Signer struct {
	Label    string // "推荐函签章（佛山市工业和信息化局）"
	Purpose  string
	Signer   string
	Role     string
	Holder   string
	SignedAt string
	KeyID    string
}

// VerifyPackage checks a package offline: the ZIP structure byte for byte, the
// manifest's canonical form and its seals, every file's size, SM3 and SHA-256, that no
// file is missing or extra, every decision signature with its embedded public key and
// its payload, and the chain of previous signatures. If trusted public keys (PEM) are
// given, every signature must use one of them.
//
// It returns an EINVALID *biopilot.Error naming the first thing that does not match
// ("文件 evidence/a.pdf 的 SM3 摘要不符", "推荐函签章（佛山市工业和信息化局）验证失败：…")
// and the report as far as it got. Files are read as streams: memory stays flat.
func VerifyPackage(r io.ReaderAt, size int64, trusted ...string) (*Report, error) {
	rep := &Report{}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return rep, mismatch("zip", "材料包不是有效的 ZIP 文件或已损坏：%v", err)
	}
	n := len(zr.File)
	if n == 0 {
		return rep, mismatch(ManifestName, "材料包中缺少清单 manifest.json")
	}
	// Every entry carries the package's creation time; the manifest says which.
	date, tm := zr.File[n-1].ModifiedDate, zr.File[n-1].ModifiedTime
	if err := checkLayout(r, size, zr.File, date, tm); err != nil {
		return rep, err
	}
	if zr.File[n-1].Name != ManifestName {
		return rep, mismatch(ManifestName, "材料包中缺少清单 manifest.json（它应是最后一个文件）")
	}
	m, raw, err := readManifest(zr.File[n-1])
	if m == nil {
		return rep, err
	}
	rep.Manifest = m
	if err := checkSeals(m, raw, rep); err != nil {
		return rep, err
	}
	if err != nil { // the manifest's ZIP checksum
		return rep, err
	}
	created, _ := time.Parse(time.RFC3339, m.CreatedAt)
	if d, t := dosTime(created.In(biopilot.Beijing)); d != date || t != tm {
		return rep, mismatch("zip", "材料包中文件的时间与清单中的生成时间 %s 不符", m.CreatedAt)
	}

	// Files: the ZIP's entries, in order, are exactly the manifest's.
	files := zr.File[:n-1]
	index := map[string]ManifestFile{}
	for _, f := range m.Files {
		if err := checkPath(f.Path); err != nil || f.Path == ManifestName {
			return rep, mismatch(f.Path, "清单中的文件名 %q 无效", f.Path)
		}
		if _, dup := index[f.Path]; dup {
			return rep, mismatch(f.Path, "清单中的文件 %s 重复", f.Path)
		}
		index[f.Path] = f
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Name] || f.Name == ManifestName {
			return rep, mismatch(f.Name, "材料包中的文件 %s 重复", f.Name)
		}
		seen[f.Name] = true
		if _, ok := index[f.Name]; !ok {
			return rep, mismatch(f.Name, "文件 %s 不在清单中（多余的文件）", f.Name)
		}
	}
	for _, f := range m.Files {
		if !seen[f.Path] {
			return rep, mismatch(f.Path, "清单中的文件 %s 缺失", f.Path)
		}
	}
	for i, f := range files {
		if m.Files[i].Path != f.Name {
			return rep, mismatch(f.Name, "文件 %s 在材料包中的顺序与清单不符", f.Name)
		}
		if err := checkFile(f, m.Files[i]); err != nil {
			return rep, err
		}
		rep.Files++
		rep.Bytes += m.Files[i].Size
	}
	if err := checkApplications(m, index); err != nil {
		return rep, err
	}
	if err := checkSignatures(m, index, rep); err != nil {
		return rep, err
	}
	if len(trusted) > 0 {
		if err := checkTrust(m, trusted); err != nil {
			return rep, err
		}
		rep.Trusted = true
	}
	return rep, nil
}

func mismatch(field, format string, args ...any) error {
	return &biopilot.Error{Code: biopilot.EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// readManifest reads, checks the form of, and decodes the manifest. After a ZIP
// checksum error it returns the manifest and the error.
func readManifest(f *zip.File) (*Manifest, []byte, error) {
	if f.Method != zip.Store {
		return nil, nil, mismatch(ManifestName, "清单 manifest.json 的压缩方式不符")
	}
	if f.UncompressedSize64 > maxManifestBytes {
		return nil, nil, mismatch(ManifestName, "清单 manifest.json 过大")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, mismatch(ManifestName, "无法读取清单 manifest.json：%v", err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxManifestBytes+1))
	if err != nil && !errors.Is(err, zip.ErrChecksum) {
		return nil, nil, mismatch(ManifestName, "清单 manifest.json 已损坏：%v", zipReadError(err))
	}
	// After a checksum error the bytes are all there: check what they say first, so
	// that a changed byte is named for what it changed.
	crcErr := err
	m, err := decodeManifest(raw)
	if err != nil {
		return nil, nil, err
	}
	if crcErr != nil {
		return m, raw, mismatch(ManifestName, "清单 manifest.json 已损坏：%v", zipReadError(crcErr))
	}
	return m, raw, nil
}

// decodeManifest checks that raw is the canonical encoding of a manifest of this
// format and decodes it.
func decodeManifest(raw []byte) (*Manifest, error) {
	canon, err := Canonical(json.RawMessage(raw))
	if err != nil {
		return nil, mismatch(ManifestName, "清单 manifest.json 不是有效的 JSON：%s", biopilot.ErrorMessage(err))
	}
	if !bytes.Equal(canon, raw) {
		return nil, mismatch(ManifestName, "清单 manifest.json 已被改动：它不是规范编码")
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, mismatch(ManifestName, "清单 manifest.json 的内容不符合格式：%v", err)
	}
	if m.Format != PackageFormat {
		return nil, mismatch(ManifestName, "不支持的材料包格式 %q（应为 %s）", m.Format, PackageFormat)
	}
	if _, err := time.Parse(time.RFC3339, m.CreatedAt); err != nil {
		return nil, mismatch(ManifestName, "清单中的生成时间 %q 无效", m.CreatedAt)
	}
	return &m, nil
}

// checkSeals verifies the seals over the manifest without its "seals" member.
func checkSeals(m *Manifest, raw []byte, rep *Report) error {
	if len(m.Seals) == 0 {
		return mismatch("seals", "材料包没有签章")
	}
	var generic map[string]json.RawMessage
	if err := json.Unmarshal(raw, &generic); err != nil {
		return mismatch(ManifestName, "清单 manifest.json 不是 JSON 对象")
	}
	delete(generic, "seals")
	h, err := CanonicalHash(generic)
	if err != nil {
		return mismatch(ManifestName, "清单 manifest.json 无法计算摘要：%s", biopilot.ErrorMessage(err))
	}
	prev := ""
	for _, s := range m.Seals {
		if s == nil {
			return mismatch("seals", "清单中有空的签章")
		}
		if s.PayloadHash != h {
			return mismatch(ManifestName, "清单 manifest.json 在盖章后被改动：与%s所签摘要不符", s.Label())
		}
		if err := VerifySignature(s); err != nil {
			return err
		}
		if s.Previous != prev {
			return mismatch("seals", "%s的前一签章不符（签章缺失或顺序错乱）", s.Label())
		}
		prev = s.Digest
		rep.Signers = append(rep.Signers, signerOf(s))
	}
	return nil
}

// checkFile streams one file through SM3, SHA-256 and a counter.
func checkFile(f *zip.File, want ManifestFile) error {
	if f.Method != zip.Store {
		return mismatch(f.Name, "文件 %s 的压缩方式不符（材料包中的文件应为存储方式）", f.Name)
	}
	if f.UncompressedSize64 != uint64(want.Size) {
		return mismatch(f.Name, "文件 %s 的大小不符：清单为 %d 字节，材料包中为 %d 字节", f.Name, want.Size, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return mismatch(f.Name, "无法读取文件 %s：%v", f.Name, err)
	}
	defer rc.Close()
	hs, hh, crc := sm3.New(), sha256.New(), crc32.NewIEEE()
	n, readErr := io.CopyBuffer(io.MultiWriter(hs, hh, crc), rc, make([]byte, 64<<10))
	// Compare what was read, even after a ZIP checksum error, so that a changed byte
	// is reported as a changed file.
	switch {
	case n != want.Size && readErr == nil:
		return mismatch(f.Name, "文件 %s 的大小不符：清单为 %d 字节，实际为 %d 字节", f.Name, want.Size, n)
	case hex.EncodeToString(hs.Sum(nil)) != want.SM3:
		return mismatch(f.Name, "文件 %s 的 SM3 摘要不符", f.Name)
	case hex.EncodeToString(hh.Sum(nil)) != want.SHA256:
		return mismatch(f.Name, "文件 %s 的 SHA-256 摘要不符", f.Name)
	case readErr != nil:
		return mismatch(f.Name, "文件 %s 已损坏：%v", f.Name, zipReadError(readErr))
	case n != want.Size:
		return mismatch(f.Name, "文件 %s 的大小不符", f.Name)
	}
	return nil
}

func zipReadError(err error) string {
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return "ZIP 校验和（CRC-32）不符"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "数据不完整"
	}
	return err.Error()
}

// checkApplications checks that each application's files are in the package and its
// snapshot file hashes to its snapshot hash.
func checkApplications(m *Manifest, index map[string]ManifestFile) error {
	for _, a := range m.Applications {
		name := a.Number
		if name == "" {
			name = fmt.Sprint(a.ID)
		}
		if a.Snapshot != "" {
			f, ok := index[a.Snapshot]
			if !ok {
				return mismatch(a.Snapshot, "申请 %s 的快照文件 %s 缺失", name, a.Snapshot)
			}
			if f.SM3 != a.SnapshotHash {
				return mismatch(a.Snapshot, "申请 %s 的快照文件 %s 与快照摘要不符", name, a.Snapshot)
			}
		}
		for _, p := range a.Files {
			if _, ok := index[p]; !ok {
				return mismatch(p, "申请 %s 的文件 %s 缺失", name, p)
			}
		}
	}
	return nil
}

// checkSignatures verifies the decisions' signatures, their payload files and their
// chain: each Previous names an earlier signature that was made no later.
func checkSignatures(m *Manifest, index map[string]ManifestFile, rep *Report) error {
	earlier := map[string]time.Time{}
	for i := range m.Signatures {
		s := &m.Signatures[i]
		if err := VerifySignature(&s.Signature); err != nil {
			return err
		}
		if s.Payload != "" {
			f, ok := index[s.Payload]
			if !ok {
				return mismatch(s.Payload, "%s所签内容文件 %s 缺失", s.Label(), s.Payload)
			}
			if f.SM3 != s.PayloadHash {
				return mismatch(s.Payload, "%s所签内容与文件 %s 不符", s.Label(), s.Payload)
			}
		}
		at, _ := time.Parse(time.RFC3339, s.SignedAt)
		if s.Previous != "" {
			prevAt, ok := earlier[s.Previous]
			if !ok {
				return mismatch("signatures", "%s所接续的前一签章不在材料包中（缺失或顺序错乱）", s.Label())
			}
			if at.Before(prevAt) {
				return mismatch("signatures", "%s的签章时间早于其前一签章", s.Label())
			}
		}
		earlier[s.Digest] = at
		rep.Signers = append(rep.Signers, signerOf(&s.Signature))
	}
	return nil
}

// checkTrust requires every key used in the package to be among the trusted ones.
func checkTrust(m *Manifest, trusted []string) error {
	ids := map[string]bool{}
	for _, t := range trusted {
		if id := fingerprint(t); id != "" {
			ids[id] = true
		}
	}
	all := append([]*Signature{}, m.Seals...)
	for i := range m.Signatures {
		all = append(all, &m.Signatures[i].Signature)
	}
	for _, s := range all {
		if !ids[fingerprint(s.PublicKey)] {
			return mismatch("signatures", "%s使用的公钥（%s）不在受信任的公钥之列", s.Label(), KeyID(s.PublicKey))
		}
	}
	return nil
}

func signerOf(s *Signature) Signer {
	return Signer{Label: s.Label(), Purpose: s.Purpose, Signer: s.Signer, Role: s.Role,
		Holder: s.Holder, SignedAt: s.SignedAt, KeyID: KeyID(s.PublicKey)}
}
