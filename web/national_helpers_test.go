package web

import "net/url"

// natForm is a route table body: the same form for every caller.
func natForm(v url.Values) func(*fixture, string, int) any {
	return func(*fixture, string, int) any { return cloneValues(v) }
}
