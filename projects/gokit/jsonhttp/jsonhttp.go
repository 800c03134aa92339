// Package jsonhttp reads JSON request bodies under a size limit and writes JSON
// responses. Every client mistake becomes an *Error carrying a 4xx status and a
// message that says what to fix.
package jsonhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"
)

// DefaultMaxBytes is the body limit services use unless they need another.
const DefaultMaxBytes = 1 << 20

// Error is a client-facing error: an HTTP status, a message and, for
// validation failures, one message per offending field.
type Error struct {
	Status  int
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + ": " + e.Fields[name]
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// Errorf returns an *Error with the given status and formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Problems collects validation failures by field name.
type Problems map[string]string

// Add records a problem with field unless one is already recorded.
func (p Problems) Add(field, message string) {
	if _, seen := p[field]; !seen {
		p[field] = message
	}
}

// Err returns nil when there are no problems, or a 400 *Error listing them.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Status: http.StatusBadRequest, Message: "invalid request", Fields: p}
}

// Decode reads exactly one JSON value from the request body into dst. Unknown
// fields, trailing data, a wrong Content-Type and bodies over maxBytes are
// rejected with an *Error.
func Decode(w http.ResponseWriter, r *http.Request, dst any, maxBytes int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mediaType, _, err := mime.ParseMediaType(ct)
		if err != nil || mediaType != "application/json" {
			return Errorf(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return translate(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return Errorf(http.StatusBadRequest, "request body must contain a single JSON value")
	default:
		return translate(err)
	}
}

// translate turns encoding/json and MaxBytesReader errors into client errors.
func translate(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return Errorf(http.StatusRequestEntityTooLarge,
			"request body must not be larger than %d bytes", tooLarge.Limit)
	case errors.As(err, &syntaxErr):
		return Errorf(http.StatusBadRequest, "malformed JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(http.StatusBadRequest, "malformed JSON: body ends too early")
	case errors.As(err, &typeErr):
		return typeError(typeErr)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Errorf(http.StatusBadRequest, "unknown field %s",
			strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF):
		return Errorf(http.StatusBadRequest, "request body must not be empty")
	default:
		return Errorf(http.StatusBadRequest, "invalid JSON: %v", err)
	}
}

func typeError(err *json.UnmarshalTypeError) error {
	if err.Field == "" {
		return Errorf(http.StatusBadRequest, "request body must be a JSON %s", kindName(err.Type))
	}
	return Errorf(http.StatusBadRequest, "field %q must be a JSON %s", err.Field, kindName(err.Type))
}

// kindName names a Go type the way a JSON client thinks of it.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	default:
		return t.String()
	}
}

// Write sends v as a JSON response with the given status.
func Write(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

type errorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// WriteError sends err as a JSON error body. An *Error keeps its status and
// message; anything else is a 500 whose details stay on the server.
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) {
		Write(w, e.Status, errorBody{Error: e.Message, Fields: e.Fields})
		return
	}
	Write(w, http.StatusInternalServerError, errorBody{Error: "internal server error"})
}

// Routes serves mux, but answers requests that match no route in JSON: 404
// for an unknown path and 405 (with the mux's Allow header) for a known path
// with the wrong method.
func Routes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(&jsonFallback{ResponseWriter: w, method: r.Method, path: r.URL.Path}, r)
	})
}

// jsonFallback replaces the mux's plain-text 404 and 405 bodies with JSON.
type jsonFallback struct {
	http.ResponseWriter
	method, path string
}

func (f *jsonFallback) WriteHeader(status int) {
	message := fmt.Sprintf("no route for %s %s", f.method, f.path)
	if status == http.StatusMethodNotAllowed {
		message = fmt.Sprintf("method %s is not allowed for %s (allowed: %s)",
			f.method, f.path, f.Header().Get("Allow"))
	}
	Write(f.ResponseWriter, status, errorBody{Error: message})
}

func (f *jsonFallback) Write(b []byte) (int, error) { return len(b), nil }
