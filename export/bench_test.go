package export

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

// benchFiles writes n generated evidence files of size bytes into a temporary
// directory and returns their paths by SHA-256.
func benchFiles(b *testing.B, n int, size int64) map[string]string {
	b.Helper()
	dir := b.TempDir()
	out := map[string]string{}
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(f, newGen(size, uint64(2*i+1), nil)); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		out[genSum(b, size, uint64(2*i+1))] = p
	}
	return out
}

const benchN, benchSize = 4, 16 << 20

// BenchmarkApplicationPackage streams a package with 64 MiB of evidence read from
// disk; compare its MB/s with BenchmarkPlainRead (target: at least half).
func BenchmarkApplicationPackage(b *testing.B) {
	paths := benchFiles(b, benchN, benchSize)
	f := newFixture(b, 12, "440600")
	in := f.input(b)
	for sum := range paths {
		in.Application.Evidence = append(in.Application.Evidence, Evidence{SHA256: sum, Filename: "evidence.bin", Category: "other"})
	}
	in.Open = func(ctx context.Context, sum string) (io.ReadCloser, error) {
		if p, ok := paths[sum]; ok {
			return os.Open(p)
		}
		return f.blobs.open(ctx, sum)
	}
	b.SetBytes(benchN * benchSize)
	b.ResetTimer()
	for b.Loop() {
		if err := ApplicationPackage(context.Background(), io.Discard, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlainRead reads the same files from disk to io.Discard.
func BenchmarkPlainRead(b *testing.B) {
	paths := benchFiles(b, benchN, benchSize)
	buf := make([]byte, 64<<10)
	b.SetBytes(benchN * benchSize)
	b.ResetTimer()
	for b.Loop() {
		for _, p := range paths {
			f, err := os.Open(p)
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
		for _, p := range paths {
			f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_DIRECT, 0)
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
