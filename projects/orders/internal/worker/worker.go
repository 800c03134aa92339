// Package worker prices and announces orders with a fixed pool of goroutines
// fed by a bounded channel, so that a burst of orders queues up (or is
// refused) instead of opening unbounded connections to the pricing service.
package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tandem-monorepo/tandem/projects/orders/internal/order"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/pricing"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/webhook"
)

var (
	// ErrQueueFull means every queue slot is taken; the client may retry later.
	ErrQueueFull = errors.New("order queue is full")
	// ErrClosed means the processor is shutting down.
	ErrClosed = errors.New("order processing has stopped")
)

// Pricer prices a basket.
type Pricer interface {
	Quote(ctx context.Context, req pricing.Request) (pricing.Quote, error)
}

// Notifier announces a finished order.
type Notifier interface {
	Send(ctx context.Context, ev webhook.Event) error
}

// Processor runs the worker pool.
type Processor struct {
	store    *order.Store
	pricer   Pricer
	notifier Notifier // nil: no webhook configured
	logger   *slog.Logger
	queue    chan string

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// New returns a processor whose queue holds up to queueSize order IDs.
func New(store *order.Store, pricer Pricer, notifier Notifier, logger *slog.Logger, queueSize int) *Processor {
	return &Processor{store: store, pricer: pricer, notifier: notifier, logger: logger,
		queue: make(chan string, queueSize), cancel: func() {}}
}

// Start launches the workers.
func (p *Processor) Start(workers int) {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for id := range p.queue {
				p.process(ctx, id)
			}
		}()
	}
}

// Submit queues order id without blocking.
func (p *Processor) Submit(id string) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	select {
	case p.queue <- id:
		return nil
	default:
		return ErrQueueFull
	}
}

// Queued returns how many orders wait for a worker.
func (p *Processor) Queued() int { return len(p.queue) }

// Shutdown stops taking orders and lets the workers finish the queue. If ctx
// ends first, work in progress is cancelled and Shutdown returns ctx's error
// once every worker has stopped.
func (p *Processor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		p.cancel()
		return nil
	case <-ctx.Done():
		p.cancel()
		<-done
		return ctx.Err()
	}
}

func (p *Processor) process(ctx context.Context, id string) {
	o, ok := p.store.Update(id, func(o *order.Order) { o.Status = order.Processing })
	if !ok {
		return
	}
	q, err := p.pricer.Quote(ctx, basket(o))
	o, _ = p.store.Update(id, func(o *order.Order) { settle(o, q, err) })
	p.logger.Info("order processed", "order", o.ID, "status", o.Status, "total", o.Total, "reason", o.Reason)
	if p.notifier == nil {
		return
	}
	ev := webhook.Event{ID: eventID(), Type: "order." + string(o.Status), CreatedAt: time.Now().UTC(), Order: o}
	outcome := "delivered"
	if err := p.notifier.Send(ctx, ev); err != nil {
		outcome = "failed: " + err.Error()
		p.logger.Warn("webhook not delivered", "order", o.ID, "error", err.Error())
	}
	p.store.Update(id, func(o *order.Order) { o.Webhook = outcome })
}

// eventID is random rather than derived from the order ID, because order IDs
// start again at 1 when the service restarts and receivers deduplicate by event ID.
func eventID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "evt_" + hex.EncodeToString(b[:])
}

func basket(o order.Order) pricing.Request {
	req := pricing.Request{Items: make([]pricing.Item, len(o.Items)), Coupon: o.Coupon}
	for i, it := range o.Items {
		req.Items[i] = pricing.Item{SKU: it.SKU, Quantity: it.Quantity, UnitPrice: it.UnitPrice}
	}
	return req
}

// settle records the quote, or why there is none.
func settle(o *order.Order, q pricing.Quote, err error) {
	var rejected *pricing.RejectedError
	switch {
	case err == nil:
		o.Status, o.Subtotal, o.DiscountTotal, o.Total = order.Completed, q.Subtotal, q.DiscountTotal, q.Total
	case errors.As(err, &rejected):
		o.Status, o.Reason = order.Failed, rejected.Message
	default:
		o.Status, o.Reason = order.Failed, "pricing unavailable: "+err.Error()
	}
}
