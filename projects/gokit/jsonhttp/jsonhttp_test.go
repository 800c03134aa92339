package jsonhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type payload struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int // 0: no error
		wantMessage string
	}{
		{"valid", "application/json", `{"name":"a","count":2}`, 0, ""},
		{"charset parameter", "application/json; charset=utf-8", `{"name":"a"}`, 0, ""},
		{"no content type", "", `{"name":"a"}`, 0, ""},
		{"trailing whitespace", "application/json", "{\"name\":\"a\"}\n\n", 0, ""},
		{"wrong content type", "text/plain", `{"name":"a"}`, 415, "Content-Type must be application/json"},
		{"empty body", "application/json", ``, 400, "request body must not be empty"},
		{"syntax error", "application/json", `{"name":}`, 400, "malformed JSON at byte 9"},
		{"truncated", "application/json", `{"name":"a"`, 400, "malformed JSON: body ends too early"},
		{"wrong field type", "application/json", `{"count":"two"}`, 400, `field "count" must be a JSON integer`},
		{"wrong array type", "application/json", `{"tags":"x"}`, 400, `field "tags" must be a JSON array`},
		{"not an object", "application/json", `[1,2]`, 400, "request body must be a JSON object"},
		{"unknown field", "application/json", `{"nme":"a"}`, 400, `unknown field "nme"`},
		{"two values", "application/json", `{"name":"a"}{"name":"b"}`, 400, "request body must contain a single JSON value"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", 200) + `"}`, 413, "request body must not be larger than 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			var got payload
			err := Decode(httptest.NewRecorder(), r, &got, 64)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Decode() error = %v, want nil", err)
				}
				if got.Name != "a" {
					t.Fatalf("Decode() name = %q, want %q", got.Name, "a")
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode() error = %v, want *Error", err)
			}
			if e.Status != tt.wantStatus || e.Message != tt.wantMessage {
				t.Fatalf("Decode() = %d %q, want %d %q", e.Status, e.Message, tt.wantStatus, tt.wantMessage)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
	}{
		{"client error", Errorf(404, "product %q not found", "p1"), 404, `{"error":"product \"p1\" not found"}`},
		{"wrapped client error", fmt.Errorf("lookup: %w", Errorf(409, "taken")), 409, `{"error":"taken"}`},
		{"validation", Problems{"sku": "is required"}.Err(), 400, `{"error":"invalid request","fields":{"sku":"is required"}}`},
		{"internal error hides details", errors.New("db password wrong"), 500, `{"error":"internal server error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestWriteUnencodable(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, http.StatusOK, map[string]any{"c": make(chan int)})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] == "" {
		t.Fatalf("body %q is not a JSON error: %v", rec.Body.String(), err)
	}
}

func TestProblems(t *testing.T) {
	p := Problems{}
	if p.Err() != nil {
		t.Fatal("empty Problems must not be an error")
	}
	p.Add("name", "is required")
	p.Add("name", "is too long")
	p.Add("price", "must be positive")
	err := p.Err()
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		t.Fatalf("Err() = %v, want a 400 *Error", err)
	}
	want := "invalid request (name: is required; price: must be positive)"
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestRoutes(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		Write(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		Write(w, http.StatusCreated, map[string]string{})
	})
	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string
		wantAllow    string
	}{
		{"GET", "/items/7", 200, `{"id":"7"}`, ""},
		{"POST", "/items", 201, `{}`, ""},
		{"GET", "/nope", 404, `{"error":"no route for GET /nope"}`, ""},
		{"DELETE", "/items/7", 405, `{"error":"method DELETE is not allowed for /items/7 (allowed: GET, HEAD)"}`, "GET, HEAD"},
		{"GET", "/items", 405, `{"error":"method GET is not allowed for /items (allowed: POST)"}`, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Routes(mux).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus || strings.TrimSpace(rec.Body.String()) != tt.wantBody {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if allow := rec.Header().Get("Allow"); allow != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", allow, tt.wantAllow)
			}
		})
	}
}
