package main

import "runtime/debug"

// Garbage collector defaults of the server (serve, demo) and of the capacity test,
// which runs the same server in-process. Measured with `biopilot bench` on 2 cores
// (issue 7): with Go's defaults (GOGC=100, no limit) the collector took ~10% of the
// CPU under the mixed load and the peak resident memory was ~260 MB; with GOGC=200
// it took ~5% and every operation was faster. The peak comes from rendering the
// 申请表 PDFs (~1 GB/s of short-lived garbage): with the live heap at ~45 MB (the
// caches included), a soft limit of 160 MiB left it at ~224 MB and 128 MiB at
// ~195 MB, with the mixed load and the PDFs unchanged. The limit makes the collector
// work harder only as the heap nears it; a larger deployment, whose live heap grows
// with its data, sets GOMEMLIMIT to its machine.
const (
	defaultGCPercent   = 200
	defaultMemoryLimit = 128 << 20
)

// applyGCDefaults sets the collector's defaults, leaving each alone when the
// operator set it (GOGC, GOMEMLIMIT: the runtime has already applied those).
func applyGCDefaults(e *env) {
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
