package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"runtime"
	"strings"
	"testing"
)

// heapLimit is the most heap in use allowed while a file of any size is put.
const heapLimit = 32 << 20

// metered is a generated PDF of a given size that samples HeapInuse as it is read and
// hashes what it gives, so the content address can be checked without keeping it.
type metered struct {
	r       io.Reader
	read    int64
	next    int64
	maxHeap uint64
	hash    interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func newMetered(size int64) *metered {
	return &metered{r: pdfOfSize(size), hash: sha256.New()}
}

func (m *metered) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.hash.Write(p[:n])
	m.read += int64(n)
	if m.read >= m.next {
		m.next += 4 << 20
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.maxHeap = max(m.maxHeap, ms.HeapInuse)
	}
	return n, err
}

func testStreaming(t *testing.T, size int64) {
	s, dir := openTest(t)
	ctx := context.Background()
	runtime.GC()
	m := newMetered(size)
	info, err := s.Put(ctx, m, "大文件.pdf", size)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.maxHeap = max(m.maxHeap, ms.HeapInuse)
	if m.maxHeap > heapLimit {
		t.Errorf("HeapInuse reached %d MB putting %d MB, want under %d MB", m.maxHeap>>20, size>>20, heapLimit>>20)
	}
	t.Logf("%d MB put with at most %d MB of heap in use", size>>20, m.maxHeap>>20)
	if want := hex.EncodeToString(m.hash.Sum(nil)); info.SHA256 != want || info.Size != size || info.Kind != KindPDF {
		t.Errorf("Info = %+v, want sha256 %s size %d", info, want, size)
	}
	if got, err := s.Size(ctx, info.SHA256); err != nil || got != size {
		t.Errorf("stored size = %d, %v", got, err)
	}
	if f := storedFiles(t, dir); len(f) != 1 || !strings.HasSuffix(f[0], info.SHA256) {
		t.Errorf("stored %v", f)
	}
	// One byte less than the file is too little: refused, and nothing more is stored.
	if _, err := s.Put(ctx, newMetered(size), "大文件.pdf", size-1); err == nil {
		t.Error("Put over the limit succeeded")
	}
}

// TestPutStreams20MB always runs; the 200 MB variant runs unless -short.
func TestPutStreams20MB(t *testing.T) {
	testStreaming(t, 20<<20)
}

func TestPutStreams200MB(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB streaming test skipped with -short; TestPutStreams20MB covers the same path")
	}
	testStreaming(t, 200<<20)
}

// BenchmarkPut measures the throughput of Put on a 50 MB PDF (the default limit).
func BenchmarkPut(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(context.Background(), DirURL(dir))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(DefaultLimit)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		info, err := s.Put(context.Background(), pdfOfSize(DefaultLimit), "x.pdf", DefaultLimit)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Delete(context.Background(), info.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}
