package demo

// ExampleDocument returns the JSON of the example application (docs/enzymes.json: an
// eligible 酶制剂 platform in 佛山), the base of the demo's samples and of the
// documents the capacity test (package bench) varies.
func ExampleDocument() ([]byte, error) { return docs.ReadFile("docs/enzymes.json") }
