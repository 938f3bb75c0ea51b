package seal

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"

	"biopilot"
)

// ZIP record signatures and lengths.
const (
	sigLocal      = 0x04034b50
	sigDescriptor = 0x08074b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	lenLocal      = 30
	lenDescriptor = 16
	lenCentral    = 46
	lenEnd        = 22
	zipVersion20  = 20
)

// checkLayout checks, byte for byte, every part of the ZIP that is not file content:
// each local header, data descriptor, central directory record and the end record
// must be exactly what PackageWriter writes for these files, and nothing may lie
// between or after them. File contents are checked by their hashes, so together every
// byte of the package is covered.
func checkLayout(r io.ReaderAt, size int64, files []*zip.File, date, tm uint16) error {
	var off int64
	locals := make([]int64, len(files))
	for i, f := range files {
		locals[i] = off
		h := make([]byte, lenLocal)
		if _, err := r.ReadAt(h, off); err != nil {
			return layoutError(f.Name, "本地文件头", off)
		}
		want := make([]byte, 0, lenLocal)
		want = le32(want, sigLocal)
		want = le16(want, zipVersion20)
		want = le16(want, zipFlags(f.Name))
		want = le16(want, zip.Store)
		want = le16(want, tm)
		want = le16(want, date)
		want = le32(want, 0) // CRC-32 and sizes are in the data descriptor
		want = le32(want, 0)
		want = le32(want, 0)
		want = le16(want, uint16(len(f.Name)))
		want = le16(want, 0) // no extra field
		if string(h) != string(want) {
			return layoutError(f.Name, "本地文件头", off)
		}
		name := make([]byte, len(f.Name))
		if _, err := r.ReadAt(name, off+lenLocal); err != nil || string(name) != f.Name {
			return layoutError(f.Name, "本地文件头中的文件名", off+lenLocal)
		}
		data := off + lenLocal + int64(len(f.Name))
		if got, err := f.DataOffset(); err != nil || got != data {
			return layoutError(f.Name, "中央目录中的文件头偏移", data)
		}
		if f.CompressedSize64 >= 1<<32-1 || f.UncompressedSize64 >= 1<<32-1 {
			return layoutError(f.Name, "文件大小（不支持 ZIP64）", data)
		}
		off = data + int64(f.CompressedSize64)
		d := make([]byte, lenDescriptor)
		want = le32(want[:0], sigDescriptor)
		want = le32(want, f.CRC32)
		want = le32(want, uint32(f.CompressedSize64))
		want = le32(want, uint32(f.UncompressedSize64))
		if _, err := r.ReadAt(d, off); err != nil || string(d) != string(want) {
			return layoutError(f.Name, "数据描述符", off)
		}
		off += lenDescriptor
	}
	cdStart := off
	for i, f := range files {
		h := make([]byte, lenCentral+len(f.Name))
		want := make([]byte, 0, len(h))
		want = le32(want, sigCentral)
		want = le16(want, zipVersion20) // version made by
		want = le16(want, zipVersion20) // version needed
		want = le16(want, zipFlags(f.Name))
		want = le16(want, zip.Store)
		want = le16(want, tm)
		want = le16(want, date)
		want = le32(want, f.CRC32)
		want = le32(want, uint32(f.CompressedSize64))
		want = le32(want, uint32(f.UncompressedSize64))
		want = le16(want, uint16(len(f.Name)))
		want = le16(want, 0) // extra
		want = le16(want, 0) // comment
		want = le16(want, 0) // disk number
		want = le16(want, 0) // internal attributes
		want = le32(want, 0) // external attributes
		want = le32(want, uint32(locals[i]))
		want = append(want, f.Name...)
		if _, err := r.ReadAt(h, off); err != nil || string(h) != string(want) {
			return layoutError(f.Name, "中央目录记录", off)
		}
		off += int64(len(h))
	}
	end := make([]byte, lenEnd)
	want := make([]byte, 0, lenEnd)
	want = le32(want, sigEnd)
	want = le16(want, 0)
	want = le16(want, 0)
	want = le16(want, uint16(len(files)))
	want = le16(want, uint16(len(files)))
	want = le32(want, uint32(off-cdStart))
	want = le32(want, uint32(cdStart))
	want = le16(want, 0) // no comment
	if _, err := r.ReadAt(end, off); err != nil || string(end) != string(want) {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "zip", Message: fmt.Sprintf("材料包的 ZIP 结构不符：目录结束记录不符（偏移 %d）", off)}
	}
	if off+lenEnd != size {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "zip", Message: fmt.Sprintf("材料包的 ZIP 结构不符：目录结束记录之后有 %d 字节多余数据", size-off-lenEnd)}
	}
	return nil
}

func layoutError(name, part string, off int64) error {
	return &biopilot.Error{Code: biopilot.EINVALID, Field: name,
		Message: fmt.Sprintf("材料包的 ZIP 结构不符：文件 %s 的%s与中央目录不一致或已被改动（偏移 %d）", name, part, off)}
}

// zipFlags are the general-purpose flags archive/zip writes for a name: a data
// descriptor follows the data (bit 3), and the name is UTF-8 (bit 11) when it is not
// plain ASCII that every reader agrees on.
func zipFlags(name string) uint16 {
	flags := uint16(0x8)
	for _, r := range name {
		if r < 0x20 || r > 0x7d || r == 0x5c {
			if r != utf8.RuneError {
				flags |= 0x800
			}
			break
		}
	}
	return flags
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
