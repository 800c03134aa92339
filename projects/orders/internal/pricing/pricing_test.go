package pricing

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-monorepo/tandem/projects/orders/internal/retry"
)

const goodQuote = `{"subtotal":"30.00","discount_total":"10.00","total":"20.00",` +
	`"discounts":[{"rule":"socks-3-for-2","description":"Buy 2 get 1 free","amount":"10.00"}]}`

// testClient retries without waiting, so that tests spend no time on backoff.
func testClient(url string) *Client {
	c := NewClient(url)
	c.Retry.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	c.AttemptTimeout = time.Second
	return c
}

// scripted answers each call with the next status and body.
func scripted(t *testing.T, answers ...string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		if r.Method != http.MethodPost || r.URL.Path != "/v1/quote" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		}
		var req Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Items) != 1 {
			t.Errorf("request body not a basket: %v", err)
		}
		answer := answers[min(n, len(answers)-1)]
		status := map[byte]int{'2': 200, '4': 400, '5': 503, 'T': 429, 'N': 404}[answer[0]]
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer[1:]))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

var basket = Request{Items: []Item{{SKU: "SOCKS", Quantity: 3, UnitPrice: "10.00"}}, Coupon: "SAVE10"}

func TestQuote(t *testing.T) {
	tests := []struct {
		name      string
		answers   []string
		wantCalls int32
		wantTotal string
		wantErr   string
	}{
		{"priced at once", []string{"2" + goodQuote}, 1, "20.00", ""},
		{"retried after 503", []string{"5", "5", "2" + goodQuote}, 3, "20.00", ""},
		{"retried after 429", []string{"T", "2" + goodQuote}, 2, "20.00", ""},
		{"gives up after 4 tries", []string{"5"}, 4, "", "gave up after 4 attempts: pricing answered 503"},
		{"rejection not retried", []string{`4{"error":"unknown coupon code \"NOPE\""}`}, 1, "",
			`pricing rejected the basket (400): unknown coupon code "NOPE"`},
		{"rejection without JSON", []string{"N<html>"}, 1, "", "pricing rejected the basket (404): Not Found"},
		{"unreadable quote", []string{"2{}"}, 1, "", "pricing sent an unreadable quote: {}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := scripted(t, tt.answers...)
			q, err := testClient(srv.URL).Quote(context.Background(), basket)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Quote() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || q.Total != tt.wantTotal || len(q.Discounts) != 1 {
				t.Fatalf("Quote() = %+v, %v", q, err)
			}
		})
	}
}

func TestRejectedErrorIsTyped(t *testing.T) {
	srv, _ := scripted(t, `4{"error":"items[0].quantity must be at least 1"}`)
	_, err := testClient(srv.URL).Quote(context.Background(), basket)
	var rejected *RejectedError
	if !errors.As(err, &rejected) || rejected.Status != 400 {
		t.Fatalf("Quote() error = %#v, want *RejectedError with status 400", err)
	}
}

// TestSlowTryIsRetried has the first try hang until its own timeout fires and
// expects the second try to succeed.
func TestSlowTryIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice when the client hangs up
		if calls.Add(1) == 1 {
			<-r.Context().Done() // hang until the client gives up on this try
			return
		}
		_, _ = w.Write([]byte(goodQuote))
	}))
	defer srv.Close()
	c := testClient(srv.URL)
	c.AttemptTimeout = 50 * time.Millisecond
	q, err := c.Quote(context.Background(), basket)
	if err != nil || q.Total != "20.00" || calls.Load() != 2 {
		t.Fatalf("Quote() = %+v, %v after %d calls", q, err, calls.Load())
	}
}

func TestCancelledCallerStopsRetrying(t *testing.T) {
	srv, calls := scripted(t, "5")
	ctx, cancel := context.WithCancel(context.Background())
	c := testClient(srv.URL)
	c.Retry.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := c.Quote(ctx, basket)
	if !errors.Is(err, context.Canceled) || calls.Load() != 1 {
		t.Fatalf("Quote() = %v after %d calls, want Canceled after 1", err, calls.Load())
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := testClient(url)
	c.Retry = retry.Policy{Attempts: 2, Sleep: c.Retry.Sleep}
	if _, err := c.Quote(context.Background(), basket); err == nil {
		t.Fatal("Quote() against a closed port succeeded")
	}
	if err := c.Ping(context.Background()); err == nil {
		t.Fatal("Ping() against a closed port succeeded")
	}
}

func TestPing(t *testing.T) {
	for _, status := range []int{200, 503} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				t.Errorf("path = %s", r.URL.Path)
			}
			w.WriteHeader(status)
		}))
		err := NewClient(srv.URL + "/").Ping(context.Background())
		srv.Close()
		if (err == nil) != (status == 200) {
			t.Errorf("Ping() with status %d = %v", status, err)
		}
	}
}
