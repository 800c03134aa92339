// Package store keeps the catalog's products in a bbolt database file, safe
// for concurrent use: every change is one serialised, durable transaction,
// and reads see a consistent snapshot.
package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	// ErrNotFound means no product has the given ID.
	ErrNotFound = errors.New("product not found")
	// ErrDuplicateSKU means another product already uses the SKU.
	ErrDuplicateSKU = errors.New("SKU already in use")
	// ErrStockOutOfRange means an adjustment would leave the stock outside 0 to MaxStock.
	ErrStockOutOfRange = errors.New("stock out of range")
)

// MaxStock is the most units of one product the catalog holds.
const MaxStock = 1_000_000

// lockTimeout is how long Open waits for another process to let go of the file.
const lockTimeout = time.Second

var (
	productsBucket = []byte("products") // ID → product as JSON
	skusBucket     = []byte("skus")     // SKU → ID
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

// record is how a product is stored: JSON, so that the file stays readable
// and fields can be added later.
type record struct {
	SKU        string    `json:"sku"`
	Name       string    `json:"name"`
	PriceCents int64     `json:"price_cents"`
	Stock      int       `json:"stock"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Store holds products by ID with a unique index on SKU.
type Store struct {
	db  *bolt.DB
	now func() time.Time
}

// Open opens the database at path, creating it if need be; now defaults to
// time.Now. Only one process can have a file open: Open fails after a second
// if another one holds it.
func Open(path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{productsBucket, skusBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{db: db, now: now}, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.db.Path() }

// Close releases the file; the store cannot be used afterwards.
func (s *Store) Close() error { return s.db.Close() }

// Create adds p under a new ID; IDs sort in creation order and are never
// handed out twice, not even after a restart.
func (s *Store) Create(p Product) (Product, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		products, skus := tx.Bucket(productsBucket), tx.Bucket(skusBucket)
		if skus.Get([]byte(p.SKU)) != nil {
			return fmt.Errorf("%w: %s", ErrDuplicateSKU, p.SKU)
		}
		seq, err := products.NextSequence()
		if err != nil {
			return err
		}
		p.ID = fmt.Sprintf("prd_%08d", seq)
		p.CreatedAt = s.now().UTC()
		p.UpdatedAt = p.CreatedAt
		if err := skus.Put([]byte(p.SKU), []byte(p.ID)); err != nil {
			return err
		}
		return put(products, p)
	})
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// Get returns the product with the given ID.
func (s *Store) Get(id string) (Product, error) {
	var p Product
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		p, err = get(tx.Bucket(productsBucket), id)
		return err
	})
	return p, err
}

// Update replaces the fields of product id with those of p.
func (s *Store) Update(id string, p Product) (Product, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		products, skus := tx.Bucket(productsBucket), tx.Bucket(skusBucket)
		old, err := get(products, id)
		if err != nil {
			return err
		}
		if owner := skus.Get([]byte(p.SKU)); owner != nil && string(owner) != id {
			return fmt.Errorf("%w: %s", ErrDuplicateSKU, p.SKU)
		}
		if err := skus.Delete([]byte(old.SKU)); err != nil {
			return err
		}
		if err := skus.Put([]byte(p.SKU), []byte(id)); err != nil {
			return err
		}
		p.ID, p.CreatedAt, p.UpdatedAt = id, old.CreatedAt, s.now().UTC()
		return put(products, p)
	})
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// AdjustStock adds delta to product id's stock in one transaction, so that
// concurrent adjustments never lose one another.
func (s *Store) AdjustStock(id string, delta int) (Product, error) {
	var p Product
	err := s.db.Update(func(tx *bolt.Tx) error {
		products := tx.Bucket(productsBucket)
		var err error
		if p, err = get(products, id); err != nil {
			return err
		}
		stock := p.Stock + delta
		if stock < 0 || stock > MaxStock {
			return fmt.Errorf("%w: %d%+d would be %d, outside 0 to %d", ErrStockOutOfRange, p.Stock, delta, stock, MaxStock)
		}
		p.Stock, p.UpdatedAt = stock, s.now().UTC()
		return put(products, p)
	})
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// Delete removes product id.
func (s *Store) Delete(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		products := tx.Bucket(productsBucket)
		p, err := get(products, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(skusBucket).Delete([]byte(p.SKU)); err != nil {
			return err
		}
		return products.Delete([]byte(id))
	})
}

// List returns up to limit products in ID order starting at offset, and the
// total number of products.
func (s *Store) List(offset, limit int) ([]Product, int, error) {
	page := []Product{}
	total := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		products := tx.Bucket(productsBucket)
		total = products.Stats().KeyN
		c := products.Cursor()
		k, v := c.First()
		for i := 0; k != nil && i < offset; i++ {
			k, v = c.Next()
		}
		for ; k != nil && len(page) < limit; k, v = c.Next() {
			p, err := decode(k, v)
			if err != nil {
				return err
			}
			page = append(page, p)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

// ListAfter returns up to limit products in ID order whose IDs come after
// after ("" for the first page), whether more follow, and the total number
// of products. Unlike an offset, after stays right when products before it
// are created or deleted between pages.
func (s *Store) ListAfter(after string, limit int) (page []Product, more bool, total int, err error) {
	page = []Product{}
	err = s.db.View(func(tx *bolt.Tx) error {
		products := tx.Bucket(productsBucket)
		total = products.Stats().KeyN
		c := products.Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && bytes.Equal(k, []byte(after)) {
			k, v = c.Next()
		}
		for ; k != nil && len(page) < limit; k, v = c.Next() {
			p, err := decode(k, v)
			if err != nil {
				return err
			}
			page = append(page, p)
		}
		more = k != nil
		return nil
	})
	if err != nil {
		return nil, false, 0, err
	}
	return page, more, total, nil
}

func get(products *bolt.Bucket, id string) (Product, error) {
	v := products.Get([]byte(id))
	if v == nil {
		return Product{}, ErrNotFound
	}
	return decode([]byte(id), v)
}

func put(products *bolt.Bucket, p Product) error {
	v, err := json.Marshal(record{SKU: p.SKU, Name: p.Name, PriceCents: p.PriceCents, Stock: p.Stock,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt})
	if err != nil {
		return err
	}
	return products.Put([]byte(p.ID), v)
}

// decode turns a stored key and value into a Product. bbolt's values are
// only valid inside their transaction; json.Unmarshal copies what it keeps.
func decode(k, v []byte) (Product, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return Product{}, fmt.Errorf("product %s: %w", k, err)
	}
	return Product{ID: string(k), SKU: r.SKU, Name: r.Name, PriceCents: r.PriceCents, Stock: r.Stock,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}
