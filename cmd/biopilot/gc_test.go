package main

import (
	"io"
	"math"
	"runtime/debug"
	"testing"
)

func TestApplyGCDefaults(t *testing.T) {
	origPercent := debug.SetGCPercent(100)
	origLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(origPercent)
		debug.SetMemoryLimit(origLimit)
	})
	for _, c := range []struct {
		name        string
		env         map[string]string
		wantPercent int
		wantLimit   int64
	}{
		{"defaults", nil, defaultGCPercent, defaultMemoryLimit},
		{"operator's GOGC kept", map[string]string{"GOGC": "50"}, 100, defaultMemoryLimit},
		{"operator's GOMEMLIMIT kept", map[string]string{"GOMEMLIMIT": "1GiB"}, defaultGCPercent, math.MaxInt64},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		applyGCDefaults(&env{getenv: func(k string) string { return c.env[k] }, stdout: io.Discard, stderr: io.Discard})
		if got := debug.SetGCPercent(100); got != c.wantPercent {
			t.Errorf("%s: GC percent %d, want %d", c.name, got, c.wantPercent)
		}
		if got := debug.SetMemoryLimit(-1); got != c.wantLimit {
			t.Errorf("%s: memory limit %d, want %d", c.name, got, c.wantLimit)
		}
	}
}
