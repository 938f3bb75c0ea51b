package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/emmansun/gmsm/sm3"
)

// benchFile is a generated evidence file on disk with the hashes recorded at upload.
type benchFile struct {
	path, sha256, sm3 string
}

// benchFiles writes n generated evidence files of size bytes into a temporary
// directory and returns them with their hashes.
func benchFiles(b *testing.B, n int, size int64) []benchFile {
	b.Helper()
	dir := b.TempDir()
	var out []benchFile
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		hh, hs := sha256.New(), sm3.New()
		if _, err := io.Copy(io.MultiWriter(f, hh, hs), newGen(size, uint64(2*i+1), nil)); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		out = append(out, benchFile{p, hex.EncodeToString(hh.Sum(nil)), hex.EncodeToString(hs.Sum(nil))})
	}
	return out
}

const benchN, benchSize = 4, 16 << 20

// benchPackage streams a package with 64 MiB of evidence read from disk, listed with
// their recorded SM3 or without.
func benchPackage(b *testing.B, recorded bool) { benchPackageOf(b, recorded, benchN, benchSize) }

// benchPackageOf streams a package with n evidence files of size bytes.
func benchPackageOf(b *testing.B, recorded bool, n int, size int64) {
	fs := benchFiles(b, n, size)
	f := newFixture(b, 12, "440600")
	in := f.input(b)
	paths := map[string]string{}
	for _, bf := range fs {
		e := Evidence{SHA256: bf.sha256, Filename: "evidence.bin", Category: "other"}
		if recorded {
			e.SM3, e.Size = bf.sm3, size
		}
		in.Application.Evidence = append(in.Application.Evidence, e)
		paths[bf.sha256] = bf.path
	}
	in.Open = func(ctx context.Context, sum string) (io.ReadCloser, error) {
		if p, ok := paths[sum]; ok {
			return os.Open(p)
		}
		return f.blobs.open(ctx, sum)
	}
	b.SetBytes(int64(n) * size)
	b.ResetTimer()
	for b.Loop() {
		if err := ApplicationPackage(context.Background(), io.Discard, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplicationPackage streams a package with 64 MiB of evidence read from
// disk, whose hashes were recorded at upload (the usual case); compare its MB/s with
// BenchmarkPlainRead (target: at least half).
func BenchmarkApplicationPackage(b *testing.B) { benchPackage(b, true) }

// BenchmarkApplicationPackageUnhashed is the same package from evidence without a
// recorded SM3 (uploaded before it was recorded): every byte is hashed on the way.
func BenchmarkApplicationPackageUnhashed(b *testing.B) { benchPackage(b, false) }

// BenchmarkPlainRead reads the same files from disk to io.Discard.
func BenchmarkPlainRead(b *testing.B) { benchPlainRead(b, benchN, benchSize) }

// Large packages (512 MiB of evidence) show the streaming rate itself: the 申请表
// PDF, rendered once per application (~16 ms), weighs little against the evidence.
// Compare BenchmarkApplicationPackageLarge with BenchmarkPlainReadLarge.
const largeN, largeSize = 8, 64 << 20

// BenchmarkApplicationPackageLarge streams a package with 512 MiB of evidence.
func BenchmarkApplicationPackageLarge(b *testing.B) { benchPackageOf(b, true, largeN, largeSize) }

// BenchmarkPlainReadLarge reads the same 512 MiB from disk to io.Discard.
func BenchmarkPlainReadLarge(b *testing.B) { benchPlainRead(b, largeN, largeSize) }

func benchPlainRead(b *testing.B, n int, size int64) {
	fs := benchFiles(b, n, size)
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(n) * size)
	b.ResetTimer()
	for b.Loop() {
		for _, bf := range fs {
			f, err := os.Open(bf.path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, f, buf); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
}

// BenchmarkPlainReadDirect reads the same files from the disk itself, bypassing the
// page cache (O_DIRECT): the fair "reading the same files from disk". It is skipped
// where the file system refuses O_DIRECT (tmpfs).
func BenchmarkPlainReadDirect(b *testing.B) {
	paths := benchFiles(b, benchN, benchSize)
	const align = 4096
	raw := make([]byte, 1<<20+align)
	off := align - int(uintptr(unsafe.Pointer(&raw[0]))%align)
	buf := raw[off%align : off%align+1<<20]
	b.SetBytes(benchN * benchSize)
	b.ResetTimer()
	for b.Loop() {
		for _, bf := range paths {
			f, err := os.OpenFile(bf.path, os.O_RDONLY|syscall.O_DIRECT, 0)
			if err != nil {
				b.Skipf("O_DIRECT: %v", err)
			}
			for {
				n, err := f.Read(buf)
				if n == 0 || err != nil {
					if err != nil && err != io.EOF {
						b.Skipf("O_DIRECT read: %v", err)
					}
					break
				}
			}
			f.Close()
		}
	}
}
