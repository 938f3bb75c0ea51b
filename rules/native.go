package rules

import (
	"cmp"
	"math"
	"strings"

	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// The fast path's own operators: the commonest cases of CEL's arithmetic and
// comparisons, done without the runtime type guards of CEL's bindings, which
// cost more than the operations. Any other case goes to the binding.

// nativeOp does the commonest cases of an operator of CEL without its
// runtime type guards, returning nil when a case is not its own (ask the
// binding); nil when it has none.
func nativeOp(fn string) func(l, r ref.Val) ref.Val {
	switch fn {
	case operators.Add:
		return addNative
	case operators.Subtract:
		return subtractNative
	case operators.Multiply:
		return multiplyNative
	case operators.Less:
		return compareNative(func(c int) bool { return c < 0 })
	case operators.LessEquals:
		return compareNative(func(c int) bool { return c <= 0 })
	case operators.Greater:
		return compareNative(func(c int) bool { return c > 0 })
	case operators.GreaterEquals:
		return compareNative(func(c int) bool { return c >= 0 })
	}
	return nil
}

// withNative calls native, else the binding.
func withNative(def *functions.Overload, native func(l, r ref.Val) ref.Val, l, r fastFn) fastFn {
	f, trait := def.Binary, def.OperandTrait
	return func(act *activation) ref.Val {
		lv := l(act)
		if lv == nil || types.IsUnknownOrError(lv) {
			return nil
		}
		rv := r(act)
		if rv == nil || types.IsUnknownOrError(rv) {
			return nil
		}
		if v := native(lv, rv); v != nil {
			return v
		}
		if trait != 0 && !lv.Type().HasTrait(trait) {
			return nil
		}
		return f(lv, rv)
	}
}

// addNative is `+` of two ints that do not overflow, of two doubles, and of
// two lists of strings, joined as one strList, which the functions read
// without converting.
func addNative(lv, rv ref.Val) ref.Val {
	switch x := lv.(type) {
	case types.Int:
		if y, ok := rv.(types.Int); ok {
			if z := x + y; (z > x) == (y > 0) {
				return z
			}
		}
	case types.Double:
		if y, ok := rv.(types.Double); ok {
			return x + y
		}
	case *strList:
		if y, ok := rv.(*strList); ok {
			switch {
			case len(y.items) == 0:
				return x
			case len(x.items) == 0:
				return y
			}
			items := make([]string, 0, len(x.items)+len(y.items))
			return newStrings(append(append(items, x.items...), y.items...))
		}
	}
	return nil
}

func subtractNative(lv, rv ref.Val) ref.Val {
	switch x := lv.(type) {
	case types.Int:
		if y, ok := rv.(types.Int); ok {
			if z := x - y; (z < x) == (y > 0) {
				return z
			}
		}
	case types.Double:
		if y, ok := rv.(types.Double); ok {
			return x - y
		}
	}
	return nil
}

// small bounds the ints whose product cannot overflow.
const small = 1 << 31

func multiplyNative(lv, rv ref.Val) ref.Val {
	switch x := lv.(type) {
	case types.Int:
		if y, ok := rv.(types.Int); ok && x > -small && x < small && y > -small && y < small {
			return x * y
		}
	case types.Double:
		if y, ok := rv.(types.Double); ok {
			return x * y
		}
	}
	return nil
}

// compareNative compares two ints, two doubles (not NaN) or two strings.
func compareNative(holds func(int) bool) func(l, r ref.Val) ref.Val {
	return func(lv, rv ref.Val) ref.Val {
		c := 0
		switch x := lv.(type) {
		case types.Int:
			y, ok := rv.(types.Int)
			if !ok {
				return nil
			}
			c = cmp.Compare(x, y)
		case types.Double:
			y, ok := rv.(types.Double)
			if !ok || math.IsNaN(float64(x)) || math.IsNaN(float64(y)) {
				return nil
			}
			c = cmp.Compare(x, y)
		case types.String:
			y, ok := rv.(types.String)
			if !ok {
				return nil
			}
			c = strings.Compare(string(x), string(y))
		default:
			return nil
		}
		return types.Bool(holds(c))
	}
}
