package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandem-monorepo/tandem/projects/gokit/signature"
)

func TestRun(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := `{"type":"order.completed"}`
	valid := signature.Sign([]byte("whsec_test"), now, []byte(body))
	tests := []struct {
		name    string
		args    []string
		secret  string
		want    string
		wantErr error
	}{
		{"sign", nil, "whsec_test", valid + "\n", nil},
		{"sign at a given time", []string{"-time", "5"}, "k", signature.Sign([]byte("k"), time.Unix(5, 0), []byte(body)) + "\n", nil},
		{"verify", []string{"-verify", valid}, "whsec_test", "ok\n", nil},
		{"verify wrong secret", []string{"-verify", valid}, "other", "", signature.ErrMismatch},
		{"no secret", nil, "", "", errors.New("set WEBHOOK_SECRET to the shared secret")},
		{"bad flag", []string{"-nope"}, "k", "", errors.New("flag provided but not defined: -nope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			getenv := func(string) string { return tt.secret }
			err := run(tt.args, strings.NewReader(body), &out, getenv, now)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("run() = %v", err)
			case tt.wantErr != nil && (err == nil || !errors.Is(err, tt.wantErr) && err.Error() != tt.wantErr.Error()):
				t.Fatalf("run() = %v, want %v", err, tt.wantErr)
			}
			if out.String() != tt.want {
				t.Fatalf("output = %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestVerifyRejectsOldSignature(t *testing.T) {
	old := signature.Sign([]byte("k"), time.Unix(0, 0), []byte("x"))
	err := run([]string{"-verify", old}, strings.NewReader("x"), &bytes.Buffer{},
		func(string) string { return "k" }, time.Unix(1_700_000_000, 0))
	if !errors.Is(err, signature.ErrTimestamp) {
		t.Fatalf("run() = %v, want ErrTimestamp", err)
	}
}
