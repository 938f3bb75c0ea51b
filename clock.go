package biopilot

import (
	"sync"
	"time"
)

// Beijing is Beijing time (UTC+8, no daylight saving). Times are shown in it.
var Beijing = time.FixedZone("CST", 8*3600)

// Clock tells the time. Deadlines depend on it, so it is injected everywhere.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// FakeClock is a settable clock for tests and demos.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a FakeClock set to t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the clock's time.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock forward by d.
func (c *FakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// OffsetClock is another clock moved forward by an offset that can only grow. The
// demo runs on one so that a person can fast-forward through a public notice of
// five working days; production never uses it.
type OffsetClock struct {
	base Clock
	mu   sync.Mutex
	d    time.Duration
}

// NewOffsetClock returns a clock showing base's time plus nothing yet.
func NewOffsetClock(base Clock) *OffsetClock { return &OffsetClock{base: base} }

// Now returns the base clock's time plus the offset.
func (c *OffsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Now().Add(c.d)
}

// Advance moves the clock forward by d; a negative d is ignored (time never runs
// back: records keep their order).
func (c *OffsetClock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.d += d
}

// Offset is how far the clock is ahead of its base.
func (c *OffsetClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.d
}
