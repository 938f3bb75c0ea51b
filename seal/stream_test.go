package seal

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// genReader yields n deterministic pseudo-random bytes, generated on the fly.
type genReader struct {
	n, done int64
	x       uint64
	tick    func()
}

func newGen(n int64, seed uint64, tick func()) *genReader {
	return &genReader{n: n, x: seed | 1, tick: tick}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.done >= g.n {
		return 0, io.EOF
	}
	if rest := g.n - g.done; int64(len(p)) > rest {
		p = p[:rest]
	}
	var w [8]byte
	for i := 0; i < len(p); i += 8 {
		g.x ^= g.x << 13
		g.x ^= g.x >> 7
		g.x ^= g.x << 17
		binary.LittleEndian.PutUint64(w[:], g.x)
		copy(p[i:], w[:])
	}
	before := g.done
	g.done += int64(len(p))
	if g.tick != nil && before>>22 != g.done>>22 { // every 4 MiB
		g.tick()
	}
	return len(p), nil
}

// heapWatch records the largest HeapInuse seen.
type heapWatch struct{ max uint64 }

func (h *heapWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.max = max(h.max, ms.HeapInuse)
}

// sampledReaderAt samples the heap every 4 MiB read.
type sampledReaderAt struct {
	r    io.ReaderAt
	n    int64
	heap *heapWatch
}

func (s *sampledReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	before := s.n
	s.n += int64(n)
	if before>>22 != s.n>>22 {
		s.heap.sample()
	}
	return n, err
}

// writeBig writes a package of files MiB on disk, files of 16 MiB (the last one
// shorter), and returns its path.
func writeBig(t testing.TB, dir string, mib int64, heap *heapWatch) string {
	t.Helper()
	name := filepath.Join(dir, "big.zip")
	out, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	k := mustKey(t)
	w, err := NewPackageWriter(out, PackageInfo{Program: ProgramRef{ID: "gd-2025"}, Kind: KindRecommendation, Title: "大材料包", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	total := mib << 20
	for i := 0; total > 0; i++ {
		n := min(total, 16<<20)
		total -= n
		if _, err := w.AddFile(fmt.Sprintf("evidence/%03d-佐证材料.pdf", i), newGen(n, uint64(i+1)*0x9e3779b97f4a7c15, heap.sample)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Sealer{Key: k, Meta: SignMeta{Holder: "佛山市工业和信息化局", SignedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestPackageStreaming writes and verifies a package far larger than the memory it
// may use: the heap in use must stay under 10 MiB throughout. 20 MiB always; 200 MiB
// unless -short.
func TestPackageStreaming(t *testing.T) {
	mib := int64(200)
	if testing.Short() {
		mib = 20
	}
	const limit = 10 << 20 // well under the 20 MiB written, let alone 200
	runtime.GC()
	heap := &heapWatch{}
	heap.sample()
	base := heap.max
	name := writeBig(t, t.TempDir(), mib, heap)
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < mib<<20 {
		t.Fatalf("package is %d bytes, want more than %d", fi.Size(), mib<<20)
	}
	if heap.max > limit {
		t.Fatalf("writing %d MiB: heap in use reached %d MiB (from %d MiB), want under %d MiB", mib, heap.max>>20, base>>20, limit>>20)
	}
	t.Logf("write %d MiB: heap in use at most %.1f MiB (from %.1f MiB)", mib, float64(heap.max)/(1<<20), float64(base)/(1<<20))

	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	heap = &heapWatch{}
	heap.sample()
	base = heap.max
	rep, err := VerifyPackage(&sampledReaderAt{r: f, heap: heap}, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bytes != mib<<20 {
		t.Fatalf("verified %d bytes, want %d", rep.Bytes, mib<<20)
	}
	if heap.max > limit {
		t.Fatalf("verifying %d MiB: heap in use reached %d MiB, want under %d MiB", mib, heap.max>>20, limit>>20)
	}
	t.Logf("verify %d MiB: heap in use at most %.1f MiB (from %.1f MiB)", mib, float64(heap.max)/(1<<20), float64(base)/(1<<20))
}

// BenchmarkPackageWrite compares writing a package of files (hashing with SM3 and
// SHA-256 on the way) with a plain read of the same files. Both report MB/s.
func BenchmarkPackageWrite(b *testing.B) {
	dir := b.TempDir()
	const files, size = 4, 16 << 20
	var paths []string
	for i := 0; i < files; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%d.pdf", i))
		out, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, newGen(size, uint64(i+7), nil)); err != nil {
			b.Fatal(err)
		}
		out.Close()
		paths = append(paths, p)
	}
	k := mustKey(b)
	b.Run("plain-read", func(b *testing.B) {
		b.SetBytes(files * size)
		buf := make([]byte, 64<<10)
		for b.Loop() {
			for _, p := range paths {
				f, _ := os.Open(p)
				io.CopyBuffer(io.Discard, f, buf)
				f.Close()
			}
		}
	})
	b.Run("package", func(b *testing.B) {
		b.SetBytes(files * size)
		for b.Loop() {
			w, _ := NewPackageWriter(io.Discard, PackageInfo{Kind: KindApplication, CreatedAt: t0})
			for i, p := range paths {
				f, _ := os.Open(p)
				if _, err := w.AddFile(fmt.Sprintf("evidence/%d.pdf", i), f); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
			if err := w.Close(Sealer{Key: k, Meta: SignMeta{Holder: "x", SignedAt: t0}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPackageWriteHashed writes the same package from files whose hashes are
// recorded (AddFileHashed: a copy and CRC-32), against the same plain read.
func BenchmarkPackageWriteHashed(b *testing.B) {
	dir := b.TempDir()
	const files, size = 4, 16 << 20
	type file struct{ path, sha, sm3 string }
	var fs []file
	for i := 0; i < files; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%d.pdf", i))
		data, err := io.ReadAll(newGen(size, uint64(i+7), nil))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		sha, sm := hashesOf(data)
		fs = append(fs, file{p, sha, sm})
	}
	k := mustKey(b)
	b.SetBytes(files * size)
	for b.Loop() {
		w, _ := NewPackageWriter(io.Discard, PackageInfo{Kind: KindApplication, CreatedAt: t0})
		for i, f := range fs {
			r, _ := os.Open(f.path)
			if _, err := w.AddFileHashed(fmt.Sprintf("evidence/%d.pdf", i), r, size, f.sha, f.sm3); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
		if err := w.Close(Sealer{Key: k, Meta: SignMeta{Holder: "x", SignedAt: t0}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPackage measures offline verification of a 64 MiB package.
func BenchmarkVerifyPackage(b *testing.B) {
	name := writeBig(b, b.TempDir(), 64, &heapWatch{})
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	b.SetBytes(fi.Size())
	for b.Loop() {
		if _, err := VerifyPackage(f, fi.Size()); err != nil {
			b.Fatal(err)
		}
	}
}
