package order

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestStore(t *testing.T) {
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewStore(func() time.Time { tick = tick.Add(time.Second); return tick })
	items := []Item{{SKU: "TEE", Quantity: 1, UnitPrice: "10.00"}}
	a := s.Add("alice", items, "SAVE10")
	items[0].SKU = "CHANGED"
	b := s.Add("bob", items, "")
	if a.ID != "ord_00000001" || b.ID != "ord_00000002" || a.Status != Pending {
		t.Fatalf("Add() = %+v, %+v", a, b)
	}
	if got, _ := s.Get(a.ID); got.Items[0].SKU != "TEE" {
		t.Fatal("store shares the caller's item slice")
	}
	up, ok := s.Update(a.ID, func(o *Order) { o.Status = Completed; o.Total = "9.00" })
	if !ok || up.Status != Completed || !up.UpdatedAt.After(up.CreatedAt) {
		t.Fatalf("Update() = %+v, %v", up, ok)
	}
	if _, ok := s.Update("ord_missing", func(*Order) {}); ok {
		t.Fatal("Update() of a missing order reported success")
	}
	tests := []struct {
		name   string
		status Status
		limit  int
		want   []string
	}{
		{"all newest first", "", 10, []string{b.ID, a.ID}},
		{"limited", "", 1, []string{b.ID}},
		{"completed", Completed, 10, []string{a.ID}},
		{"pending", Pending, 10, []string{b.ID}},
		{"failed", Failed, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.List(tt.status, tt.limit)
			if len(got) != len(tt.want) {
				t.Fatalf("List() returned %d orders, want %d", len(got), len(tt.want))
			}
			for i, o := range got {
				if o.ID != tt.want[i] {
					t.Errorf("List()[%d] = %s, want %s", i, o.ID, tt.want[i])
				}
			}
		})
	}
	if c := s.Counts(); c[Completed] != 1 || c[Pending] != 1 {
		t.Fatalf("Counts() = %v", c)
	}
	s.Remove(b.ID)
	if _, ok := s.Get(b.ID); ok {
		t.Fatal("Remove() left the order in place")
	}
}

func TestStoreConcurrentUpdates(t *testing.T) {
	s := NewStore(nil)
	o := s.Add("c", nil, "")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.Update(o.ID, func(o *Order) { o.Reason += "x" })
		}()
		go func() {
			defer wg.Done()
			s.Add(fmt.Sprint(i), nil, "")
			s.List("", 5)
			s.Counts()
		}()
	}
	wg.Wait()
	if got, _ := s.Get(o.ID); len(got.Reason) != 50 {
		t.Fatalf("%d of 50 updates kept: updates were lost", len(got.Reason))
	}
}
