package web

// PERF: per-process caches of work that depends only on immutable inputs (issue 7).
//
// A stored application's document is immutable per version and its snapshot per
// snapshot hash, so what is computed from them — the eligibility report, the rendered
// 申请表 — can be kept under a key that names them: a save or a transition makes a
// new key, never a stale hit. That holds across several instances too, each with its
// own cache. Both caches are bounded (by an estimate of their bytes) and evict the
// least recently used entry; renders of the PDF are limited to one per core at a
// time, so that a burst of downloads neither starves the other requests nor adds a
// renderer's working memory per waiting request.

import (
	"bytes"
	"container/list"
	"context"
	"runtime"
	"sync"
	"time"

	"biopilot"
	"biopilot/rules"
)

// Cache bounds.
const (
	reportCacheBytes = 8 << 20  // eligibility reports: a few KB each
	pdfCacheBytes    = 32 << 20 // rendered 申请表: 100–300 KB each
)

// cacheKey are the keys of the caches (the package has a func named comparable,
// which hides the predeclared constraint).
type cacheKey interface{ docKey | pdfKey | string }

// lru is a least-recently-used cache bounded by the sum of its entries' costs. It
// is safe for concurrent use.
type lru[K cacheKey, V any] struct {
	mu    sync.Mutex
	max   int
	cost  int
	order *list.List // front: most recently used
	items map[K]*list.Element
}

type lruEntry[K cacheKey, V any] struct {
	key  K
	val  V
	cost int
}

func newLRU[K cacheKey, V any](maxCost int) *lru[K, V] {
	return &lru[K, V]{max: maxCost, order: list.New(), items: map[K]*list.Element{}}
}

// get returns the value of key and marks it used.
func (c *lru[K, V]) get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// add stores a value of the given cost, evicting the least recently used entries
// until the total fits. A value costing more than the whole cache is not kept.
func (c *lru[K, V]) add(key K, val V, cost int) {
	if cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		old := e.Value.(*lruEntry[K, V])
		c.cost += cost - old.cost
		old.val, old.cost = val, cost
		c.order.MoveToFront(e)
	} else {
		c.items[key] = c.order.PushFront(&lruEntry[K, V]{key, val, cost})
		c.cost += cost
	}
	for c.cost > c.max {
		e := c.order.Back()
		ent := e.Value.(*lruEntry[K, V])
		c.order.Remove(e)
		delete(c.items, ent.key)
		c.cost -= ent.cost
	}
}

// stats returns the number of entries and their total cost.
func (c *lru[K, V]) stats() (n, cost int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.cost
}

// docKey names one immutable document of an application: the live draft of a
// version, or the snapshot of a hash.
type docKey struct {
	app     int64
	source  string // "draft" or "snapshot"
	version int64  // the draft's version (0 for a snapshot)
	hash    string // the snapshot's hash ("" for a draft)
}

// docKeyOf is the key of the document of app shown from source.
func docKeyOf(app *biopilot.Application, source string) docKey {
	if source == "snapshot" {
		return docKey{app: app.ID, source: source, hash: app.SnapshotHash}
	}
	return docKey{app: app.ID, source: source, version: app.Version}
}

// pdfKey names one rendered 申请表: its document, and what else it prints — the
// snapshot's seals and the province's opinion come from transitions, which all move
// UpdatedAt; a draft prints the day it was made.
type pdfKey struct {
	doc     docKey
	updated int64
	day     string
}

// pdfEntry is a rendered 申请表 with its file name and the hash it was made from.
type pdfEntry struct {
	data []byte
	name string
	hash string
}

// serverCache holds the server's caches; its zero value is ready (initialised on
// first use).
type serverCache struct {
	once    sync.Once
	reports *lru[docKey, *rules.Report]
	pdfs    *lru[pdfKey, pdfEntry]
	renders chan struct{} // one token per render allowed at once
}

func (c *serverCache) init() *serverCache {
	c.once.Do(func() {
		c.reports = newLRU[docKey, *rules.Report](reportCacheBytes)
		c.pdfs = newLRU[pdfKey, pdfEntry](pdfCacheBytes)
		c.renders = make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	})
	return c
}

// addPDF keeps a rendered 申请表. Its bytes are copied to a slice of their own
// length: the renderer's buffer has grown by doubling, and up to half of it would be
// kept unused, uncounted by the cache's bound (measured: 47 MB held by a 32 MB
// cache).
func (c *serverCache) addPDF(key pdfKey, pdf pdfEntry) {
	pdf.data = bytes.Clone(pdf.data)
	c.pdfs.add(key, pdf, len(pdf.data)+len(pdf.name)+64)
}

// reportCost estimates the memory of a report: what one evaluation allocates, the
// results and their messages. The titles, clauses, groups and guide sentences are
// the compiled rules' own strings, shared by every report (counting them, as this
// did, made the cache hold half the reports it has room for).
func reportCost(r *rules.Report) int {
	n := 64 + len(r.Verdict)
	for _, x := range r.Rules {
		n += 160 + len(x.Message) + 16*len(x.Fields)
	}
	return n
}

// cachedReport returns the report of a document, computing it with eval on a miss.
// The report is shared: callers must not modify it.
func (s *Server) cachedReport(key docKey, eval func() (*rules.Report, error)) (*rules.Report, error) {
	c := s.cache.init()
	if r, ok := c.reports.get(key); ok {
		return r, nil
	}
	r, err := eval()
	if err != nil {
		return nil, err
	}
	c.reports.add(key, r, reportCost(r))
	return r, nil
}

// renderSlot waits for a render token; release returns it.
func (s *Server) renderSlot(ctx context.Context) (release func(), err error) {
	c := s.cache.init()
	select {
	case c.renders <- struct{}{}:
		return func() { <-c.renders }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// pdfDay is the day a draft's PDF is dated (Beijing time).
func pdfDay(t time.Time) string { return t.In(biopilot.Beijing).Format("2006-01-02") }
