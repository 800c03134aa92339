package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func start(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, grace) }()
	return done
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func TestServeAndStop(t *testing.T) {
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := start(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "pong")
	}), time.Second)
	body, err := get("http://" + ln.Addr().String() + "/")
	if err != nil || body != "pong" {
		t.Fatalf("GET = %q, %v", body, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve() = %v, want nil after a clean shutdown", err)
	}
	if _, err := get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

// TestInFlightRequestFinishes cancels the server while a request is being
// handled, and expects that request to complete before Serve returns.
func TestInFlightRequestFinishes(t *testing.T) {
	ln := listen(t)
	entered, release := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := start(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	}), 5*time.Second)
	result := make(chan string, 1)
	go func() {
		body, err := get("http://" + ln.Addr().String() + "/")
		if err != nil {
			body = err.Error()
		}
		result <- body
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	default:
	}
	close(release)
	if body := <-result; body != "finished" {
		t.Fatalf("in-flight request got %q, want %q", body, "finished")
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve() = %v", err)
	}
}

func TestGraceExpires(t *testing.T) {
	ln := listen(t)
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	done := start(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}), 10*time.Millisecond)
	go func() { _, _ = get("http://" + ln.Addr().String() + "/") }()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Serve() = %v, want a deadline error when the grace period runs out", err)
	}
}

func TestListenerFailure(t *testing.T) {
	ln := listen(t)
	ln.Close()
	if err := Serve(context.Background(), ln, http.NotFoundHandler(), time.Second); err == nil {
		t.Fatal("Serve() on a closed listener = nil, want an error")
	}
}
