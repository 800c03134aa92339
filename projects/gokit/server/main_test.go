package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	parse := func(args []string, getenv func(string) string) (string, error) {
		switch {
		case len(args) == 0:
			return getenv("ADDR"), nil
		case args[0] == "-h":
			return "", flag.ErrHelp
		default:
			return "", fmt.Errorf("flag provided but not defined: %s", args[0])
		}
	}
	tests := []struct {
		name       string
		args       []string
		runErr     error
		wantCode   int
		wantRun    bool
		wantStderr string // a prefix of the first line; "" means nothing at all
		wantRecord map[string]any
	}{
		{"runs and stops cleanly", nil, nil, 0, true, "", nil},
		{"help", []string{"-h"}, nil, 0, false, "", nil},
		{"bad flag", []string{"-port"}, nil, 2, false, "svc: flag provided but not defined: -port\n", nil},
		{"run fails", nil, errors.New("address in use"), 1, true, "{",
			map[string]any{"level": "ERROR", "msg": "svc stopped", "error": "address in use"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			ran := false
			run := func(ctx context.Context, addr string, logger *slog.Logger) error {
				ran = true
				if addr != "127.0.0.1:0" {
					t.Errorf("run got config %q, want the parsed one", addr)
				}
				if ctx.Err() != nil {
					t.Error("run got a context that has already ended")
				}
				return tt.runErr
			}
			getenv := func(k string) string { return map[string]string{"ADDR": "127.0.0.1:0"}[k] }
			if code := exitCode("svc", tt.args, getenv, &stderr, parse, run); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if ran != tt.wantRun {
				t.Errorf("run called = %v, want %v", ran, tt.wantRun)
			}
			if tt.wantStderr == "" && stderr.Len() > 0 || !strings.HasPrefix(stderr.String(), tt.wantStderr) {
				t.Fatalf("stderr = %q, want it to start with %q", stderr.String(), tt.wantStderr)
			}
			if tt.wantRecord != nil {
				var rec map[string]any
				if err := json.Unmarshal(stderr.Bytes(), &rec); err != nil {
					t.Fatalf("stderr %q is not one JSON log record: %v", stderr.String(), err)
				}
				for k, v := range tt.wantRecord {
					if rec[k] != v {
						t.Errorf("log record %s = %v, want %v", k, rec[k], v)
					}
				}
			}
		})
	}
}

// TestUntilSignal sends SIGTERM to the test process itself while the wrapped
// run waits: the signal must end run's context instead of the process.
func TestUntilSignal(t *testing.T) {
	run := untilSignal(func(ctx context.Context, _ struct{}, _ *slog.Logger) error {
		self, err := os.FindProcess(os.Getpid())
		if err != nil {
			return err
		}
		if err := self.Signal(syscall.SIGTERM); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(10 * time.Second): // a guard against hanging, not a wait
			return errors.New("context still live after SIGTERM")
		}
	})
	if err := run(context.Background(), struct{}{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
}
