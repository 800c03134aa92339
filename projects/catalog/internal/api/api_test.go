package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-monorepo/tandem/projects/catalog/internal/store"
)

func newHandler(t *testing.T) http.Handler {
	t.Helper()
	clock := func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }
	s, err := store.Open(filepath.Join(t.TempDir(), "catalog.db"), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return New(s, slog.New(slog.DiscardHandler))
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, h http.Handler, method, path, body string) response {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := response{status: rec.Code, header: rec.Header()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, rec.Body.String(), err)
		}
	}
	return res
}

func create(t *testing.T, h http.Handler, sku, price string) string {
	t.Helper()
	res := do(t, h, "POST", "/products", fmt.Sprintf(`{"sku":%q,"name":"Item %s","price":%q}`, sku, sku, price))
	if res.status != http.StatusCreated {
		t.Fatalf("create %s: %d %v", sku, res.status, res.body)
	}
	return res.body["id"].(string)
}

func TestCreate(t *testing.T) {
	h := newHandler(t)
	res := do(t, h, "POST", "/products", `{"sku":"TEE-RED","name":"  Red tee ","price":"15.5","stock":7}`)
	if res.status != http.StatusCreated {
		t.Fatalf("status = %d, body %v", res.status, res.body)
	}
	want := map[string]any{"id": "prd_00000001", "sku": "TEE-RED", "name": "Red tee", "price": "15.50",
		"stock": float64(7), "created_at": "2026-05-01T12:00:00Z", "updated_at": "2026-05-01T12:00:00Z"}
	for k, v := range want {
		if res.body[k] != v {
			t.Errorf("%s = %v, want %v", k, res.body[k], v)
		}
	}
	if loc := res.header.Get("Location"); loc != "/products/prd_00000001" {
		t.Errorf("Location = %q", loc)
	}
	if id := res.header.Get("X-Request-ID"); id == "" {
		t.Error("response has no X-Request-ID")
	}
}

func TestCreateValidation(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantFields map[string]string
	}{
		{"missing everything", `{}`, 400, map[string]string{"sku": "is required", "name": "is required", "price": "is required"}},
		{"lower-case sku", `{"sku":"tee","name":"x","price":"1"}`, 400, map[string]string{"sku": "must be 2 to 32 upper-case letters, digits or hyphens, not starting with a hyphen"}},
		{"sku starts with hyphen", `{"sku":"-TEE","name":"x","price":"1"}`, 400, map[string]string{"sku": "must be 2 to 32 upper-case letters, digits or hyphens, not starting with a hyphen"}},
		{"blank name", `{"sku":"TEE","name":"   ","price":"1"}`, 400, map[string]string{"name": "must be 1 to 200 characters"}},
		{"long name", `{"sku":"TEE","name":"` + strings.Repeat("é", 201) + `","price":"1"}`, 400, map[string]string{"name": "must be 1 to 200 characters"}},
		{"price with three decimals", `{"sku":"TEE","name":"x","price":"1.999"}`, 400, map[string]string{"price": `must be a decimal string with at most 2 decimals, such as "12.50"`}},
		{"negative price", `{"sku":"TEE","name":"x","price":"-1"}`, 400, map[string]string{"price": `must be a decimal string with at most 2 decimals, such as "12.50"`}},
		{"zero price", `{"sku":"TEE","name":"x","price":"0.00"}`, 400, map[string]string{"price": "must be greater than 0"}},
		{"negative stock", `{"sku":"TEE","name":"x","price":"1","stock":-1}`, 400, map[string]string{"stock": "must be between 0 and 1000000"}},
		{"price as number", `{"sku":"TEE","name":"x","price":1.5}`, 400, nil},
		{"unknown field", `{"sku":"TEE","name":"x","price":"1","colour":"red"}`, 400, nil},
		{"malformed", `{"sku":`, 400, nil},
		{"too large", `{"name":"` + strings.Repeat("x", maxBody) + `"}`, 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, newHandler(t), "POST", "/products", tt.body)
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %v)", res.status, tt.wantStatus, res.body)
			}
			if msg, _ := res.body["error"].(string); msg == "" {
				t.Fatalf("no error message in %v", res.body)
			}
			fields, _ := res.body["fields"].(map[string]any)
			if len(fields) != len(tt.wantFields) {
				t.Fatalf("fields = %v, want %v", fields, tt.wantFields)
			}
			for k, v := range tt.wantFields {
				if fields[k] != v {
					t.Errorf("fields[%s] = %v, want %q", k, fields[k], v)
				}
			}
		})
	}
}

func TestProductLifecycle(t *testing.T) {
	h := newHandler(t)
	id := create(t, h, "MUG", "8.00")
	other := create(t, h, "CUP", "4.00")
	steps := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantPrice  string
	}{
		{"get", "GET", "/products/" + id, "", 200, "8.00"},
		{"update", "PUT", "/products/" + id, `{"sku":"MUG","name":"Mug","price":"9.25"}`, 200, "9.25"},
		{"get updated", "GET", "/products/" + id, "", 200, "9.25"},
		{"update to a taken SKU", "PUT", "/products/" + id, `{"sku":"CUP","name":"Mug","price":"9"}`, 409, ""},
		{"create a taken SKU", "POST", "/products", `{"sku":"CUP","name":"Cup","price":"1"}`, 409, ""},
		{"invalid update", "PUT", "/products/" + id, `{"sku":"MUG"}`, 400, ""},
		{"delete", "DELETE", "/products/" + id, "", 204, ""},
		{"get deleted", "GET", "/products/" + id, "", 404, ""},
		{"update deleted", "PUT", "/products/" + id, `{"sku":"MUG","name":"Mug","price":"1"}`, 404, ""},
		{"delete again", "DELETE", "/products/" + id, "", 404, ""},
		{"other survives", "GET", "/products/" + other, "", 200, "4.00"},
		{"wrong method", "PATCH", "/products/" + other, "", 405, ""},
		{"unknown route", "GET", "/nothing", "", 404, ""},
		{"health", "GET", "/healthz", "", 200, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := do(t, h, st.method, st.path, st.body)
			if res.status != st.wantStatus {
				t.Fatalf("status = %d, want %d (body %v)", res.status, st.wantStatus, res.body)
			}
			if st.wantPrice != "" && res.body["price"] != st.wantPrice {
				t.Fatalf("price = %v, want %s", res.body["price"], st.wantPrice)
			}
		})
	}
}

func TestList(t *testing.T) {
	h := newHandler(t)
	for i := range 5 {
		create(t, h, fmt.Sprintf("SKU-%d", i), "1.00")
	}
	tests := []struct {
		query      string
		wantStatus int
		wantSKUs   string
		wantNext   any
	}{
		{"", 200, "SKU-0,SKU-1,SKU-2,SKU-3,SKU-4", nil},
		{"?limit=2", 200, "SKU-0,SKU-1", float64(2)},
		{"?limit=2&offset=2", 200, "SKU-2,SKU-3", float64(4)},
		{"?limit=2&offset=4", 200, "SKU-4", nil},
		{"?offset=10", 200, "", nil},
		{"?limit=0", 400, "", nil},
		{"?limit=101", 400, "", nil},
		{"?limit=two", 400, "", nil},
		{"?offset=-1", 400, "", nil},
	}
	for _, tt := range tests {
		t.Run("query="+tt.query, func(t *testing.T) {
			res := do(t, h, "GET", "/products"+tt.query, "")
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%v)", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus != 200 {
				return
			}
			var skus []string
			for _, item := range res.body["items"].([]any) {
				skus = append(skus, item.(map[string]any)["sku"].(string))
			}
			if got := strings.Join(skus, ","); got != tt.wantSKUs {
				t.Errorf("skus = %s, want %s", got, tt.wantSKUs)
			}
			if res.body["total"] != float64(5) || res.body["next_offset"] != tt.wantNext {
				t.Errorf("total = %v, next_offset = %v, want 5 and %v", res.body["total"], res.body["next_offset"], tt.wantNext)
			}
		})
	}
}

func TestConcurrentRequests(t *testing.T) {
	h := newHandler(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	done := make(chan error)
	for i := range 20 {
		go func() {
			body := fmt.Sprintf(`{"sku":"C-%d","name":"n","price":"1"}`, i)
			resp, err := http.Post(srv.URL+"/products", "application/json", strings.NewReader(body))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			if err == nil {
				resp, err = http.Get(srv.URL + "/products?limit=100")
				if err == nil {
					resp.Body.Close()
				}
			}
			done <- err
		}()
	}
	for range 20 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	res := do(t, h, "GET", "/products?limit=100", "")
	if res.body["total"] != float64(20) {
		t.Fatalf("total = %v, want 20", res.body["total"])
	}
}

func TestPanicIsA500(t *testing.T) {
	h := New(nil, slog.New(slog.DiscardHandler)) // a nil store makes every store call panic
	res := do(t, h, "GET", "/products/x", "")
	if res.status != http.StatusInternalServerError || res.body["error"] != "internal server error" {
		t.Fatalf("got %d %v, want a JSON 500", res.status, res.body)
	}
}
