package web

import (
	"net/url"

	"biopilot/store"
)

// natForm is a route table body: the same form for every caller.
func natForm(v url.Values) func(*fixture, string, int) any {
	return func(*fixture, string, int) any { return cloneValues(v) }
}

// storeAuditFilter selects audit records whose action starts with prefix.
func storeAuditFilter(prefix string) store.AuditFilter {
	return store.AuditFilter{Action: prefix, Limit: 100}
}
