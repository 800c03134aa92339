// Package pricing is a client for the pricing service's quote API, with a
// timeout per try, retries with exponential backoff for transient failures,
// and no retries for baskets the service rejects.
package pricing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tandem-monorepo/tandem/projects/orders/internal/retry"
)

// Item is one basket line as the pricing service expects it.
type Item struct {
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitPrice string `json:"unit_price"`
}

// Request is a basket to price.
type Request struct {
	Items  []Item `json:"items"`
	Coupon string `json:"coupon,omitempty"`
}

// Discount is one rule that lowered the price.
type Discount struct {
	Rule        string `json:"rule"`
	Description string `json:"description"`
	Amount      string `json:"amount"`
}

// Quote is the priced basket; amounts are decimal strings.
type Quote struct {
	Subtotal      string     `json:"subtotal"`
	DiscountTotal string     `json:"discount_total"`
	Total         string     `json:"total"`
	Discounts     []Discount `json:"discounts"`
}

// RejectedError means the pricing service refused the basket (a 4xx answer);
// asking again would not help.
type RejectedError struct {
	Status  int
	Message string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("pricing rejected the basket (%d): %s", e.Status, e.Message)
}

// Client talks to one pricing service.
type Client struct {
	BaseURL        string
	HTTP           *http.Client
	Retry          retry.Policy
	AttemptTimeout time.Duration
}

// NewClient returns a client with production defaults: 4 tries, waits of
// 100ms doubling up to 2s, and 2s per try.
func NewClient(baseURL string) *Client {
	return &Client{
		BaseURL:        strings.TrimRight(baseURL, "/"),
		HTTP:           &http.Client{},
		Retry:          retry.Policy{Attempts: 4, Base: 100 * time.Millisecond, Max: 2 * time.Second},
		AttemptTimeout: 2 * time.Second,
	}
}

// Quote prices a basket.
func (c *Client) Quote(ctx context.Context, req Request) (Quote, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Quote{}, err
	}
	var q Quote
	err = c.Retry.Do(ctx, func(ctx context.Context) error { return c.try(ctx, body, &q) })
	return q, err
}

func (c *Client) try(ctx context.Context, body []byte, q *Quote) error {
	ctx, cancel := context.WithTimeout(ctx, c.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/v1/quote", bytes.NewReader(body))
	if err != nil {
		return retry.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err // connection refused, reset or timed out: worth another try
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	return judge(resp.StatusCode, data, q)
}

// judge decides from the status which answers are final.
func judge(status int, data []byte, q *Quote) error {
	switch {
	case status == http.StatusOK:
		if err := json.Unmarshal(data, q); err != nil || q.Total == "" {
			return retry.Permanent(fmt.Errorf("pricing sent an unreadable quote: %.200s", data))
		}
		return nil
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500:
		return fmt.Errorf("pricing answered %d", status)
	default:
		var body struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &body) != nil || body.Error == "" {
			body.Error = http.StatusText(status)
		}
		return retry.Permanent(&RejectedError{Status: status, Message: body.Error})
	}
}

// Ping checks that the pricing service answers its health endpoint.
func (c *Client) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pricing health answered %d", resp.StatusCode)
	}
	return nil
}
