package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for n, w := range want {
		if got := p.Delay(n); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
	if got := (Policy{Base: time.Second}).Delay(70); got <= 0 {
		t.Errorf("uncapped Delay(70) = %v: overflowed", got)
	}
}

var errTransient = errors.New("503 from upstream")

func TestDo(t *testing.T) {
	errBad := errors.New("400 bad basket")
	tests := []struct {
		name      string
		results   []error // what fn returns on each call
		wantCalls int
		wantWaits []time.Duration
		wantErr   error
	}{
		{"first try", []error{nil}, 1, nil, nil},
		{"second try", []error{errTransient, nil}, 2, []time.Duration{10}, nil},
		{"fourth try", []error{errTransient, errTransient, errTransient, nil}, 4, []time.Duration{10, 20, 40}, nil},
		{"gives up", []error{errTransient, errTransient, errTransient, errTransient}, 4, []time.Duration{10, 20, 40}, errTransient},
		{"permanent stops at once", []error{errTransient, Permanent(errBad)}, 2, []time.Duration{10}, errBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			p := Policy{Attempts: 4, Base: 10, Max: 50, Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}}
			calls := 0
			err := p.Do(context.Background(), func(context.Context) error {
				calls++
				return tt.results[calls-1]
			})
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Do() = %v, want %v", err, tt.wantErr)
			}
			var perm *permanentError
			if errors.As(err, &perm) {
				t.Fatalf("Do() leaked the Permanent wrapper: %v", err)
			}
			if calls != tt.wantCalls || len(waits) != len(tt.wantWaits) {
				t.Fatalf("calls = %d waits = %v, want %d calls and waits %v", calls, waits, tt.wantCalls, tt.wantWaits)
			}
			for i := range waits {
				if waits[i] != tt.wantWaits[i] {
					t.Fatalf("waits = %v, want %v", waits, tt.wantWaits)
				}
			}
		})
	}
}

func TestDoStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := Policy{Attempts: 10, Base: time.Hour}.Do(ctx, func(context.Context) error {
		calls++
		cancel() // the caller gives up while the first try is failing
		return errTransient
	})
	if calls != 1 || !errors.Is(err, errTransient) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Do() = %v after %d calls, want Canceled and the first error after 1 call", err, calls)
	}
}

// TestRealSleepHonoursCancellation has Do wait an hour between tries and
// expects the context's deadline to cut the wait short.
func TestRealSleepHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := Policy{Attempts: 3, Base: time.Hour}.Do(ctx, func(context.Context) error { return errTransient })
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errTransient) {
		t.Fatalf("Do() = %v, want DeadlineExceeded wrapping the last error", err)
	}
}

func TestPermanentNil(t *testing.T) {
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) must be nil")
	}
}
