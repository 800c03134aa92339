package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

type (
	parseFunc[C any] func(args []string, getenv func(string) string) (C, error)
	runFunc[C any]   func(ctx context.Context, cfg C, logger *slog.Logger) error
)

// Main is the whole main function of a service called name. It reads the
// configuration with parse from the command line and the environment: -h
// exits 0, any other mistake is printed to stderr and exits 2. It then calls
// run with a JSON logger on stderr and a context that ends on SIGINT or
// SIGTERM; if run fails, the error is logged and the process exits 1.
func Main[C any](name string, parse func(args []string, getenv func(string) string) (C, error), run func(context.Context, C, *slog.Logger) error) {
	os.Exit(exitCode(name, os.Args[1:], os.Getenv, os.Stderr, parse, untilSignal(run)))
}

// exitCode does the work of Main without touching the process, and returns
// the code the process should exit with.
func exitCode[C any](name string, args []string, getenv func(string) string, stderr io.Writer, parse parseFunc[C], run runFunc[C]) int {
	cfg, err := parse(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, name+":", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	if err := run(context.Background(), cfg, logger); err != nil {
		logger.Error(name+" stopped", "error", err.Error())
		return 1
	}
	return 0
}

// untilSignal gives run a context that also ends on SIGINT or SIGTERM.
func untilSignal[C any](run runFunc[C]) runFunc[C] {
	return func(ctx context.Context, cfg C, logger *slog.Logger) error {
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		return run(ctx, cfg, logger)
	}
}
