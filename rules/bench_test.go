package rules

import (
	"os"
	"testing"

	"biopilot/program"
)

// BenchmarkEvaluateExample evaluates every rule of the 2025 program on the
// example document, compiled once. The target is ≥ 20,000 documents per second
// on one core (≤ 50 µs/op with -cpu 1). Wall-clock figures on a loaded machine
// vary two- or threefold; the instructions are steadier:
//
//	go test -c -o /tmp/rules.test ./rules && cd rules &&
//	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
//	  --toggle-collect='biopilot/rules.(*Engine).Evaluate' /tmp/rules.test \
//	  -test.run XXX -test.bench EvaluateExample -test.benchtime 2000x -test.cpu 1
//
// (the collected count divided by 2000; GC assists included, background
// marking only in part). The whole cost, collector included, is the
// difference of two whole runs without --toggle-collect, at 1000x and 6000x,
// divided by 5000; GOGC=off gives the evaluation's own instructions.
func BenchmarkEvaluateExample(b *testing.B) {
	p := program.MustDefault()
	e, err := Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(examplePath)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := p.Form.DecodeDocument(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if rep := e.Evaluate(doc); rep.Verdict != Eligible {
			b.Fatalf("verdict %s", rep.Verdict)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkCompile compiles the 2025 program's rules.
func BenchmarkCompile(b *testing.B) {
	p := program.MustDefault()
	for b.Loop() {
		if _, err := Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}
