// Package webhook delivers signed order events to a configured URL, retrying
// transient failures. Each try is signed afresh so that its timestamp is
// current when the receiver checks it for replays.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tandem-monorepo/tandem/projects/gokit/signature"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/order"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/retry"
)

// Headers sent with every delivery besides the signature.
const (
	EventHeader = "X-Webhook-Event"
	IDHeader    = "X-Webhook-ID"
)

// Event is what a receiver gets: one per finished order.
type Event struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	CreatedAt time.Time   `json:"created_at"`
	Order     order.Order `json:"order"`
}

// Sender posts events to URL, signed with Secret.
type Sender struct {
	URL            string
	Secret         []byte
	HTTP           *http.Client
	Retry          retry.Policy
	AttemptTimeout time.Duration
	Now            func() time.Time
}

// NewSender returns a sender with production defaults: 5 tries, waits of
// 200ms doubling up to 5s, and 5s per try.
func NewSender(url string, secret []byte) *Sender {
	return &Sender{
		URL:            url,
		Secret:         secret,
		HTTP:           &http.Client{},
		Retry:          retry.Policy{Attempts: 5, Base: 200 * time.Millisecond, Max: 5 * time.Second},
		AttemptTimeout: 5 * time.Second,
		Now:            time.Now,
	}
}

// Send delivers ev, returning the last error if every try failed.
func (s *Sender) Send(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return s.Retry.Do(ctx, func(ctx context.Context) error { return s.try(ctx, ev, body) })
}

func (s *Sender) try(ctx context.Context, ev Event, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return retry.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(EventHeader, ev.Type)
	req.Header.Set(IDHeader, ev.ID)
	req.Header.Set(signature.Header, signature.Sign(s.Secret, s.Now(), body))
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("webhook receiver answered %d", code)
	default:
		return retry.Permanent(fmt.Errorf("webhook receiver refused the event with %d", code))
	}
}
