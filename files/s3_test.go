package files

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
)

// fakeS3 is the small part of the S3 API that a Store uses (PutObject, multipart
// uploads, HeadObject, GetObject with ranges, DeleteObject, ListObjectsV2), with path-style addressing, so
// that the s3:// path is exercised without a real S3 service.
type fakeS3 struct {
	t       *testing.T
	mu      sync.Mutex
	objects map[string][]byte // bucket/key → content
	puts    int
	multi   int                       // multipart uploads completed
	parts   map[string]map[int][]byte // upload id → part number → content
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	if bucket != "evidence" {
		s3Error(w, http.StatusNotFound, "NoSuchBucket")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && key == "" && q.Get("list-type") == "2":
		f.list(w, q.Get("prefix"))
	case r.Method == http.MethodPost && key != "" && q.Has("uploads"):
		id := fmt.Sprintf("upload-%d", len(f.parts)+1)
		f.parts[id] = map[int][]byte{}
		fmt.Fprintf(w, `<InitiateMultipartUploadResult><Bucket>evidence</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>`, key, id)
	case r.Method == http.MethodPut && key != "" && q.Has("uploadId"):
		n, _ := strconv.Atoi(q.Get("partNumber"))
		b, err := io.ReadAll(r.Body)
		if err != nil || f.parts[q.Get("uploadId")] == nil {
			s3Error(w, http.StatusBadRequest, "NoSuchUpload")
			return
		}
		f.parts[q.Get("uploadId")][n] = b
		w.Header().Set("ETag", fmt.Sprintf(`"part%d"`, n))
	case r.Method == http.MethodPost && key != "" && q.Has("uploadId"):
		parts := f.parts[q.Get("uploadId")]
		var all []byte
		for n := 1; n <= len(parts); n++ {
			all = append(all, parts[n]...)
		}
		f.objects[path] = all
		f.puts++
		f.multi++
		delete(f.parts, q.Get("uploadId"))
		fmt.Fprintf(w, `<CompleteMultipartUploadResult><Bucket>evidence</Bucket><Key>%s</Key><ETag>"x-%d"</ETag></CompleteMultipartUploadResult>`, key, len(parts))
	case r.Method == http.MethodDelete && key != "" && q.Has("uploadId"):
		delete(f.parts, q.Get("uploadId"))
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut && key != "":
		if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
			f.t.Errorf("fake S3: unsupported upload %s %s", r.URL, r.Header.Get("Content-Encoding"))
			s3Error(w, http.StatusNotImplemented, "NotImplemented")
			return
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			s3Error(w, http.StatusBadRequest, "IncompleteBody")
			return
		}
		f.objects[path] = b
		f.puts++
		w.Header().Set("ETag", `"x"`)
	case r.Method == http.MethodHead || r.Method == http.MethodGet:
		b, ok := f.objects[path]
		if !ok {
			s3Error(w, http.StatusNotFound, "NoSuchKey")
			return
		}
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("ETag", `"x"`)
		w.Header().Set("Content-Type", "application/octet-stream")
		status := http.StatusOK
		if rg := r.Header.Get("Range"); rg != "" && r.Method == http.MethodGet {
			var from int
			if _, err := fmt.Sscanf(rg, "bytes=%d-", &from); err != nil || from > len(b) {
				s3Error(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
				return
			}
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(b)-1, len(b)))
			b, status = b[from:], http.StatusPartialContent
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		if r.Method == http.MethodGet {
			w.Write(b)
		}
	case r.Method == http.MethodDelete && key != "":
		delete(f.objects, path)
		w.WriteHeader(http.StatusNoContent)
	default:
		f.t.Errorf("fake S3: unexpected %s %s", r.Method, r.URL)
		s3Error(w, http.StatusNotImplemented, "NotImplemented")
	}
}

func (f *fakeS3) list(w http.ResponseWriter, prefix string) {
	type content struct {
		Key          string
		Size         int
		LastModified string
		ETag         string
	}
	res := struct {
		XMLName     xml.Name `xml:"ListBucketResult"`
		Name        string
		Prefix      string
		KeyCount    int
		MaxKeys     int
		IsTruncated bool
		Contents    []content
	}{Name: "evidence", Prefix: prefix, MaxKeys: 1000}
	for path, b := range f.objects {
		key := strings.TrimPrefix(path, "evidence/")
		if strings.HasPrefix(key, prefix) {
			res.Contents = append(res.Contents, content{key, len(b), time.Now().UTC().Format(time.RFC3339), `"x"`})
		}
	}
	sort.Slice(res.Contents, func(i, j int) bool { return res.Contents[i].Key < res.Contents[j].Key })
	res.KeyCount = len(res.Contents)
	w.Header().Set("Content-Type", "application/xml")
	xml.NewEncoder(w).Encode(res)
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

func TestS3(t *testing.T) {
	// No credentials, profiles or instance metadata from the machine running the test.
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	fake := &fakeS3{t: t, objects: map[string][]byte{}, parts: map[string]map[int][]byte{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx := context.Background()
	u := "s3://evidence?region=cn-south-1&s3ForcePathStyle=true&anonymous=true" +
		"&request_checksum_calculation=when_required&response_checksum_validation=when_required" +
		"&endpoint=" + url.QueryEscape(srv.URL)
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	data := tinyOFD(t)
	info, err := s.Put(ctx, bytes.NewReader(data), "批复.ofd", DefaultLimit)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if info.Kind != KindOFD || info.SHA256 != sum(data) {
		t.Errorf("Info = %+v", info)
	}
	if got := fake.objects["evidence/"+Key(info.SHA256)]; !bytes.Equal(got, data) {
		t.Errorf("S3 holds %d bytes at %s, want the %d put", len(got), Key(info.SHA256), len(data))
	}
	if _, err := s.Put(ctx, bytes.NewReader(data), "again.ofd", DefaultLimit); err != nil {
		t.Fatal(err)
	}
	if fake.puts != 1 {
		t.Errorf("%d uploads of the same content, want 1", fake.puts)
	}
	if _, err := s.Put(ctx, strings.NewReader("<html>"), "a.pdf", DefaultLimit); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("Put(html) = %v", err)
	}

	// A file over the multipart threshold (16 MB) goes up in parts.
	big, err := s.Put(ctx, pdfOfSize(20<<20), "扫描件.pdf", DefaultLimit)
	if err != nil {
		t.Fatalf("Put 20 MB: %v", err)
	}
	if got := fake.objects["evidence/"+Key(big.SHA256)]; int64(len(got)) != big.Size || sum(got) != big.SHA256 {
		t.Errorf("S3 holds %d bytes of the 20 MB file, sha256 %s", len(got), sum(got))
	}
	if fake.multi != 1 {
		t.Errorf("%d multipart uploads, want 1", fake.multi)
	}
	if len(fake.parts) != 0 {
		t.Errorf("multipart uploads left open: %d", len(fake.parts))
	}
	if err := s.Delete(ctx, big.SHA256); err != nil {
		t.Fatal(err)
	}

	r, err := s.Open(ctx, info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.(io.Seeker).Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data[4:]) {
		t.Errorf("read after seek: %d bytes, %v", len(got), err)
	}
	r.Close()
	if n, err := s.Size(ctx, info.SHA256); err != nil || n != int64(len(data)) {
		t.Errorf("Size = %d, %v", n, err)
	}
	var walked []string
	if err := s.Walk(ctx, func(sum string, size int64, _ time.Time) error {
		walked = append(walked, sum)
		return nil
	}); err != nil || len(walked) != 1 || walked[0] != info.SHA256 {
		t.Errorf("Walk = %v, %v", walked, err)
	}
	if err := s.Delete(ctx, info.SHA256); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, info.SHA256); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	if _, err := s.Open(ctx, info.SHA256); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("Open after Delete = %v", err)
	}
	if err := s.Delete(ctx, info.SHA256); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("Delete twice = %v", err)
	}
}
