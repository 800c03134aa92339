package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

var clock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixed() time.Time { return clock }

func TestCRUD(t *testing.T) {
	s := New(fixed)
	a, err := s.Create(Product{SKU: "SOCKS", Name: "Socks", PriceCents: 500, Stock: 3})
	if err != nil || a.ID != "prd_00000001" || !a.CreatedAt.Equal(clock) {
		t.Fatalf("Create() = %+v, %v", a, err)
	}
	if _, err := s.Create(Product{SKU: "SOCKS"}); !errors.Is(err, ErrDuplicateSKU) {
		t.Fatalf("duplicate Create() = %v, want ErrDuplicateSKU", err)
	}
	b, _ := s.Create(Product{SKU: "TEE", Name: "Tee", PriceCents: 1500})
	if _, err := s.Update(b.ID, Product{SKU: "SOCKS"}); !errors.Is(err, ErrDuplicateSKU) {
		t.Fatalf("Update() to a taken SKU = %v, want ErrDuplicateSKU", err)
	}
	up, err := s.Update(a.ID, Product{SKU: "SOCKS-2", Name: "Socks", PriceCents: 450})
	if err != nil || up.PriceCents != 450 || up.ID != a.ID {
		t.Fatalf("Update() = %+v, %v", up, err)
	}
	if _, err := s.Create(Product{SKU: "SOCKS"}); err != nil {
		t.Fatalf("old SKU not freed by Update: %v", err)
	}
	if err := s.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"get":    func() error { _, err := s.Get(a.ID); return err }(),
		"update": func() error { _, err := s.Update(a.ID, Product{SKU: "X"}); return err }(),
		"delete": s.Delete(a.ID),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after delete = %v, want ErrNotFound", name, err)
		}
	}
}

func TestList(t *testing.T) {
	s := New(fixed)
	for i := range 5 {
		if _, err := s.Create(Product{SKU: fmt.Sprintf("SKU-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name          string
		offset, limit int
		wantFirst     string
		wantLen       int
	}{
		{"first page", 0, 2, "prd_00000001", 2},
		{"middle page", 2, 2, "prd_00000003", 2},
		{"last partial page", 4, 2, "prd_00000005", 1},
		{"past the end", 9, 2, "", 0},
		{"everything", 0, 100, "prd_00000001", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, total := s.List(tt.offset, tt.limit)
			if total != 5 || len(page) != tt.wantLen {
				t.Fatalf("List() = %d items of %d, want %d of 5", len(page), total, tt.wantLen)
			}
			if tt.wantLen > 0 && page[0].ID != tt.wantFirst {
				t.Fatalf("first ID = %s, want %s", page[0].ID, tt.wantFirst)
			}
		})
	}
}

// TestConcurrentUse creates, reads, updates and lists from many goroutines at
// once; under -race it proves the locking, and without it the invariants
// (unique IDs, one winner per SKU) still have to hold.
func TestConcurrentUse(t *testing.T) {
	s := New(nil)
	const writers, perWriter = 8, 50
	var wg sync.WaitGroup
	ids := make(chan string, writers*perWriter)
	duplicates := make(chan error, writers*perWriter)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				// Every writer also tries SKU "SHARED-i", so exactly one create per i may win.
				if _, err := s.Create(Product{SKU: fmt.Sprintf("SHARED-%d", i)}); err != nil {
					duplicates <- err
				}
				p, err := s.Create(Product{SKU: fmt.Sprintf("W%d-%d", w, i), PriceCents: int64(i)})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- p.ID
				if _, err := s.Update(p.ID, Product{SKU: p.SKU, PriceCents: p.PriceCents + 1}); err != nil {
					t.Error(err)
				}
				s.List(i, 10)
				if _, err := s.Get(p.ID); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(ids)
	close(duplicates)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("ID %s handed out twice", id)
		}
		seen[id] = true
	}
	if n := len(duplicates); n != (writers-1)*perWriter {
		t.Fatalf("%d duplicate-SKU errors, want %d", n, (writers-1)*perWriter)
	}
	if _, total := s.List(0, 1); total != writers*perWriter+perWriter {
		t.Fatalf("total = %d, want %d", total, writers*perWriter+perWriter)
	}
}
