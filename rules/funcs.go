package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/decls"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"

	"biopilot"
	"biopilot/program"
	"biopilot/uscc"
)

// The expression language: CEL with the strings, math, lists and bindings
// extensions, and these variables and functions.
//
// Variables:
//
//	doc     the application document: map(string, dyn)
//	params  the rules file's params
//	form    facts of the form: required (keys of required fields), limits
//	        (list of {key, max, columns} for 字 limits), formats (list of
//	        {key, format} for fields with a format check)
//	each    the current item of a for_each rule (string)
//	problems  the rule's checks that hold (list of {message, fields})
//	the names bound by the rules file's "let" (for all rules, computed once per
//	document) and by the rule's own "let" (computed once, on first use)
//
// Functions on the document (or on any object of it, such as a table row), with
// a dotted key ("site.area_m2"); none of them fails on an absent key except num:
//
//	doc.get(k)          the value, or null when absent
//	doc.present(k)      the value is there (text: not blank)
//	doc.filled(k)       present, and a list or object is not empty
//	doc.num(k)          the number as a double; an error when absent (guard it)
//	doc.num(k, d)       the number as a double, or d when absent
//	doc.str(k)          the text, or "" when absent
//	doc.list(k)         the list, or [] when absent
//	doc.chars(k)        字 of a text (code points that are not white space)
//	doc.chars(k, cols)  字 of a text, or of the columns cols of all rows of a table
//	doc.texts(ks, cols) the texts in columns cols of all rows of the tables ks
//	doc.texts(ks, cols, sep)  the same texts joined with sep
//	doc.column(k, col)  the filled values of column col of the table k
//	doc.unfilled(ks)    the keys of ks that are not filled
//	doc.greater(a, b)   both numbers are filled and a's is greater
//	doc.sum(ks)         the sum of the filled numbers of the keys ks
//	doc.lacking(k, os)  the labels of the options os that the set field k lacks
//	doc.filled_keys(k)  the keys of the object at k whose values are filled, in no
//	                    particular order
//	doc.unmatched(fs, patterns)  the entries {key, format} of fs whose text is
//	                    filled and does not match patterns[format] (RE2)
//	doc.over_limits(ls) the entries {key, max, columns} of ls whose 字 count
//	                    exceeds max, as {key, max, count}
//
// Other functions:
//
//	cat(list)           the texts of the items, concatenated (templates use it)
//	text(v)             v for people: 2600.0 → "2600", lists joined with "、",
//	                    true → "是", null → "未填写"
//	pct(r)              a ratio as a percentage with one decimal: "72.7%", "60%"
//	sum(list)           the sum of a list of numbers, as a double
//	label(k)            the form's label of a key (made unique with its group's
//	                    name field when the label repeats: "平台联系人手机")
//	short_label(k)      the label up to its first "：" (基本情况)
//	option_label(k, o)  the label of option o of field k
//	labels(k, os)       the labels of the options os of field k
//	except(a, b)        the items of list a not in list b, in order
//	found_in(ns, hay)   the strings of ns found inside hay (a text, or some
//	                    text of a list of texts)
//	containing(hay, ns) the strings of hay containing some string of ns
//	re_match(s, re)     s matches the regular expression re (RE2, unanchored)
//	uscc_error(s)       "" when s is a valid unified social credit code, else why
//	uscc_division(s)    the code's division code (characters 3–8)

var (
	mapType     = cel.MapType(cel.StringType, cel.DynType)
	listDyn     = cel.ListType(cel.DynType)
	listStrings = cel.ListType(cel.StringType)
)

// library holds what the functions need of the program; it is built per Compile
// and read-only afterwards.
type library struct {
	form    *program.Form
	labels  map[string]string // unique labels by key
	regexes map[string]*regexp.Regexp
}

func newLibrary(p *program.Program) *library {
	lib := &library{form: p.Form, labels: make(map[string]string), regexes: make(map[string]*regexp.Regexp)}
	count := make(map[string]int)
	for _, fl := range p.Form.Fields {
		count[fl.Label]++
	}
	for _, fl := range p.Form.Fields {
		l := fl.Label
		if count[l] > 1 {
			if i := strings.LastIndexByte(fl.Key, '.'); i > 0 {
				if owner := p.Form.Field(fl.Key[:i] + ".name"); owner != nil && owner != fl {
					l = owner.Label + l
				}
			}
		}
		lib.labels[fl.Key] = l
	}
	collectRegexes(map[string]any(p.Rules.Params), lib.regexes)
	return lib
}

// collectRegexes precompiles every string of the params that is a valid regular
// expression, so that re_match with a pattern from params does not compile it.
func collectRegexes(v any, out map[string]*regexp.Regexp) {
	switch x := v.(type) {
	case string:
		if re, err := regexp.Compile(x); err == nil {
			out[x] = re
		}
	case map[string]any:
		for _, e := range x {
			collectRegexes(e, out)
		}
	case []any:
		for _, e := range x {
			collectRegexes(e, out)
		}
	}
}

// regexp returns a compiled pattern: precompiled when it is in params.
func (lib *library) regexp(pat string) (*regexp.Regexp, error) {
	if re := lib.regexes[pat]; re != nil {
		return re, nil
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("正则表达式 %q 无效：%v", pat, err)
	}
	return re, nil
}

func (lib *library) label(key string) string {
	if l, ok := lib.labels[key]; ok {
		return l
	}
	// A key inside a field (evidence.license, a table column) or unknown.
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		if fl := lib.form.Field(key[:i]); fl != nil {
			if l := fl.OptionLabel(key[i+1:]); l != key[i+1:] {
				return l
			}
			if c := fl.Column(key[i+1:]); c != nil {
				return fl.Label + "·" + c.Label
			}
		}
	}
	return key
}

// function declares a function of the language. Its bindings check their
// arguments' types themselves, so CEL's runtime type guards, which cost more
// than most of the functions, are disabled.
func function(name string, opts ...cel.FunctionOpt) cel.EnvOption {
	return cel.Function(name, append(opts, decls.DisableTypeGuards(true))...)
}

// envOptions are the CEL declarations of the language.
func (lib *library) envOptions() []cel.EnvOption {
	str := func(f func(string) ref.Val) cel.OverloadOpt {
		return cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.(types.String)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return f(string(s))
		})
	}
	docFn := func(name string, args []*cel.Type, result *cel.Type, binding cel.OverloadOpt) cel.EnvOption {
		id := "doc_" + name
		for _, a := range args[1:] {
			id += "_" + a.String()
		}
		return function(name, cel.MemberOverload(id, args, result, binding))
	}
	keyed := func(f func(obj map[string]any, key string) ref.Val) cel.OverloadOpt {
		return cel.BinaryBinding(func(o, k ref.Val) ref.Val {
			obj, ok := nativeMap(o)
			key, ok2 := k.(types.String)
			if !ok || !ok2 {
				return types.MaybeNoSuchOverloadErr(o)
			}
			return f(obj, string(key))
		})
	}
	return []cel.EnvOption{
		ext.Strings(), ext.Math(), ext.Lists(), ext.Bindings(),
		cel.CrossTypeNumericComparisons(true),
		cel.Variable("doc", mapType),
		cel.Variable("params", mapType),
		cel.Variable("form", mapType),

		docFn("get", []*cel.Type{cel.DynType, cel.StringType}, cel.DynType, keyed(func(m map[string]any, k string) ref.Val {
			v, ok := lookup(m, k)
			if !ok {
				return types.NullValue
			}
			return types.DefaultTypeAdapter.NativeToValue(v)
		})),
		docFn("present", []*cel.Type{cel.DynType, cel.StringType}, cel.BoolType, keyed(func(m map[string]any, k string) ref.Val {
			v, ok := lookup(m, k)
			return types.Bool(ok && present(v))
		})),
		docFn("filled", []*cel.Type{cel.DynType, cel.StringType}, cel.BoolType, keyed(func(m map[string]any, k string) ref.Val {
			v, ok := lookup(m, k)
			return types.Bool(ok && filled(v))
		})),
		docFn("num", []*cel.Type{cel.DynType, cel.StringType}, cel.DoubleType, keyed(func(m map[string]any, k string) ref.Val {
			v, ok := lookup(m, k)
			if !ok {
				return types.NewErr("%s 未填写", k)
			}
			f, ok := toFloat(v)
			if !ok {
				return types.NewErr("%s 不是数字", k)
			}
			return types.Double(f)
		})),
		function("num", cel.MemberOverload("doc_num_string_double", []*cel.Type{cel.DynType, cel.StringType, cel.DoubleType}, cel.DoubleType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				m, ok := nativeMap(args[0])
				k, ok2 := args[1].(types.String)
				d, ok3 := args[2].(types.Double)
				if !ok || !ok2 || !ok3 {
					return types.NoSuchOverloadErr()
				}
				if v, ok := lookup(m, string(k)); ok {
					if f, ok := toFloat(v); ok {
						return types.Double(f)
					}
				}
				return d
			}))),
		docFn("str", []*cel.Type{cel.DynType, cel.StringType}, cel.StringType, keyed(func(m map[string]any, k string) ref.Val {
			v, _ := lookup(m, k)
			s, _ := v.(string)
			return types.String(s)
		})),
		docFn("list", []*cel.Type{cel.DynType, cel.StringType}, listDyn, keyed(func(m map[string]any, k string) ref.Val {
			v, _ := lookup(m, k)
			l, ok := v.([]any)
			if !ok {
				l = nil
			}
			if ss, ok := strings_(l); ok && len(ss) > 0 {
				return newStrings(ss)
			}
			return types.NewDynamicList(types.DefaultTypeAdapter, l)
		})),
		docFn("chars", []*cel.Type{cel.DynType, cel.StringType}, cel.IntType, keyed(func(m map[string]any, k string) ref.Val {
			return types.Int(chars(m, k, nil))
		})),
		function("chars", cel.MemberOverload("doc_chars_string_list", []*cel.Type{cel.DynType, cel.StringType, listDyn}, cel.IntType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				m, ok := nativeMap(args[0])
				k, ok2 := args[1].(types.String)
				if !ok || !ok2 {
					return types.NoSuchOverloadErr()
				}
				return types.Int(chars(m, string(k), stringList(args[2])))
			}))),
		function("texts", cel.MemberOverload("doc_texts_list_list", []*cel.Type{cel.DynType, listDyn, listDyn}, listStrings,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				m, ok := nativeMap(args[0])
				if !ok {
					return types.NoSuchOverloadErr()
				}
				return newStrings(texts(m, stringList(args[1]), stringList(args[2])))
			}))),

		docFn("unfilled", []*cel.Type{cel.DynType, listDyn}, listStrings, cel.BinaryBinding(func(o, ks ref.Val) ref.Val {
			m, ok := nativeMap(o)
			if !ok {
				return types.MaybeNoSuchOverloadErr(o)
			}
			var out []string
			w := walker{m: m}
			for _, k := range stringList(ks) {
				if v, ok := w.lookup(k); !ok || !filled(v) {
					out = append(out, k)
				}
			}
			return newStrings(out)
		})),
		docFn("filled_keys", []*cel.Type{cel.DynType, cel.StringType}, listStrings, keyed(func(m map[string]any, k string) ref.Val {
			v, _ := lookup(m, k)
			obj, _ := v.(map[string]any)
			var out []string
			for key, e := range obj {
				if filled(e) {
					out = append(out, key)
				}
			}
			return newStrings(out)
		})),
		docFn("unmatched", []*cel.Type{cel.DynType, listDyn, cel.DynType}, listDyn, cel.FunctionBinding(func(args ...ref.Val) ref.Val {
			// The entries {key, format} whose value is present and does not match
			// the pattern of its format; formats without a pattern are skipped.
			m, ok := nativeMap(args[0])
			entries, ok2 := args[1].(traits.Lister)
			patterns, ok3 := args[2].(traits.Mapper)
			if !ok || !ok2 || !ok3 {
				return types.NoSuchOverloadErr()
			}
			var out []ref.Val
			for it := entries.Iterator(); it.HasNext() == types.True; {
				entry := it.Next()
				em, ok := entry.(traits.Mapper)
				if !ok {
					return types.NewErr("unmatched：条目应为 {key, format}")
				}
				key, _ := em.Get(types.String("key")).(types.String)
				format := em.Get(types.String("format"))
				pat, found := patterns.Find(format)
				if !found {
					continue
				}
				v, ok := lookup(m, string(key))
				str, isStr := v.(string)
				if !ok || !isStr || !present(str) {
					continue
				}
				p, _ := pat.(types.String)
				re, err := lib.regexp(string(p))
				if err != nil {
					return types.NewErr("%v", err)
				}
				if !re.MatchString(strings.TrimSpace(str)) {
					out = append(out, entry)
				}
			}
			return types.NewRefValList(types.DefaultTypeAdapter, out)
		})),
		docFn("over_limits", []*cel.Type{cel.DynType, listDyn}, listDyn, cel.BinaryBinding(func(o, l ref.Val) ref.Val {
			// The entries {key, max, columns} whose 字 count exceeds max, each
			// with its count added as "count".
			m, ok := nativeMap(o)
			entries, ok2 := l.(traits.Lister)
			if !ok || !ok2 {
				return types.MaybeNoSuchOverloadErr(o)
			}
			var out []ref.Val
			for it := entries.Iterator(); it.HasNext() == types.True; {
				em, ok := it.Next().(traits.Mapper)
				if !ok {
					return types.NewErr("over_limits：条目应为 {key, max, columns}")
				}
				key, _ := em.Get(types.String("key")).(types.String)
				limit, _ := em.Get(types.String("max")).(types.Int)
				n := chars(m, string(key), stringList(em.Get(types.String("columns"))))
				if n > int(limit) {
					out = append(out, types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{
						"key": string(key), "max": int64(limit), "count": int64(n)}))
				}
			}
			return types.NewRefValList(types.DefaultTypeAdapter, out)
		})),
		docFn("lacking", []*cel.Type{cel.DynType, cel.StringType, listDyn}, listStrings, cel.FunctionBinding(func(args ...ref.Val) ref.Val {
			// The labels of the options opts that the set field k does not hold.
			m, ok := nativeMap(args[0])
			k, ok2 := args[1].(types.String)
			if !ok || !ok2 {
				return types.NoSuchOverloadErr()
			}
			v, _ := lookup(m, string(k))
			have, _ := v.([]any)
			fl := lib.form.Field(string(k))
			var out []string
			for _, o := range stringList(args[2]) {
				if !slices.Contains(have, any(o)) {
					if fl != nil {
						o = fl.OptionLabel(o)
					}
					out = append(out, o)
				}
			}
			return newStrings(out)
		})),
		docFn("greater", []*cel.Type{cel.DynType, cel.StringType, cel.StringType}, cel.BoolType, cel.FunctionBinding(func(args ...ref.Val) ref.Val {
			// Both numbers are filled and the first is greater.
			m, ok := nativeMap(args[0])
			a, ok2 := args[1].(types.String)
			b, ok3 := args[2].(types.String)
			if !ok || !ok2 || !ok3 {
				return types.NoSuchOverloadErr()
			}
			va, oka := lookup(m, string(a))
			vb, okb := lookup(m, string(b))
			fa, oka2 := toFloat(va)
			fb, okb2 := toFloat(vb)
			return types.Bool(oka && okb && oka2 && okb2 && fa > fb)
		})),
		docFn("sum", []*cel.Type{cel.DynType, listDyn}, cel.DoubleType, cel.BinaryBinding(func(o, ks ref.Val) ref.Val {
			// The sum of the filled numbers among the keys.
			m, ok := nativeMap(o)
			if !ok {
				return types.MaybeNoSuchOverloadErr(o)
			}
			total := 0.0
			for _, k := range stringList(ks) {
				if v, ok := lookup(m, k); ok {
					if f, ok := toFloat(v); ok {
						total += f
					}
				}
			}
			return types.Double(total)
		})),
		function("column", cel.MemberOverload("doc_column_string_string", []*cel.Type{cel.DynType, cel.StringType, cel.StringType}, listDyn,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				m, ok := nativeMap(args[0])
				k, ok2 := args[1].(types.String)
				c, ok3 := args[2].(types.String)
				if !ok || !ok2 || !ok3 {
					return types.NoSuchOverloadErr()
				}
				v, _ := lookup(m, string(k))
				rows, _ := v.([]any)
				// A column of text (the common case) is a list of strings,
				// read without boxing each item.
				var ss []string
				text := true
				for _, row := range rows {
					r, _ := row.(map[string]any)
					if x, ok := r[string(c)]; ok && present(x) {
						s, isText := x.(string)
						if !isText {
							text = false
							break
						}
						if ss == nil {
							ss = make([]string, 0, len(rows))
						}
						ss = append(ss, s)
					}
				}
				if text {
					return newStrings(ss)
				}
				out := make([]any, 0, len(rows))
				for _, row := range rows {
					r, _ := row.(map[string]any)
					if x, ok := r[string(c)]; ok && present(x) {
						out = append(out, x)
					}
				}
				return types.NewDynamicList(types.DefaultTypeAdapter, out)
			}))),
		function("except", cel.Overload("except_list_list", []*cel.Type{listDyn, listDyn}, listDyn,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				la, ok := a.(traits.Lister)
				lb, ok2 := b.(traits.Lister)
				if !ok || !ok2 {
					return types.MaybeNoSuchOverloadErr(a)
				}
				if sa, sb, ok := allStrings(la), allStrings(lb), true; ok && sa != nil && sb != nil {
					var out []string
					if len(sa) > 0 {
						out = make([]string, 0, len(sa))
					}
					for _, x := range sa {
						if !slices.Contains(sb, x) {
							out = append(out, x)
						}
					}
					return newStrings(out)
				}
				var out []ref.Val
				n, _ := la.Size().(types.Int)
				for i := types.Int(0); i < n; i++ {
					if x := la.Get(i); lb.Contains(x) != types.True {
						out = append(out, x)
					}
				}
				return types.NewRefValList(types.DefaultTypeAdapter, out)
			}))),
		function("found_in", cel.Overload("found_in_list_dyn", []*cel.Type{listDyn, cel.DynType}, listStrings,
			cel.BinaryBinding(func(needles, hay ref.Val) ref.Val {
				// A list is joined with line breaks, which no needle holds, so that a
				// single search per needle cannot match across two items.
				var h types.String
				switch x := hay.(type) {
				case types.String:
					h = x
				case *strList:
					h = types.String(x.text())
				default:
					h = types.String(strings.Join(stringList(hay), "\n"))
				}
				ns := stringList(needles)
				var out []string
				if len(ns) > 0 {
					out = make([]string, 0, len(ns))
				}
				for _, n := range ns {
					if n != "" && containsText(string(h), n) {
						out = append(out, n)
					}
				}
				return newStrings(out)
			}))),
		function("containing", cel.Overload("containing_list_list", []*cel.Type{listDyn, listDyn}, listStrings,
			cel.BinaryBinding(func(hay, needles ref.Val) ref.Val {
				ns := stringList(needles)
				var out []string
				for _, s := range stringList(hay) {
					for _, n := range ns {
						if containsText(s, n) {
							out = append(out, s)
							break
						}
					}
				}
				return newStrings(out)
			}))),
		function("labels", cel.Overload("labels_string_list", []*cel.Type{cel.StringType, listDyn}, listStrings,
			cel.BinaryBinding(func(k, opts ref.Val) ref.Val {
				key, ok := k.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(k)
				}
				fl := lib.form.Field(string(key))
				list := stringList(opts)
				out := make([]string, len(list))
				for i, o := range list {
					out[i] = o
					if fl != nil {
						out[i] = fl.OptionLabel(o)
					}
				}
				return newStrings(out)
			}))),
		function("texts", cel.MemberOverload("doc_texts_list_list_string", []*cel.Type{cel.DynType, listDyn, listDyn, cel.StringType}, cel.StringType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				m, ok := nativeMap(args[0])
				sep, ok2 := args[3].(types.String)
				if !ok || !ok2 {
					return types.NoSuchOverloadErr()
				}
				return types.String(strings.Join(texts(m, stringList(args[1]), stringList(args[2])), string(sep)))
			}))),
		function("text", cel.Overload("text_dyn", []*cel.Type{cel.DynType}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.String(format(v)) }))),
		function("cat", cel.Overload("cat_list", []*cel.Type{listDyn}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				l, ok := v.(traits.Lister)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				var buf [128]byte
				b := buf[:0]
				n, _ := l.Size().(types.Int)
				for i := types.Int(0); i < n; i++ {
					b = appendText(b, l.Get(i))
				}
				return types.String(b)
			}))),
		function("pct", cel.Overload("pct_dyn", []*cel.Type{cel.DynType}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				f, ok := toFloat(v.Value())
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				return types.String(percent(f))
			}))),
		function("sum", cel.Overload("sum_list", []*cel.Type{listDyn}, cel.DoubleType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				l, ok := v.(traits.Lister)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				total := 0.0
				for it := l.Iterator(); it.HasNext() == types.True; {
					f, ok := toFloat(it.Next().Value())
					if !ok {
						return types.NewErr("sum：列表中有非数字项")
					}
					total += f
				}
				return types.Double(total)
			}))),
		function("label", cel.Overload("label_string", []*cel.Type{cel.StringType}, cel.StringType,
			str(func(s string) ref.Val { return types.String(lib.label(s)) }))),
		function("short_label", cel.Overload("short_label_string", []*cel.Type{cel.StringType}, cel.StringType,
			str(func(s string) ref.Val {
				l := lib.label(s)
				if i := strings.Index(l, "："); i > 0 {
					l = l[:i]
				}
				return types.String(l)
			}))),
		function("option_label", cel.Overload("option_label_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType,
			cel.BinaryBinding(func(k, o ref.Val) ref.Val {
				key, ok := k.(types.String)
				opt, ok2 := o.(types.String)
				if !ok || !ok2 {
					return types.MaybeNoSuchOverloadErr(k)
				}
				if fl := lib.form.Field(string(key)); fl != nil {
					return types.String(fl.OptionLabel(string(opt)))
				}
				return opt
			}))),
		function("re_match", cel.Overload("re_match_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(s, p ref.Val) ref.Val {
				str, ok := s.(types.String)
				pat, ok2 := p.(types.String)
				if !ok || !ok2 {
					return types.MaybeNoSuchOverloadErr(s)
				}
				re, err := lib.regexp(string(pat))
				if err != nil {
					return types.NewErr("%v", err)
				}
				return types.Bool(re.MatchString(string(str)))
			}))),
		function("uscc_error", cel.Overload("uscc_error_string", []*cel.Type{cel.StringType}, cel.StringType,
			str(func(s string) ref.Val {
				if err := uscc.Validate(s); err != nil {
					return types.String(biopilot.ErrorMessage(err))
				}
				return types.String("")
			}))),
		function("uscc_division", cel.Overload("uscc_division_string", []*cel.Type{cel.StringType}, cel.StringType,
			str(func(s string) ref.Val { return types.String(uscc.Division(s)) }))),
	}
}
