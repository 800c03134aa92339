package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tandem-monorepo/tandem/projects/gokit/signature"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/order"
)

type delivery struct {
	header http.Header
	body   []byte
}

// receiver answers each delivery with the next status and records what came.
func receiver(t *testing.T, statuses ...int) (*httptest.Server, func() []delivery) {
	t.Helper()
	var mu sync.Mutex
	var got []delivery
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.Header.Clone(), body})
		status := statuses[min(len(got), len(statuses))-1]
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []delivery {
		mu.Lock()
		defer mu.Unlock()
		return append([]delivery(nil), got...)
	}
}

func testSender(url string, now time.Time) *Sender {
	s := NewSender(url, []byte("whsec_test"))
	s.Retry.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	s.Now = func() time.Time { return now }
	return s
}

var event = Event{ID: "evt_ord_00000001", Type: "order.completed", Order: order.Order{ID: "ord_00000001", Total: "9.00"}}

func TestSend(t *testing.T) {
	tests := []struct {
		name           string
		statuses       []int
		wantDeliveries int
		wantErr        bool
	}{
		{"accepted", []int{200}, 1, false},
		{"no content is fine", []int{204}, 1, false},
		{"retried after 500", []int{500, 502, 200}, 3, false},
		{"retried after 429", []int{429, 202}, 2, false},
		{"refusal not retried", []int{400}, 1, true},
		{"gone not retried", []int{410}, 1, true},
		{"gives up", []int{503}, 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1_700_000_000, 0)
			srv, deliveries := receiver(t, tt.statuses...)
			err := testSender(srv.URL, now).Send(context.Background(), event)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send() = %v, want error %v", err, tt.wantErr)
			}
			got := deliveries()
			if len(got) != tt.wantDeliveries {
				t.Fatalf("%d deliveries, want %d", len(got), tt.wantDeliveries)
			}
			for _, d := range got {
				if err := signature.Verify([]byte("whsec_test"), d.header.Get(signature.Header), d.body, now, time.Minute); err != nil {
					t.Errorf("delivery signature does not verify: %v", err)
				}
			}
		})
	}
}

func TestDeliveryContent(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	srv, deliveries := receiver(t, 200)
	if err := testSender(srv.URL, now).Send(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	d := deliveries()[0]
	wantHeaders := map[string]string{
		"Content-Type":   "application/json",
		EventHeader:      "order.completed",
		IDHeader:         "evt_ord_00000001",
		signature.Header: signature.Sign([]byte("whsec_test"), now, d.body),
	}
	for k, v := range wantHeaders {
		if got := d.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	var back Event
	if err := json.Unmarshal(d.body, &back); err != nil || back.Order.Total != "9.00" || back.Type != event.Type {
		t.Fatalf("body %s decodes to %+v, %v", d.body, back, err)
	}
	if err := signature.Verify([]byte("wrong"), d.header.Get(signature.Header), d.body, now, time.Minute); err == nil {
		t.Fatal("signature verifies with the wrong secret")
	}
}

func TestEachTryIsSignedAtItsOwnTime(t *testing.T) {
	srv, deliveries := receiver(t, 503, 200)
	s := testSender(srv.URL, time.Time{})
	tick := time.Unix(1_700_000_000, 0)
	s.Now = func() time.Time { tick = tick.Add(time.Minute); return tick }
	if err := s.Send(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	got := deliveries()
	first, _ := signature.Parse(got[0].header.Get(signature.Header))
	second, _ := signature.Parse(got[1].header.Get(signature.Header))
	if second.Timestamp-first.Timestamp != 60 {
		t.Fatalf("timestamps %d and %d: a retry must be signed at its own time", first.Timestamp, second.Timestamp)
	}
}

func TestUnreachableReceiver(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if err := testSender(url, time.Now()).Send(context.Background(), event); err == nil {
		t.Fatal("Send() to a closed port succeeded")
	}
}
