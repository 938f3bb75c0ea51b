package rules

import (
	"os"
	"testing"

	"biopilot/program"
)

// BenchmarkEvaluateExample evaluates every rule of the 2025 program on the
// example document, compiled once. The target is ≥ 20,000 documents per second
// on one core (≤ 50 µs/op with -cpu 1).
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
