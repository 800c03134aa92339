package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tandem-monorepo/tandem/projects/gokit/signature"
)

func TestParseConfig(t *testing.T) {
	defaults := config{addr: "127.0.0.1:8081", pricingURL: "http://127.0.0.1:8000", workers: 4, queue: 100, grace: 10 * time.Second}
	with := func(change func(*config)) config { c := defaults; change(&c); return c }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{"defaults", nil, nil, defaults, ""},
		{"env", nil, map[string]string{"ORDERS_ADDR": ":1", "PRICING_URL": "http://p:2", "ORDERS_WORKERS": "8",
			"ORDERS_WEBHOOK_URL": "https://hooks.test/x", "ORDERS_WEBHOOK_SECRET": "s"},
			with(func(c *config) {
				c.addr, c.pricingURL, c.workers, c.webhookURL, c.webhookSecret = ":1", "http://p:2", 8, "https://hooks.test/x", "s"
			}), ""},
		{"flags beat env", []string{"-addr", ":3", "-workers", "2", "-queue", "5"}, map[string]string{"ORDERS_ADDR": ":1", "ORDERS_WORKERS": "8"},
			with(func(c *config) { c.addr, c.workers, c.queue = ":3", 2, 5 }), ""},
		{"webhook without secret", []string{"-webhook-url", "http://127.0.0.1:9/hook"}, nil, config{}, "needs a secret"},
		{"relative pricing URL", []string{"-pricing-url", "pricing:8000"}, nil, config{}, "not an absolute http(s) URL"},
		{"ftp webhook", []string{"-webhook-url", "ftp://x/y", "-webhook-secret", "s"}, nil, config{}, "-webhook-url"},
		{"no workers", []string{"-workers", "0"}, nil, config{}, "-workers must be between 1 and 64"},
		{"bad worker env", nil, map[string]string{"ORDERS_WORKERS": "many"}, config{}, "ORDERS_WORKERS"},
		{"zero queue", []string{"-queue", "0"}, nil, config{}, "-queue must be between 1 and 10000"},
		{"zero grace", []string{"-shutdown-timeout", "0s"}, nil, config{}, "-shutdown-timeout must be positive"},
		{"stray argument", []string{"now"}, nil, config{}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseConfig() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseConfig() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	if _, err := parseConfig([]string{"-help"}, func(string) string { return "" }); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseConfig(-help) = %v, want flag.ErrHelp", err)
	}
}

// logLines hands each log record to the test as it is written.
type logLines chan map[string]any

func (l logLines) Write(p []byte) (int, error) {
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(p), &rec); err == nil {
		l <- rec
	}
	return len(p), nil
}

func (l logLines) await(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(10 * time.Second) // a guard against hanging, not a wait
	for {
		select {
		case rec := <-l:
			if rec["msg"] == msg {
				return rec
			}
		case <-timeout:
			t.Fatalf("no %q log record", msg)
		}
	}
}

// TestRunEndToEnd runs the whole service against a fake pricing service and a
// webhook receiver: an order goes in, a signed event comes out, and a stop
// signal shuts everything down cleanly.
func TestRunEndToEnd(t *testing.T) {
	pricingSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"subtotal":"20.00","discount_total":"0.00","total":"20.00","discounts":[]}`)
	}))
	defer pricingSrv.Close()
	type delivery struct {
		body []byte
		sig  string
	}
	deliveries := make(chan delivery, 1)
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		deliveries <- delivery{body, r.Header.Get(signature.Header)}
	}))
	defer hookSrv.Close()

	logs := make(logLines, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := config{addr: "127.0.0.1:0", pricingURL: pricingSrv.URL, webhookURL: hookSrv.URL,
		webhookSecret: "whsec_e2e", workers: 2, queue: 10, grace: 5 * time.Second}
	go func() { done <- run(ctx, cfg, slog.New(slog.NewJSONHandler(logs, nil))) }()
	base := "http://" + logs.await(t, "orders listening")["addr"].(string)

	resp, err := http.Post(base+"/orders", "application/json",
		strings.NewReader(`{"customer":"bob","items":[{"sku":"MUG","quantity":2,"unit_price":"10.00"}]}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /orders = %v, %v", resp, err)
	}
	resp.Body.Close()
	d := <-deliveries
	if err := signature.Verify([]byte("whsec_e2e"), d.sig, d.body, time.Now(), time.Minute); err != nil {
		t.Fatalf("webhook signature: %v", err)
	}
	var ev struct {
		Type  string `json:"type"`
		Order struct {
			Total string `json:"total"`
		} `json:"order"`
	}
	if err := json.Unmarshal(d.body, &ev); err != nil || ev.Type != "order.completed" || ev.Order.Total != "20.00" {
		t.Fatalf("webhook body %s", d.body)
	}
	ready, err := http.Get(base + "/readyz")
	if err != nil || ready.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz = %v, %v", ready, err)
	}
	ready.Body.Close()

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run() = %v, want a clean stop", err)
	}
	logs.await(t, "orders stopped cleanly")
}
