package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tandem-monorepo/tandem/projects/orders/internal/order"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/pricing"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/worker"
)

type flatPricer struct{}

func (flatPricer) Quote(_ context.Context, req pricing.Request) (pricing.Quote, error) {
	if req.Coupon == "NOPE" {
		return pricing.Quote{}, &pricing.RejectedError{Status: 400, Message: "unknown coupon code"}
	}
	return pricing.Quote{Subtotal: "20.00", DiscountTotal: "2.00", Total: "18.00"}, nil
}

var quiet = slog.New(slog.DiscardHandler)

type service struct {
	handler   http.Handler
	store     *order.Store
	processor *worker.Processor
}

// newService runs one worker unless queue is 0, which leaves nobody to take orders.
func newService(t *testing.T, queue int, ready func(context.Context) error) service {
	t.Helper()
	store := order.NewStore(nil)
	p := worker.New(store, flatPricer{}, nil, quiet, queue)
	if queue > 0 {
		p.Start(1)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	h := New(Deps{Store: store, Processor: p, Workers: 1, Logger: quiet, Ready: ready})
	return service{h, store, p}
}

func do(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
	}
	return body
}

const validOrder = `{"customer":"alice@example.com","items":[{"sku":"TEE","quantity":2,"unit_price":"10.00"}],"coupon":"SAVE10"}`

func TestPlaceValidation(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantField  string
		wantMsg    string
	}{
		{"no customer", `{"items":[{"sku":"TEE","quantity":1,"unit_price":"1"}]}`, 400, "customer", "must be 1 to 100 characters"},
		{"no items", `{"customer":"a","items":[]}`, 400, "items", "must hold 1 to 50 items"},
		{"bad sku", `{"customer":"a","items":[{"sku":"tee","quantity":1,"unit_price":"1"}]}`, 400, "items[0].sku", "must be 2 to 32 upper-case letters, digits or hyphens"},
		{"zero quantity", `{"customer":"a","items":[{"sku":"TEE","quantity":0,"unit_price":"1"}]}`, 400, "items[0].quantity", "must be between 1 and 1000"},
		{"huge quantity", `{"customer":"a","items":[{"sku":"TEE","quantity":1001,"unit_price":"1"}]}`, 400, "items[0].quantity", "must be between 1 and 1000"},
		{"free item", `{"customer":"a","items":[{"sku":"TEE","quantity":1,"unit_price":"0"}]}`, 400, "items[0].unit_price", `must be a positive decimal string such as "12.50"`},
		{"float price", `{"customer":"a","items":[{"sku":"TEE","quantity":1,"unit_price":"1.005"}]}`, 400, "items[0].unit_price", `must be a positive decimal string such as "12.50"`},
		{"duplicate sku", `{"customer":"a","items":[{"sku":"TEE","quantity":1,"unit_price":"1"},{"sku":"TEE","quantity":1,"unit_price":"1"}]}`, 400, "items[1].sku", "repeats items[0]; add up the quantities instead"},
		{"bad coupon", `{"customer":"a","coupon":"10% OFF","items":[{"sku":"TEE","quantity":1,"unit_price":"1"}]}`, 400, "coupon", "must be 1 to 32 letters, digits or hyphens"},
		{"price as number", `{"customer":"a","items":[{"sku":"TEE","quantity":1,"unit_price":1}]}`, 400, "", `field "items.unit_price" must be a JSON string`},
		{"unknown field", `{"customer":"a","item":[]}`, 400, "", `unknown field "item"`},
		{"not JSON", `customer=a`, 400, "", "malformed JSON at byte 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(t, 10, nil)
			rec := do(svc.handler, "POST", "/orders", tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			body := decode(t, rec)
			got := body["error"]
			if tt.wantField != "" {
				got = body["fields"].(map[string]any)[tt.wantField]
			}
			if got != tt.wantMsg {
				t.Fatalf("message = %v, want %q (body %v)", got, tt.wantMsg, body)
			}
			if n := len(svc.store.List("", 10)); n != 0 {
				t.Fatalf("an invalid order was stored (%d orders)", n)
			}
		})
	}
}

func TestPlaceAndFetch(t *testing.T) {
	svc := newService(t, 10, nil)
	rec := do(svc.handler, "POST", "/orders", validOrder)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	placed := decode(t, rec)
	id := placed["id"].(string)
	if rec.Header().Get("Location") != "/orders/"+id || placed["status"] != "pending" {
		t.Fatalf("placed = %v, Location %q", placed, rec.Header().Get("Location"))
	}
	bad := do(svc.handler, "POST", "/orders", strings.Replace(validOrder, "SAVE10", "NOPE", 1))
	badID := decode(t, bad)["id"].(string)
	if err := svc.processor.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path       string
		wantStatus int
		wantField  string
		wantValue  any
	}{
		{"/orders/" + id, 200, "status", "completed"},
		{"/orders/" + id, 200, "total", "18.00"},
		{"/orders/" + id, 200, "customer", "alice@example.com"},
		{"/orders/" + badID, 200, "status", "failed"},
		{"/orders/" + badID, 200, "reason", "unknown coupon code"},
		{"/orders/ord_99999999", 404, "error", `order "ord_99999999" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.wantField, func(t *testing.T) {
			rec := do(svc.handler, "GET", tt.path, "")
			if rec.Code != tt.wantStatus || decode(t, rec)[tt.wantField] != tt.wantValue {
				t.Fatalf("GET %s = %d %s, want %d with %s=%v", tt.path, rec.Code, rec.Body, tt.wantStatus, tt.wantField, tt.wantValue)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	full := newService(t, 0, nil)
	closed := newService(t, 10, nil)
	if err := closed.processor.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		svc        service
		wantStatus int
		wantMsg    string
	}{
		{"queue full", full, 429, "order queue is full; try again shortly"},
		{"shutting down", closed, 503, "order processing has stopped; try again shortly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(tt.svc.handler, "POST", "/orders", validOrder)
			if rec.Code != tt.wantStatus || decode(t, rec)["error"] != tt.wantMsg {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
			if rec.Header().Get("Retry-After") != "1" {
				t.Error("no Retry-After header")
			}
			if n := len(tt.svc.store.List("", 10)); n != 0 {
				t.Fatalf("a refused order was kept (%d orders)", n)
			}
		})
	}
}

func TestList(t *testing.T) {
	svc := newService(t, 10, nil)
	for range 3 {
		do(svc.handler, "POST", "/orders", validOrder)
	}
	do(svc.handler, "POST", "/orders", strings.Replace(validOrder, "SAVE10", "NOPE", 1))
	if err := svc.processor.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query      string
		wantStatus int
		wantCount  int
	}{
		{"", 200, 4},
		{"?status=completed", 200, 3},
		{"?status=failed", 200, 1},
		{"?status=pending", 200, 0},
		{"?limit=2", 200, 2},
		{"?status=lost", 400, 0},
		{"?limit=0", 400, 0},
	}
	for _, tt := range tests {
		t.Run("query="+tt.query, func(t *testing.T) {
			rec := do(svc.handler, "GET", "/orders"+tt.query, "")
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d: %s", rec.Code, rec.Body)
			}
			if tt.wantStatus == 200 {
				if items := decode(t, rec)["items"].([]any); len(items) != tt.wantCount {
					t.Fatalf("%d orders, want %d", len(items), tt.wantCount)
				}
			}
		})
	}
}

func TestStatusPage(t *testing.T) {
	svc := newService(t, 10, nil)
	empty := do(svc.handler, "GET", "/", "")
	if !strings.Contains(empty.Body.String(), "No orders yet.") {
		t.Fatalf("empty page lacks the no-orders note:\n%s", empty.Body)
	}
	evil := strings.Replace(validOrder, "alice@example.com", `<script>alert(1)</script>`, 1)
	id := decode(t, do(svc.handler, "POST", "/orders", evil))["id"].(string)
	if err := svc.processor.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := do(svc.handler, "GET", "/", "")
	page := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status page answered %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{`<a href="/orders/` + id + `">`, "<td>1</td>", `class="completed"`, "2× TEE", "18.00",
		"&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("status page does not escape customer names")
	}
	if do(svc.handler, "GET", "/missing", "").Code != 404 {
		t.Error("GET /missing is not a 404")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		ready      func(context.Context) error
		wantStatus int
	}{
		{"liveness ignores pricing", "/healthz", func(context.Context) error { return errors.New("down") }, 200},
		{"ready", "/readyz", func(context.Context) error { return nil }, 200},
		{"pricing down", "/readyz", func(context.Context) error { return errors.New("connection refused") }, 503},
		{"no check configured", "/readyz", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec := do(newService(t, 1, tt.ready).handler, "GET", tt.path, ""); rec.Code != tt.wantStatus {
				t.Fatalf("GET %s = %d, want %d: %s", tt.path, rec.Code, tt.wantStatus, rec.Body)
			}
		})
	}
}
