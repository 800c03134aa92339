// Package retry runs an operation again after transient failures, waiting
// exponentially longer between tries and giving up when the context ends.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Policy says how often and how patiently to try.
type Policy struct {
	Attempts int           // total tries, at least 1
	Base     time.Duration // wait after the first failure
	Max      time.Duration // longest wait; 0 means no cap
	// Sleep waits for d or until ctx ends; nil uses a timer. Tests replace it
	// so that they can check the waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
}

type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// Delay is the wait after failed try n (0-based): Base·2ⁿ, capped at Max.
func (p Policy) Delay(n int) time.Duration {
	d := p.Base
	for range n {
		if p.Max > 0 && d >= p.Max/2 {
			return p.Max
		}
		if d > math.MaxInt64/2 {
			return math.MaxInt64
		}
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		return p.Max
	}
	return d
}

// Do calls fn until it succeeds, returns a Permanent error, the attempts run
// out or ctx ends. The error returned is fn's last, unwrapped from Permanent.
func (p Policy) Do(ctx context.Context, fn func(context.Context) error) error {
	attempts := max(p.Attempts, 1)
	var err error
	for n := range attempts {
		if n > 0 {
			if waitErr := p.sleep(ctx, p.Delay(n-1)); waitErr != nil {
				return fmt.Errorf("%w (last error: %w)", waitErr, err)
			}
		}
		err = fn(ctx)
		var perm *permanentError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &perm):
			return perm.err
		case ctx.Err() != nil:
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", attempts, err)
}

func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
