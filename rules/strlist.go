package rules

import (
	"reflect"
	"strings"
	"sync/atomic"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// strList is a CEL list of strings whose Go slice the functions read without
// converting it (CEL's own list hands its slice out only boxed, one allocation
// each time): the lists of strings the functions return and the constants hold.
// It behaves as CEL's list of strings; the operations the rules seldom use are
// delegated to one.
type strList struct {
	items []string
	// joined is the items joined with line breaks, for found_in, computed on
	// first use; atomic, as a list folded into a program at compile time is
	// shared by concurrent evaluations.
	joined atomic.Pointer[string]
}

var (
	_ traits.Lister   = (*strList)(nil)
	_ traits.Foldable = (*strList)(nil)
)

// newStrings is a list of the items; an empty one is the shared empty list
// (most lists the functions return for a document are empty).
func newStrings(items []string) *strList {
	if len(items) == 0 {
		return emptyStrings
	}
	return &strList{items: items}
}

// emptyStrings is the empty list of strings, never changed.
var emptyStrings = constStrings(nil)

// constStrings is a list of the constants, its joined text computed now.
func constStrings(items []string) *strList {
	l := &strList{items: items}
	l.text()
	return l
}

// text returns the items joined with line breaks, which no needle of found_in
// holds, so that one search cannot match across two items.
func (l *strList) text() string {
	if p := l.joined.Load(); p != nil {
		return *p
	}
	n := 0
	for _, s := range l.items {
		n += len(s) + 1
	}
	// A builder hands out its bytes as the string without copying them.
	var b strings.Builder
	b.Grow(n)
	for i, s := range l.items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	s := b.String()
	l.joined.Store(&s)
	return s
}

// cel is CEL's own list of the items, for the operations strList delegates.
func (l *strList) cel() traits.Lister { return types.NewStringList(types.DefaultTypeAdapter, l.items) }

func (l *strList) ConvertToNative(t reflect.Type) (any, error) { return l.cel().ConvertToNative(t) }
func (l *strList) ConvertToType(t ref.Type) ref.Val            { return l.cel().ConvertToType(t) }
func (l *strList) Equal(other ref.Val) ref.Val                 { return l.cel().Equal(other) }
func (l *strList) Type() ref.Type                              { return types.ListType }
func (l *strList) Value() any                                  { return l.items }
func (l *strList) Add(other ref.Val) ref.Val                   { return l.cel().Add(other) }
func (l *strList) Iterator() traits.Iterator                   { return l.cel().Iterator() }
func (l *strList) Size() ref.Val                               { return types.Int(len(l.items)) }

// Contains is `x in list`.
func (l *strList) Contains(elem ref.Val) ref.Val {
	s, ok := elem.(types.String)
	if !ok {
		return l.cel().Contains(elem)
	}
	for _, e := range l.items {
		if e == string(s) {
			return types.True
		}
	}
	return types.False
}

// Get is list[i].
func (l *strList) Get(index ref.Val) ref.Val {
	if i, ok := index.(types.Int); ok && i >= 0 && int64(i) < int64(len(l.items)) {
		return types.String(l.items[i])
	}
	return l.cel().Get(index)
}

// Fold gives the items to a comprehension (map, filter, all, exists).
func (l *strList) Fold(f traits.Folder) {
	for i, e := range l.items {
		if !f.FoldEntry(i, types.String(e)) {
			break
		}
	}
}
