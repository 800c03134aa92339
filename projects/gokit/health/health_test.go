package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func ok(context.Context) error { return nil }

func TestHandler(t *testing.T) {
	tests := []struct {
		name       string
		checks     map[string]Check
		wantStatus int
		want       Report
	}{
		{"no checks", nil, 200, Report{Status: "ok"}},
		{"all pass", map[string]Check{"db": ok, "cache": ok}, 200,
			Report{Status: "ok", Checks: map[string]string{"db": "ok", "cache": "ok"}}},
		{"one fails", map[string]Check{"db": ok, "pricing": func(context.Context) error {
			return errors.New("connection refused")
		}}, 503, Report{Status: "unavailable", Checks: map[string]string{"db": "ok", "pricing": "connection refused"}}},
		{"checks get a deadline", map[string]Check{"deadline": func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("no deadline")
			}
			return nil
		}}, 200, Report{Status: "ok", Checks: map[string]string{"deadline": "ok"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler(tt.checks).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			var got Report
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want.Status || len(got.Checks) != len(tt.want.Checks) {
				t.Fatalf("report = %+v, want %+v", got, tt.want)
			}
			for name, want := range tt.want.Checks {
				if got.Checks[name] != want {
					t.Errorf("check %s = %q, want %q", name, got.Checks[name], want)
				}
			}
		})
	}
}
