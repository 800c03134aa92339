// Command orders accepts orders over HTTP, prices them through the pricing
// service with a pool of workers, and announces each result to a signed
// webhook. It stops on SIGINT or SIGTERM after draining requests and queue.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/tandem-monorepo/tandem/projects/gokit/server"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/api"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/order"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/pricing"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/webhook"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/worker"
)

type config struct {
	addr          string
	pricingURL    string
	webhookURL    string
	webhookSecret string
	workers       int
	queue         int
	grace         time.Duration
}

func main() {
	server.Main("orders", parseConfig, run)
}

// parseConfig reads flags, falling back to environment variables, then
// defaults. The secret is best passed in the environment, where ps cannot see it.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	env := func(key, fallback string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return fallback
	}
	workers, err := strconv.Atoi(env("ORDERS_WORKERS", "4"))
	if err != nil {
		return config{}, fmt.Errorf("ORDERS_WORKERS: %w", err)
	}
	var cfg config
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.addr, "addr", env("ORDERS_ADDR", "127.0.0.1:8081"), "listen address (env ORDERS_ADDR)")
	fs.StringVar(&cfg.pricingURL, "pricing-url", env("PRICING_URL", "http://127.0.0.1:8000"), "pricing service base URL (env PRICING_URL)")
	fs.StringVar(&cfg.webhookURL, "webhook-url", env("ORDERS_WEBHOOK_URL", ""), "where to post order events; empty: none (env ORDERS_WEBHOOK_URL)")
	fs.StringVar(&cfg.webhookSecret, "webhook-secret", env("ORDERS_WEBHOOK_SECRET", ""), "HMAC secret for webhook signatures (env ORDERS_WEBHOOK_SECRET)")
	fs.IntVar(&cfg.workers, "workers", workers, "number of order workers (env ORDERS_WORKERS)")
	fs.IntVar(&cfg.queue, "queue", 100, "orders that may wait for a worker before new ones are refused")
	fs.DurationVar(&cfg.grace, "shutdown-timeout", 10*time.Second, "time allowed for requests and queued orders after a stop signal")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return cfg, cfg.validate()
}

func (c config) validate() error {
	var errs []error
	if err := checkURL(c.pricingURL); err != nil {
		errs = append(errs, fmt.Errorf("-pricing-url: %w", err))
	}
	if c.webhookURL != "" {
		if err := checkURL(c.webhookURL); err != nil {
			errs = append(errs, fmt.Errorf("-webhook-url: %w", err))
		}
		if c.webhookSecret == "" {
			errs = append(errs, errors.New("-webhook-url needs a secret: set ORDERS_WEBHOOK_SECRET"))
		}
	}
	if c.workers < 1 || c.workers > 64 {
		errs = append(errs, errors.New("-workers must be between 1 and 64"))
	}
	if c.queue < 1 || c.queue > 10000 {
		errs = append(errs, errors.New("-queue must be between 1 and 10000"))
	}
	if c.grace <= 0 {
		errs = append(errs, errors.New("-shutdown-timeout must be positive"))
	}
	return errors.Join(errs...)
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

// run serves until ctx ends, then stops taking requests, lets the workers
// finish the queue within the grace period, and returns.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	store := order.NewStore(nil)
	client := pricing.NewClient(cfg.pricingURL)
	var notifier worker.Notifier // stays a nil interface when no webhook is configured
	if cfg.webhookURL != "" {
		notifier = webhook.NewSender(cfg.webhookURL, []byte(cfg.webhookSecret))
	}
	proc := worker.New(store, client, notifier, logger, cfg.queue)
	proc.Start(cfg.workers)
	handler := api.New(api.Deps{Store: store, Processor: proc, Workers: cfg.workers, Logger: logger, Ready: client.Ping})
	logger.Info("orders listening", "addr", ln.Addr().String(), "pricing", cfg.pricingURL,
		"webhook", cfg.webhookURL, "workers", cfg.workers)
	serveErr := server.Serve(ctx, ln, handler, cfg.grace)
	drainCtx, cancel := context.WithTimeout(context.Background(), cfg.grace)
	defer cancel()
	if err := errors.Join(serveErr, proc.Shutdown(drainCtx)); err != nil {
		return err
	}
	logger.Info("orders stopped cleanly")
	return nil
}
