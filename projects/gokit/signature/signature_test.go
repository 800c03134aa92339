package signature

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var (
	secret = []byte("whsec_test")
	signed = time.Unix(1_700_000_000, 0)
	body   = []byte(`{"type":"order.completed"}`)
)

func TestSignKnownVector(t *testing.T) {
	// Computed independently: printf '1700000000.{"type":"order.completed"}' | openssl dgst -sha256 -hmac whsec_test
	want := "t=1700000000,v1=" + knownMAC
	if got := Sign(secret, signed, body); got != want {
		t.Fatalf("Sign() = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	good := Sign(secret, signed, body)
	rotated := Sign([]byte("old-secret"), signed, body) + "," + strings.Split(good, ",")[1]
	tests := []struct {
		name    string
		secret  []byte
		header  string
		body    []byte
		now     time.Time
		wantErr error
	}{
		{"valid", secret, good, body, signed, nil},
		{"valid a little later", secret, good, body, signed.Add(4 * time.Minute), nil},
		{"clock slightly behind", secret, good, body, signed.Add(-4 * time.Minute), nil},
		{"valid with rotated secrets", secret, rotated, body, signed, nil},
		{"unknown keys ignored", secret, good + ",v0=zzz", body, signed, nil},
		{"replayed later", secret, good, body, signed.Add(6 * time.Minute), ErrTimestamp},
		{"from the future", secret, good, body, signed.Add(-6 * time.Minute), ErrTimestamp},
		{"tampered body", secret, good, []byte(`{"type":"order.failed"}`), signed, ErrMismatch},
		{"wrong secret", []byte("other"), good, body, signed, ErrMismatch},
		{"timestamp changed", secret, strings.Replace(good, "t=1700000000", "t=1700000001", 1), body, signed, ErrMismatch},
		{"empty secret", nil, good, body, signed, ErrNoSecret},
		{"empty header", secret, "", body, signed, ErrMalformed},
		{"no signature", secret, "t=1700000000", body, signed, ErrMalformed},
		{"no timestamp", secret, strings.Split(good, ",")[1], body, signed, ErrMalformed},
		{"negative timestamp", secret, "t=-1,v1=" + knownMAC, body, signed, ErrMalformed},
		{"short signature", secret, "t=1700000000,v1=abcd", body, signed, ErrMalformed},
		{"repeated timestamp", secret, "t=1,t=2,v1=" + knownMAC, body, signed, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, DefaultTolerance)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Verify() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

const knownMAC = "a9e2799c641b654dc7ec60ee2aea45383f3dee5f03c194e8295cd34f787dd77e"

// FuzzVerify checks that every signature verifies against its own body and
// secret, and never against a changed body.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("s3cret"), []byte(`{"id":"ord_1"}`), uint32(1_700_000_000))
	f.Add([]byte("k"), []byte(""), uint32(0))
	f.Add([]byte("\x00\xff"), []byte("t=1,v1=00"), uint32(4_000_000_000))
	f.Fuzz(func(t *testing.T, key, payload []byte, unix uint32) {
		if len(key) == 0 {
			return
		}
		at := time.Unix(int64(unix), 0)
		header := Sign(key, at, payload)
		if err := Verify(key, header, payload, at, time.Second); err != nil {
			t.Fatalf("Verify(Sign()) = %v for header %s", err, header)
		}
		changed := append([]byte{'x'}, payload...)
		if err := Verify(key, header, changed, at, time.Second); !errors.Is(err, ErrMismatch) {
			t.Fatalf("Verify() of a changed body = %v, want ErrMismatch", err)
		}
	})
}

// FuzzParse checks that no header makes Parse panic, and that whatever it
// accepts survives a round trip through the header format.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string) {
		p, err := Parse(header)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrMalformed", header, err)
			}
			return
		}
		again := fmt.Sprintf("t=%d", p.Timestamp)
		for _, sig := range p.Signatures {
			again += fmt.Sprintf(",v1=%x", sig)
		}
		q, err := Parse(again)
		if err != nil || q.Timestamp != p.Timestamp || len(q.Signatures) != len(p.Signatures) {
			t.Fatalf("round trip of %q via %q = %+v, %v", header, again, q, err)
		}
	})
}
