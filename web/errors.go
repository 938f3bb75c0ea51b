package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"biopilot"
)

// HTTPStatus maps an error code to its HTTP status. It is the only place that does.
func HTTPStatus(code string) int {
	switch code {
	case biopilot.EINVALID:
		return http.StatusUnprocessableEntity
	case biopilot.EBADREQUEST:
		return http.StatusBadRequest
	case biopilot.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case biopilot.EFORBIDDEN, biopilot.EDEADLINE:
		return http.StatusForbidden
	case biopilot.ENOTFOUND:
		return http.StatusNotFound
	case biopilot.ECONFLICT:
		return http.StatusConflict
	case biopilot.ETOOMANY:
		return http.StatusTooManyRequests
	case biopilot.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// internalMessage is all a user learns of an internal error; the error is logged.
const internalMessage = "系统内部错误，请稍后重试。"

// errorJSON is the body of every API error:
// {"error":{"code","message","field","fields"}, "current":{…}}.
type errorJSON struct {
	Error   errorDetail `json:"error"`
	Current any         `json:"current,omitempty"`
}

type errorDetail struct {
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Field   string                `json:"field,omitempty"`
	Fields  []biopilot.FieldError `json:"fields,omitempty"`
}

// classify turns any error into its code, status and safe message, logging what
// users must not see.
func (s *Server) classify(r *http.Request, err error) (*biopilot.Error, int) {
	e := biopilot.AsError(err)
	if e == nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			e = biopilot.Errorf(biopilot.ETOOLARGE, "请求内容超过 %d MB 的上限", mbe.Limit>>20)
		}
	}
	if e == nil || HTTPStatus(e.Code) == http.StatusInternalServerError {
		s.logger.ErrorContext(r.Context(), "internal error", "method", r.Method,
			"path", r.URL.Path, "err", err)
		return &biopilot.Error{Code: biopilot.EINTERNAL, Message: internalMessage}, http.StatusInternalServerError
	}
	return e, HTTPStatus(e.Code)
}

// apiError writes err as a JSON error.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	e, status := s.classify(r, err)
	body := errorJSON{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field, Fields: e.Fields}}
	if e.Code == biopilot.ECONFLICT {
		if app, ok := e.Detail.(*biopilot.Application); ok && app != nil {
			body.Current = s.currentJSON(app)
		}
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, status, body)
}

// writeJSON writes v as JSON with a status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// jsonItems maps each of xs to its JSON object; an empty list is [] in JSON.
func jsonItems[T any](xs []T, toJSON func(T) map[string]any) []map[string]any {
	items := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		items = append(items, toJSON(x))
	}
	return items
}

// decodeJSON decodes a request body strictly into v: malformed JSON is EBADREQUEST,
// an unknown key is EBADREQUEST naming it, an oversized body ETOOLARGE.
func decodeJSON(r *http.Request, v any) error {
	return decodeJSONFrom(r.Body, v)
}

// decodeJSONFrom is decodeJSON from any reader.
func decodeJSONFrom(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonBodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return biopilot.Errorf(biopilot.EBADREQUEST, "请求体在 JSON 之后还有多余内容")
	}
	return nil
}

func jsonBodyError(err error) error {
	var mbe *http.MaxBytesError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return biopilot.Errorf(biopilot.ETOOLARGE, "请求内容超过 %d MB 的上限", mbe.Limit>>20)
	case errors.Is(err, io.EOF):
		return biopilot.Errorf(biopilot.EBADREQUEST, "请求体为空，应为 JSON 对象")
	case errors.As(err, &typ):
		msg := "字段 " + typ.Field + " 的类型错误，应为" + jsonKind(typ.Type.Kind().String())
		return &biopilot.Error{Code: biopilot.EINVALID, Message: msg, Field: typ.Field,
			Fields: []biopilot.FieldError{{Field: typ.Field, Message: msg}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		msg := "未知的字段 " + name
		return &biopilot.Error{Code: biopilot.EBADREQUEST, Message: msg, Field: name}
	}
	return biopilot.Errorf(biopilot.EBADREQUEST, "请求体不是有效的 JSON：%v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "文本"
	case "bool":
		return "布尔值"
	case "struct", "map":
		return "对象"
	case "slice", "array":
		return "列表"
	}
	return "数字"
}

// invalid returns an EINVALID error about one field.
func invalid(field, msg string) error {
	return &biopilot.Error{Code: biopilot.EINVALID, Message: msg, Field: field,
		Fields: []biopilot.FieldError{{Field: field, Message: msg}}}
}
