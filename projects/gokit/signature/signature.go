// Package signature signs and verifies webhook bodies with HMAC-SHA256.
//
// The header looks like "t=1700000000,v1=<hex>": t is the Unix time of
// signing and v1 the HMAC of "<t>.<body>". Binding the time into the MAC lets
// a receiver refuse replays of an old delivery; several v1 entries may be
// sent while a secret is being rotated.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header is the HTTP header that carries the signature.
const Header = "X-Signature"

// DefaultTolerance is how far a signature's time may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

var (
	// ErrMalformed means the header could not be parsed.
	ErrMalformed = errors.New("signature: malformed header")
	// ErrTimestamp means the signature is too old or from the future.
	ErrTimestamp = errors.New("signature: timestamp outside tolerance")
	// ErrMismatch means no signature in the header matches the body.
	ErrMismatch = errors.New("signature: mismatch")
	// ErrNoSecret means verification was asked for without a secret.
	ErrNoSecret = errors.New("signature: empty secret")
)

// Sign returns the header value for body signed with secret at time ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	unix := ts.Unix()
	return fmt.Sprintf("t=%d,v1=%s", unix, hex.EncodeToString(mac(secret, unix, body)))
}

func mac(secret []byte, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(strconv.FormatInt(unix, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Parsed is a decoded signature header.
type Parsed struct {
	Timestamp  int64
	Signatures [][]byte
}

// Parse decodes a header value. Unknown keys are ignored so that new schemes
// can be added beside v1.
func Parse(header string) (Parsed, error) {
	var p Parsed
	seenTime := false
	for _, part := range strings.Split(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Parsed{}, fmt.Errorf("%w: %q is not key=value", ErrMalformed, part)
		}
		switch key {
		case "t":
			ts, err := parseTimestamp(value)
			if err != nil || seenTime {
				return Parsed{}, fmt.Errorf("%w: bad or repeated timestamp %q", ErrMalformed, value)
			}
			p.Timestamp, seenTime = ts, true
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return Parsed{}, fmt.Errorf("%w: v1 must be %d hex digits", ErrMalformed, 2*sha256.Size)
			}
			p.Signatures = append(p.Signatures, sig)
		}
	}
	if !seenTime || len(p.Signatures) == 0 {
		return Parsed{}, fmt.Errorf("%w: needs t= and at least one v1=", ErrMalformed)
	}
	return p, nil
}

// parseTimestamp accepts plain decimal digits only: no sign, no spaces, and
// few enough digits that the value cannot overflow.
func parseTimestamp(s string) (int64, error) {
	if s == "" || len(s) > 15 || strings.Trim(s, "0123456789") != "" {
		return 0, ErrMalformed
	}
	return strconv.ParseInt(s, 10, 64)
}

// Verify checks that header signs body with secret, and that its time is
// within tolerance of now in either direction.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	p, err := Parse(header)
	if err != nil {
		return err
	}
	skew := now.Sub(time.Unix(p.Timestamp, 0))
	if skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: signed %s away from now", ErrTimestamp, skew.Round(time.Second))
	}
	want := mac(secret, p.Timestamp, body)
	for _, sig := range p.Signatures {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return ErrMismatch
}
