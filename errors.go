// Package biopilot holds the domain types of the biomanufacturing pilot-platform call:
// people, organisations, applications and their states, and the one error type that
// every layer returns. It has no HTTP and no SQL in it.
package biopilot

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer turns each into one status, in one place.
const (
	EINVALID      = "invalid"      // 422: the input is wrong; Field names it
	EBADREQUEST   = "bad_request"  // 400: the request is malformed
	EUNAUTHORIZED = "unauthorized" // 401: not logged in
	EFORBIDDEN    = "forbidden"    // 403: logged in, may see it, may not do it
	ENOTFOUND     = "not_found"    // 404: absent, or not the caller's to see
	ECONFLICT     = "conflict"     // 409: stale version, duplicate, or wrong state
	ETOOMANY      = "too_many"     // 429: throttled
	ETOOLARGE     = "too_large"    // 413: over a size limit
	EDEADLINE     = "deadline"     // 403: a deadline has passed
	EINTERNAL     = "internal"     // 500
)

// Error is the error type of the application. Message is Chinese and safe to show;
// Field names the key path or form field concerned, when there is one.
type Error struct {
	Code    string
	Message string
	Field   string
	// Fields carries every field error of a validation, when there are several.
	Fields []FieldError
	// Detail carries data for the caller (the current document on a conflict).
	Detail any
}

// FieldError is one problem with one field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted Chinese message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error about one field.
func FieldErrorf(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: msg, Field: field, Fields: []FieldError{{field, msg}}}
}

// ErrorCode returns the code of an *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an *Error in err's chain, or a generic one:
// internal details are never shown to users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "系统内部错误，请稍后重试。"
}

// ErrorField returns the field of an *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
