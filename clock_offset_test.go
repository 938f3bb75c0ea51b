package biopilot

import (
	"testing"
	"time"
)

func TestOffsetClock(t *testing.T) {
	base := NewFakeClock(time.Date(2025, 12, 1, 9, 0, 0, 0, Beijing))
	c := NewOffsetClock(base)
	if !c.Now().Equal(base.Now()) {
		t.Fatalf("new offset clock = %v, want the base %v", c.Now(), base.Now())
	}
	c.Advance(48 * time.Hour)
	c.Advance(-time.Hour) // ignored: time never runs back
	if got, want := c.Offset(), 48*time.Hour; got != want {
		t.Fatalf("offset = %v, want %v", got, want)
	}
	base.Add(time.Minute)
	if got, want := c.Now(), time.Date(2025, 12, 3, 9, 1, 0, 0, Beijing); !got.Equal(want) {
		t.Fatalf("now = %v, want %v", got, want)
	}
}
