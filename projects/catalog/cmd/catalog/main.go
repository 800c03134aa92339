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
	"os"
	"path/filepath"
	"time"

	"github.com/tandem-monorepo/tandem/projects/catalog/internal/api"
	"github.com/tandem-monorepo/tandem/projects/catalog/internal/grpcapi"
	"github.com/tandem-monorepo/tandem/projects/catalog/internal/store"
	"github.com/tandem-monorepo/tandem/projects/gokit/server"
	"google.golang.org/grpc"
)

type config struct {
	addr     string
	grpcAddr string
	db       string
	grace    time.Duration
}

func main() {
	server.Main("catalog", parseConfig, run)
}

// parseConfig reads flags, falling back to environment variables, then defaults.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := config{}
	fs.StringVar(&cfg.addr, "addr", envOr(getenv, "CATALOG_ADDR", "127.0.0.1:8080"), "HTTP listen address (env CATALOG_ADDR)")
	fs.StringVar(&cfg.grpcAddr, "grpc-addr", envOr(getenv, "CATALOG_GRPC_ADDR", "127.0.0.1:9090"), "gRPC listen address (env CATALOG_GRPC_ADDR)")
	fs.StringVar(&cfg.db, "db", getenv("CATALOG_DB"), "bbolt database file, created if missing (env CATALOG_DB); empty: a temporary one, removed on exit")
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

// run serves HTTP and gRPC until ctx ends, then closes the database. The
// first log record names both bound addresses, so that ":0" can be used to
// let the kernel pick the ports.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	st, err := openStore(cfg.db)
	if err != nil {
		return err
	}
	if err := errors.Join(serve(ctx, cfg, st.Store, logger), st.Close()); err != nil {
		return err
	}
	logger.Info("catalog stopped cleanly")
	return nil
}

// serve listens on both addresses and serves until ctx ends; either server
// failing stops the other one too.
func serve(ctx context.Context, cfg config, st *store.Store, logger *slog.Logger) error {
	grpcLn, err := net.Listen("tcp", cfg.grpcAddr)
	if err != nil {
		return err
	}
	httpLn, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		grpcLn.Close()
		return err
	}
	logger.Info("catalog listening", "addr", httpLn.Addr().String(), "grpc_addr", grpcLn.Addr().String(), "db", st.Path())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	grpcDone := make(chan error, 1)
	go func() {
		grpcDone <- serveGRPC(ctx, grpcapi.NewServer(st, logger), grpcLn, cfg.grace)
		cancel()
	}()
	httpErr := server.Serve(ctx, httpLn, api.New(st, logger), cfg.grace)
	cancel()
	return errors.Join(httpErr, <-grpcDone)
}

// serveGRPC serves on ln until ctx is done, then lets in-flight calls finish
// within grace before cutting them off. It returns nil after a clean stop.
func serveGRPC(ctx context.Context, srv *grpc.Server, ln net.Listener, grace time.Duration) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-stopped:
		if err := <-served; !errors.Is(err, grpc.ErrServerStopped) {
			return err // nil, unless Serve failed on its own
		}
		return nil // stopped before Serve had begun
	case <-timer.C:
		srv.Stop()
		<-stopped
		<-served
		return errors.New("graceful gRPC shutdown: calls still running after the grace period")
	}
}

// dbStore is the store and, when the database is a temporary one, the
// directory to remove after closing it.
type dbStore struct {
	*store.Store
	tempDir string
}

// openStore opens the database at path, or a new temporary one if path is "".
func openStore(path string) (*dbStore, error) {
	if path != "" {
		st, err := store.Open(path, nil)
		if err != nil {
			return nil, err
		}
		return &dbStore{Store: st}, nil
	}
	dir, err := os.MkdirTemp("", "catalog-")
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(dir, "catalog.db"), nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &dbStore{Store: st, tempDir: dir}, nil
}

// Close closes the store and removes a temporary database.
func (s *dbStore) Close() error {
	err := s.Store.Close()
	if s.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(s.tempDir))
	}
	return err
}
