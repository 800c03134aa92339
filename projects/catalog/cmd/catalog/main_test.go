package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/tandem-monorepo/tandem/projects/catalog/gen/catalog/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestParseConfig(t *testing.T) {
	grace := 10 * time.Second
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{"defaults", nil, nil, config{"127.0.0.1:8080", "127.0.0.1:9090", "", grace}, ""},
		{"env", nil, map[string]string{"CATALOG_ADDR": ":9000", "CATALOG_GRPC_ADDR": ":9001", "CATALOG_DB": "/var/lib/catalog.db"},
			config{":9000", ":9001", "/var/lib/catalog.db", grace}, ""},
		{"flag beats env", []string{"-addr", "127.0.0.1:7000", "-grpc-addr", "127.0.0.1:7001", "-db", "here.db"},
			map[string]string{"CATALOG_ADDR": ":9000", "CATALOG_GRPC_ADDR": ":9001", "CATALOG_DB": "there.db"},
			config{"127.0.0.1:7000", "127.0.0.1:7001", "here.db", grace}, ""},
		{"grace", []string{"-shutdown-timeout", "2s"}, nil, config{"127.0.0.1:8080", "127.0.0.1:9090", "", 2 * time.Second}, ""},
		{"bad duration", []string{"-shutdown-timeout", "soon"}, nil, config{}, "invalid value"},
		{"zero grace", []string{"-shutdown-timeout", "0s"}, nil, config{}, "must be positive"},
		{"stray argument", []string{"serve"}, nil, config{}, "unexpected arguments"},
		{"unknown flag", []string{"-port", "1"}, nil, config{}, "flag provided but not defined"},
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
	if _, err := parseConfig([]string{"-h"}, func(string) string { return "" }); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseConfig(-h) = %v, want flag.ErrHelp", err)
	}
}

// syncBuffer lets the test read log lines while the server goroutine writes them.
type syncBuffer struct {
	lines chan string
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.lines <- string(bytes.TrimSpace(p))
	return len(p), nil
}

func (b *syncBuffer) next(t *testing.T) string {
	t.Helper()
	select {
	case line := <-b.lines:
		return line
	case <-time.After(10 * time.Second): // a guard against hanging, not a wait
		t.Fatal("no log line")
		return ""
	}
}

// start runs the service in the background on free ports and returns the
// first log record, which names the bound addresses; stop ends the run and
// returns its error.
func start(t *testing.T, cfg config) (first map[string]any, logs *syncBuffer, stop func() error) {
	t.Helper()
	logs = &syncBuffer{lines: make(chan string, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, slog.New(slog.NewJSONHandler(logs, nil))) }()
	stop = func() error {
		cancel()
		return <-done
	}
	if err := json.Unmarshal([]byte(logs.next(t)), &first); err != nil {
		stop()
		t.Fatal(err)
	}
	return first, logs, stop
}

// boundAddr is an address from the first log record, checked to name a real port.
func boundAddr(t *testing.T, first map[string]any, key string) string {
	t.Helper()
	addr, _ := first[key].(string)
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("first log record %v does not name the bound %s", first, key)
	}
	return addr
}

func TestRunStopsCleanly(t *testing.T) {
	first, logs, stop := start(t, config{addr: "127.0.0.1:0", grpcAddr: "127.0.0.1:0", grace: time.Second})
	boundAddr(t, first, "addr")
	boundAddr(t, first, "grpc_addr")
	db, _ := first["db"].(string)
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("the temporary database: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("run() = %v, want nil", err)
	}
	if last := logs.next(t); !strings.Contains(last, "stopped cleanly") {
		t.Fatalf("last log line = %s", last)
	}
	if _, err := os.Stat(filepath.Dir(db)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the temporary database's directory is still there: %v", err)
	}
}

// TestRunKeepsTheDatabase writes over HTTP, stops, and reads the product
// back over gRPC from a second run on the same file.
func TestRunKeepsTheDatabase(t *testing.T) {
	cfg := config{addr: "127.0.0.1:0", grpcAddr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "catalog.db"), grace: time.Second}
	first, _, stop := start(t, cfg)
	resp, err := http.Post("http://"+boundAddr(t, first, "addr")+"/products", "application/json",
		strings.NewReader(`{"sku":"KEPT","name":"Kept","price":"3.50","stock":4}`))
	if err != nil {
		stop()
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := stop(); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d; run() = %v", resp.StatusCode, err)
	}

	first, _, stop = start(t, cfg)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("run() = %v, want nil", err)
		}
	}()
	conn, err := grpc.NewClient(boundAddr(t, first, "grpc_addr"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := catalogv1.NewCatalogServiceClient(conn).GetProduct(ctx, &catalogv1.GetProductRequest{Id: "prd_00000001"})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.GetProduct(); p.GetSku() != "KEPT" || p.GetPriceCents() != 350 || p.GetStock() != 4 {
		t.Fatalf("after a restart GetProduct() = %v", p)
	}
}

func TestRunBadAddress(t *testing.T) {
	for name, cfg := range map[string]config{
		"http": {addr: "127.0.0.1:-1", grpcAddr: "127.0.0.1:0", grace: time.Second},
		"grpc": {addr: "127.0.0.1:0", grpcAddr: "127.0.0.1:-1", grace: time.Second},
	} {
		if err := run(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("run() on an invalid %s address = nil, want an error", name)
		}
	}
}

func TestRunBadDatabase(t *testing.T) {
	cfg := config{addr: "127.0.0.1:0", grpcAddr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "missing", "catalog.db"), grace: time.Second}
	if err := run(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("run() with a database in a missing directory = nil, want an error")
	}
}
