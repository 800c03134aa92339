package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{"defaults", nil, nil, config{"127.0.0.1:8080", 10 * time.Second}, ""},
		{"env", nil, map[string]string{"CATALOG_ADDR": ":9000"}, config{":9000", 10 * time.Second}, ""},
		{"flag beats env", []string{"-addr", "127.0.0.1:7000"}, map[string]string{"CATALOG_ADDR": ":9000"}, config{"127.0.0.1:7000", 10 * time.Second}, ""},
		{"grace", []string{"-shutdown-timeout", "2s"}, nil, config{"127.0.0.1:8080", 2 * time.Second}, ""},
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

func TestRunStopsCleanly(t *testing.T) {
	logs := &syncBuffer{lines: make(chan string, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, config{addr: "127.0.0.1:0", grace: time.Second}, slog.New(slog.NewJSONHandler(logs, nil)))
	}()
	var first map[string]any
	if err := json.Unmarshal([]byte(logs.next(t)), &first); err != nil {
		t.Fatal(err)
	}
	if addr, _ := first["addr"].(string); !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("first log record %v does not name the bound address", first)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run() = %v, want nil", err)
	}
	if last := logs.next(t); !strings.Contains(last, "stopped cleanly") {
		t.Fatalf("last log line = %s", last)
	}
}

func TestRunBadAddress(t *testing.T) {
	err := run(context.Background(), config{addr: "127.0.0.1:-1", grace: time.Second}, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("run() on an invalid address = nil, want an error")
	}
}
