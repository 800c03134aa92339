package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var clock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixed() time.Time { return clock }

// open opens a store on a fresh file that is closed when the test ends.
func open(t *testing.T, now func() time.Time) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "catalog.db"), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestCRUD(t *testing.T) {
	s := open(t, fixed)
	a, err := s.Create(Product{SKU: "SOCKS", Name: "Socks", PriceCents: 500, Stock: 3})
	if err != nil || a.ID != "prd_00000001" || !a.CreatedAt.Equal(clock) {
		t.Fatalf("Create() = %+v, %v", a, err)
	}
	if got, err := s.Get(a.ID); err != nil || got != a {
		t.Fatalf("Get() = %+v, %v; want %+v", got, err, a)
	}
	if _, err := s.Create(Product{SKU: "SOCKS"}); !errors.Is(err, ErrDuplicateSKU) {
		t.Fatalf("duplicate Create() = %v, want ErrDuplicateSKU", err)
	}
	b, _ := s.Create(Product{SKU: "TEE", Name: "Tee", PriceCents: 1500})
	if b.ID != "prd_00000002" {
		t.Fatalf("second ID = %s: a refused Create used up an ID", b.ID)
	}
	if _, err := s.Update(b.ID, Product{SKU: "SOCKS"}); !errors.Is(err, ErrDuplicateSKU) {
		t.Fatalf("Update() to a taken SKU = %v, want ErrDuplicateSKU", err)
	}
	up, err := s.Update(a.ID, Product{SKU: "SOCKS-2", Name: "Socks", PriceCents: 450})
	if err != nil || up.PriceCents != 450 || up.ID != a.ID || !up.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("Update() = %+v, %v", up, err)
	}
	if _, err := s.Create(Product{SKU: "SOCKS"}); err != nil {
		t.Fatalf("old SKU not freed by Update: %v", err)
	}
	if err := s.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(Product{SKU: "SOCKS-2"}); err != nil {
		t.Fatalf("SKU not freed by Delete: %v", err)
	}
	for name, err := range map[string]error{
		"get":    func() error { _, err := s.Get(a.ID); return err }(),
		"update": func() error { _, err := s.Update(a.ID, Product{SKU: "X"}); return err }(),
		"adjust": func() error { _, err := s.AdjustStock(a.ID, 1); return err }(),
		"delete": s.Delete(a.ID),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after delete = %v, want ErrNotFound", name, err)
		}
	}
}

func TestAdjustStock(t *testing.T) {
	now := clock
	s := open(t, func() time.Time { return now })
	p, _ := s.Create(Product{SKU: "MUG", Name: "Mug", PriceCents: 850, Stock: 5})
	now = now.Add(time.Minute)
	got, err := s.AdjustStock(p.ID, -2)
	if err != nil || got.Stock != 3 || !got.UpdatedAt.Equal(now) || !got.CreatedAt.Equal(clock) {
		t.Fatalf("AdjustStock(-2) = %+v, %v", got, err)
	}
	for _, delta := range []int{-4, MaxStock - 2} {
		if _, err := s.AdjustStock(p.ID, delta); !errors.Is(err, ErrStockOutOfRange) {
			t.Errorf("AdjustStock(%d) = %v, want ErrStockOutOfRange", delta, err)
		}
	}
	if got, _ := s.Get(p.ID); got.Stock != 3 {
		t.Fatalf("stock after refused adjustments = %d, want 3", got.Stock)
	}
	if got, err := s.AdjustStock(p.ID, MaxStock-3); err != nil || got.Stock != MaxStock {
		t.Fatalf("AdjustStock up to the maximum = %+v, %v", got, err)
	}
}

func TestList(t *testing.T) {
	s := open(t, fixed)
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
			page, total, err := s.List(tt.offset, tt.limit)
			if err != nil || total != 5 || len(page) != tt.wantLen {
				t.Fatalf("List() = %d items of %d, %v; want %d of 5", len(page), total, err, tt.wantLen)
			}
			if tt.wantLen > 0 && page[0].ID != tt.wantFirst {
				t.Fatalf("first ID = %s, want %s", page[0].ID, tt.wantFirst)
			}
		})
	}
}

func TestListAfter(t *testing.T) {
	s := open(t, fixed)
	for i := range 5 {
		if _, err := s.Create(Product{SKU: fmt.Sprintf("SKU-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	after, wantTotal := "", 5
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("ListAfter does not end")
		}
		page, more, total, err := s.ListAfter(after, 2)
		if err != nil || total != wantTotal {
			t.Fatalf("ListAfter(%q) total = %d, %v", after, total, err)
		}
		for _, p := range page {
			seen = append(seen, p.ID)
		}
		if !more {
			break
		}
		after = page[len(page)-1].ID
		if pages == 0 {
			// A product deleted between pages neither hides nor repeats the others.
			if err := s.Delete("prd_00000001"); err != nil {
				t.Fatal(err)
			}
			wantTotal = 4
		}
	}
	want := "[prd_00000001 prd_00000002 prd_00000003 prd_00000004 prd_00000005]"
	if fmt.Sprint(seen) != want {
		t.Fatalf("pages = %v, want %s", seen, want)
	}
	// An ID that is not stored (deleted, say) still marks a place.
	page, more, _, err := s.ListAfter("prd_00000001", 1)
	if err != nil || len(page) != 1 || page[0].ID != "prd_00000002" || !more {
		t.Fatalf("ListAfter(deleted ID) = %v, %v, %v", page, more, err)
	}
}

// TestReopen shows that products, the SKU index and the ID sequence are on
// disk: a second Open of the same file sees them all.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	s, err := Open(path, fixed)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Create(Product{SKU: "KEPT", Name: "Kept", PriceCents: 100, Stock: 2})
	b, _ := s.Create(Product{SKU: "GONE", Name: "Gone", PriceCents: 100})
	if err := s.Delete(b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, fixed)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Get(a.ID); err != nil || got != a {
		t.Fatalf("Get() after reopening = %+v, %v; want %+v", got, err, a)
	}
	if _, err := s.Create(Product{SKU: "KEPT"}); !errors.Is(err, ErrDuplicateSKU) {
		t.Fatalf("SKU index lost on reopening: Create() = %v", err)
	}
	c, err := s.Create(Product{SKU: "NEW"})
	if err != nil || c.ID != "prd_00000003" {
		t.Fatalf("Create() after reopening = %+v, %v; want ID prd_00000003 (IDs are never reused)", c, err)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("not a bbolt database, but long enough to look like one might"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, nil); err == nil {
		s.Close()
		t.Fatal("Open() on a text file = nil error")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "catalog.db"), nil); err == nil {
		t.Fatal("Open() in a missing directory = nil error")
	}
}

// TestConcurrentUse creates, reads, updates and lists from many goroutines at
// once; under -race it proves the store's safety, and without it the
// invariants (unique IDs, one winner per SKU, no lost stock update) still
// have to hold.
func TestConcurrentUse(t *testing.T) {
	s := open(t, nil)
	const writers, perWriter = 8, 20
	counter, err := s.Create(Product{SKU: "COUNTER"})
	if err != nil {
		t.Fatal(err)
	}
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
				if _, err := s.AdjustStock(counter.ID, 1); err != nil {
					t.Error(err)
				}
				if _, _, err := s.List(i, 10); err != nil {
					t.Error(err)
				}
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
	if _, total, _ := s.List(0, 1); total != 1+writers*perWriter+perWriter {
		t.Fatalf("total = %d, want %d", total, 1+writers*perWriter+perWriter)
	}
	if got, _ := s.Get(counter.ID); got.Stock != writers*perWriter {
		t.Fatalf("counter stock = %d, want %d: an adjustment was lost", got.Stock, writers*perWriter)
	}
}
