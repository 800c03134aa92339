// Package order defines orders and an in-memory store for them, safe for
// concurrent use by the HTTP handlers and the workers.
package order

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Status is where an order is in its life.
type Status string

// The statuses an order moves through: pending → processing → completed or failed.
const (
	Pending    Status = "pending"
	Processing Status = "processing"
	Completed  Status = "completed"
	Failed     Status = "failed"
)

// Statuses lists every status in life-cycle order.
var Statuses = []Status{Pending, Processing, Completed, Failed}

// Item is one line of an order; prices are decimal strings such as "12.50".
type Item struct {
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitPrice string `json:"unit_price"`
}

// Order is a customer's order and what became of it.
type Order struct {
	ID            string    `json:"id"`
	Customer      string    `json:"customer"`
	Items         []Item    `json:"items"`
	Coupon        string    `json:"coupon,omitempty"`
	Status        Status    `json:"status"`
	Subtotal      string    `json:"subtotal,omitempty"`
	DiscountTotal string    `json:"discount_total,omitempty"`
	Total         string    `json:"total,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	Webhook       string    `json:"webhook,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Store keeps orders by ID.
type Store struct {
	mu     sync.RWMutex
	orders map[string]Order
	seq    int64
	now    func() time.Time
}

// NewStore returns an empty store; now defaults to time.Now.
func NewStore(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{orders: map[string]Order{}, now: now}
}

// Add stores a new pending order and returns it with its ID.
func (s *Store) Add(customer string, items []Item, coupon string) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	at := s.now().UTC()
	o := Order{
		ID: fmt.Sprintf("ord_%08d", s.seq), Customer: customer, Items: slices.Clone(items),
		Coupon: coupon, Status: Pending, CreatedAt: at, UpdatedAt: at,
	}
	s.orders[o.ID] = o
	return o
}

// Get returns the order with the given ID.
func (s *Store) Get(id string) (Order, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.orders[id]
	return o, ok
}

// Update applies change to order id under the lock and returns the result.
func (s *Store) Update(id string, change func(*Order)) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	change(&o)
	o.UpdatedAt = s.now().UTC()
	s.orders[id] = o
	return o, true
}

// Remove forgets order id.
func (s *Store) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.orders, id)
}

// List returns up to limit orders, newest first, optionally of one status.
func (s *Store) List(status Status, limit int) []Order {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Order, 0, min(limit, len(s.orders)))
	for _, o := range s.orders {
		if status == "" || o.Status == status {
			out = append(out, o)
		}
	}
	// IDs are zero-padded sequence numbers, so reverse ID order is newest first.
	slices.SortFunc(out, func(a, b Order) int { return strings.Compare(b.ID, a.ID) })
	return out[:min(limit, len(out))]
}

// Counts returns how many orders have each status.
func (s *Store) Counts() map[Status]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	counts := make(map[Status]int, len(Statuses))
	for _, o := range s.orders {
		counts[o.Status]++
	}
	return counts
}
