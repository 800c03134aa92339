// Package store keeps the catalog's products in memory, safe for concurrent use.
package store

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

var (
	// ErrNotFound means no product has the given ID.
	ErrNotFound = errors.New("product not found")
	// ErrDuplicateSKU means another product already uses the SKU.
	ErrDuplicateSKU = errors.New("SKU already in use")
)

// Product is one catalog entry. Prices are integer cents.
type Product struct {
	ID         string
	SKU        string
	Name       string
	PriceCents int64
	Stock      int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Store holds products by ID with a unique index on SKU.
type Store struct {
	mu     sync.RWMutex
	byID   map[string]Product
	bySKU  map[string]string
	nextID int64
	now    func() time.Time
}

// New returns an empty store; now defaults to time.Now.
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{byID: map[string]Product{}, bySKU: map[string]string{}, now: now}
}

// Create adds p under a new ID; IDs sort in creation order.
func (s *Store) Create(p Product) (Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.bySKU[p.SKU]; taken {
		return Product{}, fmt.Errorf("%w: %s", ErrDuplicateSKU, p.SKU)
	}
	s.nextID++
	p.ID = fmt.Sprintf("prd_%08d", s.nextID)
	p.CreatedAt = s.now().UTC()
	p.UpdatedAt = p.CreatedAt
	s.byID[p.ID] = p
	s.bySKU[p.SKU] = p.ID
	return p, nil
}

// Get returns the product with the given ID.
func (s *Store) Get(id string) (Product, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.byID[id]
	if !ok {
		return Product{}, ErrNotFound
	}
	return p, nil
}

// Update replaces the fields of product id with those of p.
func (s *Store) Update(id string, p Product) (Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byID[id]
	if !ok {
		return Product{}, ErrNotFound
	}
	if owner, taken := s.bySKU[p.SKU]; taken && owner != id {
		return Product{}, fmt.Errorf("%w: %s", ErrDuplicateSKU, p.SKU)
	}
	delete(s.bySKU, old.SKU)
	p.ID, p.CreatedAt, p.UpdatedAt = id, old.CreatedAt, s.now().UTC()
	s.byID[id] = p
	s.bySKU[p.SKU] = id
	return p, nil
}

// Delete removes product id.
func (s *Store) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byID[id]
	if !ok {
		return ErrNotFound
	}
	delete(s.byID, id)
	delete(s.bySKU, p.SKU)
	return nil
}

// List returns up to limit products in ID order starting at offset, and the
// total number of products.
func (s *Store) List(offset, limit int) ([]Product, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.byID))
	for id := range s.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	total := len(ids)
	if offset >= total {
		return []Product{}, total
	}
	ids = ids[offset:min(offset+limit, total)]
	page := make([]Product, len(ids))
	for i, id := range ids {
		page[i] = s.byID[id]
	}
	return page, total
}
