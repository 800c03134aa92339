package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tandem-monorepo/tandem/projects/orders/internal/order"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/pricing"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/webhook"
)

// fakePricer counts concurrent calls; with release set, calls wait for it.
type fakePricer struct {
	entered  chan struct{}
	release  chan struct{}
	inflight atomic.Int32
	peak     atomic.Int32
	err      error
}

func (f *fakePricer) Quote(ctx context.Context, req pricing.Request) (pricing.Quote, error) {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return pricing.Quote{}, ctx.Err()
		}
	}
	if f.err != nil {
		return pricing.Quote{}, f.err
	}
	total := fmt.Sprintf("%d.00", req.Items[0].Quantity*10)
	return pricing.Quote{Subtotal: total, DiscountTotal: "0.00", Total: total}, nil
}

type fakeNotifier struct {
	mu     sync.Mutex
	events []webhook.Event
	err    error
}

func (f *fakeNotifier) Send(_ context.Context, ev webhook.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return f.err
}

func (f *fakeNotifier) sent() []webhook.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]webhook.Event(nil), f.events...)
}

var quiet = slog.New(slog.DiscardHandler)

func addOrder(s *order.Store, qty int) string {
	return s.Add("alice", []order.Item{{SKU: "TEE", Quantity: qty, UnitPrice: "10.00"}}, "").ID
}

func TestProcess(t *testing.T) {
	tests := []struct {
		name        string
		pricerErr   error
		notifier    *fakeNotifier
		wantStatus  order.Status
		wantTotal   string
		wantReason  string
		wantWebhook string
		wantEvent   string
	}{
		{"priced", nil, &fakeNotifier{}, order.Completed, "30.00", "", "delivered", "order.completed"},
		{"rejected by pricing", &pricing.RejectedError{Status: 400, Message: `unknown coupon code "NOPE"`}, &fakeNotifier{},
			order.Failed, "", `unknown coupon code "NOPE"`, "delivered", "order.failed"},
		{"pricing down", errors.New("connection refused"), &fakeNotifier{}, order.Failed, "",
			"pricing unavailable: connection refused", "delivered", "order.failed"},
		{"webhook fails", nil, &fakeNotifier{err: errors.New("receiver answered 500")}, order.Completed, "30.00", "",
			"failed: receiver answered 500", "order.completed"},
		{"no webhook configured", nil, nil, order.Completed, "30.00", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := order.NewStore(nil)
			var notifier Notifier
			if tt.notifier != nil {
				notifier = tt.notifier
			}
			p := New(store, &fakePricer{err: tt.pricerErr}, notifier, quiet, 10)
			p.Start(1)
			id := addOrder(store, 3)
			if err := p.Submit(id); err != nil {
				t.Fatal(err)
			}
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			o, _ := store.Get(id)
			if o.Status != tt.wantStatus || o.Total != tt.wantTotal || o.Reason != tt.wantReason || o.Webhook != tt.wantWebhook {
				t.Fatalf("order = %+v", o)
			}
			if tt.notifier == nil {
				return
			}
			events := tt.notifier.sent()
			if len(events) != 1 || events[0].Type != tt.wantEvent || events[0].Order.ID != id || len(events[0].ID) != 28 {
				t.Fatalf("events = %+v, want one %s for %s", events, tt.wantEvent, id)
			}
		})
	}
}

// TestPoolIsBoundedAndCompletesEverything floods a 4-worker pool while other
// goroutines read the store. Under -race this exercises every shared structure;
// in any mode the pool must run exactly 4 quotes at once and finish all orders.
func TestPoolIsBoundedAndCompletesEverything(t *testing.T) {
	const workers, orders = 4, 60
	store := order.NewStore(nil)
	pricer := &fakePricer{entered: make(chan struct{}, orders), release: make(chan struct{})}
	notifier := &fakeNotifier{}
	p := New(store, pricer, notifier, quiet, orders)
	p.Start(workers)

	var submitters sync.WaitGroup
	ids := make(chan string, orders)
	for g := range 6 {
		submitters.Add(1)
		go func() {
			defer submitters.Done()
			for i := range orders / 6 {
				id := addOrder(store, g*10+i+1)
				if err := p.Submit(id); err != nil {
					t.Error(err)
				}
				ids <- id
			}
		}()
	}
	stopReading := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stopReading:
					return
				default:
					store.List("", 10)
					store.Counts()
					p.Queued()
				}
			}
		}()
	}
	for range workers {
		<-pricer.entered // every worker is now inside a quote, holding it open
	}
	close(pricer.release)
	submitters.Wait()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(stopReading)
	readers.Wait()
	close(ids)

	if peak := pricer.peak.Load(); peak != workers {
		t.Errorf("peak concurrent quotes = %d, want exactly %d", peak, workers)
	}
	if c := store.Counts(); c[order.Completed] != orders {
		t.Errorf("counts = %v, want %d completed", c, orders)
	}
	seen, eventIDs := map[string]int{}, map[string]bool{}
	for _, ev := range notifier.sent() {
		seen[ev.Order.ID]++
		if eventIDs[ev.ID] {
			t.Errorf("event ID %s used twice", ev.ID)
		}
		eventIDs[ev.ID] = true
	}
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("order %s announced %d times, want once", id, seen[id])
		}
	}
}

func TestQueueFull(t *testing.T) {
	store := order.NewStore(nil)
	pricer := &fakePricer{entered: make(chan struct{}, 10), release: make(chan struct{})}
	p := New(store, pricer, nil, quiet, 2)
	p.Start(1)
	if err := p.Submit(addOrder(store, 1)); err != nil {
		t.Fatal(err)
	}
	<-pricer.entered // the only worker is busy, so the queue fills up
	for i := range 2 {
		if err := p.Submit(addOrder(store, 1)); err != nil {
			t.Fatalf("submit %d into a free slot: %v", i, err)
		}
	}
	if err := p.Submit(addOrder(store, 1)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Submit() to a full queue = %v, want ErrQueueFull", err)
	}
	if p.Queued() != 2 {
		t.Fatalf("Queued() = %d, want 2", p.Queued())
	}
	close(pricer.release)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Submit(addOrder(store, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit() after Shutdown = %v, want ErrClosed", err)
	}
	if c := store.Counts(); c[order.Completed] != 3 || c[order.Pending] != 2 {
		t.Fatalf("counts = %v, want 3 completed and the 2 refused still pending", c)
	}
}

func TestShutdownDeadlineCancelsWork(t *testing.T) {
	store := order.NewStore(nil)
	pricer := &fakePricer{entered: make(chan struct{}, 10), release: make(chan struct{})} // never released
	p := New(store, pricer, nil, quiet, 10)
	p.Start(1)
	first, second := addOrder(store, 1), addOrder(store, 2)
	for _, id := range []string{first, second} {
		if err := p.Submit(id); err != nil {
			t.Fatal(err)
		}
	}
	<-pricer.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the grace period is already over
	if err := p.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown() = %v, want context.Canceled", err)
	}
	for _, id := range []string{first, second} {
		o, _ := store.Get(id)
		if o.Status != order.Failed || o.Reason != "pricing unavailable: context canceled" {
			t.Errorf("order %s = %s %q, want failed by cancellation", id, o.Status, o.Reason)
		}
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown() = %v, want nil", err)
	}
}

func TestUnknownOrderIsSkipped(t *testing.T) {
	store := order.NewStore(nil)
	pricer := &fakePricer{}
	p := New(store, pricer, nil, quiet, 1)
	p.Start(1)
	if err := p.Submit("ord_gone"); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pricer.peak.Load() != 0 {
		t.Fatal("a removed order was priced")
	}
}
