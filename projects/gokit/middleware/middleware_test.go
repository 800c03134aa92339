package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"none", "", false},
		{"kept", "abc-123_X.y", true},
		{"too long", strings.Repeat("a", 65), false},
		{"header injection", "abc\r\nSet-Cookie: x=1", false},
		{"spaces", "a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestIDFrom(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.incoming != "" {
				r.Header[http.CanonicalHeaderKey(RequestIDHeader)] = []string{tt.incoming}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			echoed := rec.Header().Get(RequestIDHeader)
			if seen == "" || seen != echoed {
				t.Fatalf("context ID %q, response ID %q: want equal and non-empty", seen, echoed)
			}
			if (seen == tt.incoming) != tt.keep {
				t.Fatalf("ID = %q from incoming %q, keep = %v", seen, tt.incoming, tt.keep)
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := newRequestID()
		if seen[id] || !validRequestID(id) {
			t.Fatalf("generated ID %q is repeated or invalid", id)
		}
		seen[id] = true
	}
}

func newLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, nil))
}

func decodeLog(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		records = append(records, rec)
	}
	return records
}

func TestLogging(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantCode  float64
		wantLevel string
		wantBytes float64
	}{
		{"implicit 200", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) }, 200, "INFO", 5},
		{"no body", func(w http.ResponseWriter, r *http.Request) {}, 200, "INFO", 0},
		{"not found", http.NotFound, 404, "INFO", 19},
		{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, 503, "ERROR", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := Chain(tt.handler, RequestID, Logging(newLogger(&buf)))
			r := httptest.NewRequest(http.MethodGet, "/things/1", nil)
			r.Header.Set(RequestIDHeader, "req-1")
			h.ServeHTTP(httptest.NewRecorder(), r)
			records := decodeLog(t, &buf)
			if len(records) != 1 {
				t.Fatalf("got %d log records, want 1", len(records))
			}
			rec := records[0]
			if rec["status"] != tt.wantCode || rec["level"] != tt.wantLevel || rec["bytes"] != tt.wantBytes {
				t.Errorf("record %v: want status %v level %v bytes %v", rec, tt.wantCode, tt.wantLevel, tt.wantBytes)
			}
			if rec["path"] != "/things/1" || rec["method"] != "GET" || rec["request_id"] != "req-1" {
				t.Errorf("record %v lacks method, path or request_id", rec)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantCode int
		wantBody string
	}{
		{"panic before writing", func(w http.ResponseWriter, r *http.Request) { panic("boom") }, 500, `{"error":"internal server error"}`},
		{"panic after writing", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			panic("late")
		}, 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := newLogger(&buf)
			h := Chain(tt.handler, RequestID, Logging(logger), Recover(logger))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != tt.wantCode || strings.TrimSpace(rec.Body.String()) != tt.wantBody {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
			records := decodeLog(t, &buf)
			if len(records) != 2 || records[0]["msg"] != "panic" || records[1]["msg"] != "request" {
				t.Fatalf("log records = %v, want a panic record then a request record", records)
			}
			if stack, _ := records[0]["stack"].(string); !strings.Contains(stack, "middleware") {
				t.Errorf("panic record lacks a stack trace: %v", records[0])
			}
			if records[1]["status"] != float64(tt.wantCode) {
				t.Errorf("request record status = %v, want %d", records[1]["status"], tt.wantCode)
			}
		})
	}
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	h := Recover(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler to propagate", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestChainOrder(t *testing.T) {
	var order []string
	mark := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") }),
		mark("outer"), mark("inner"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := strings.Join(order, ","); got != "outer,inner,handler" {
		t.Fatalf("order = %s", got)
	}
}
