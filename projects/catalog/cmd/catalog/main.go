// Command catalog serves the product catalog API until SIGINT or SIGTERM,
// then drains in-flight requests and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"example.com/catalog/internal/api"
	"example.com/catalog/internal/store"
	"example.com/gokit/server"
)

type config struct {
	addr  string
	grace time.Duration
}

func main() {
	server.Main("catalog", parseConfig, run)
}

// parseConfig reads flags, falling back to environment variables, then defaults.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := config{}
	fs.StringVar(&cfg.addr, "addr", envOr(getenv, "CATALOG_ADDR", "127.0.0.1:8080"), "listen address (env CATALOG_ADDR)")
	fs.DurationVar(&cfg.grace, "shutdown-timeout", 10*time.Second, "how long in-flight requests may run after a stop signal")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.grace <= 0 {
		return config{}, errors.New("-shutdown-timeout must be positive")
	}
	return cfg, nil
}

func envOr(getenv func(string) string, key, fallback string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return fallback
}

// run serves until ctx ends. The listening address is logged, so that
// ":0" can be used to let the kernel pick a port.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	logger.Info("catalog listening", "addr", ln.Addr().String())
	if err := server.Serve(ctx, ln, api.New(store.New(nil), logger), cfg.grace); err != nil {
		return err
	}
	logger.Info("catalog stopped cleanly")
	return nil
}
