// Package money handles amounts as integer cents and as the decimal strings
// ("12.50") that the services exchange, so that no amount ever passes
// through a float.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxUnits is the largest whole-unit part accepted (ten digits).
const MaxUnits = 9_999_999_999

// ErrFormat explains the accepted format.
var ErrFormat = errors.New(`must be a decimal string with at most 2 decimals, such as "12.50"`)

// ParseCents reads a non-negative amount such as "12", "12.5" or "12.50".
func ParseCents(s string) (int64, error) {
	units, frac, hasFrac := strings.Cut(s, ".")
	if !digits(units, 1, 10) || hasFrac && !digits(frac, 1, 2) {
		return 0, fmt.Errorf("%q %w", s, ErrFormat)
	}
	whole, err := strconv.ParseInt(units, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q %w", s, ErrFormat)
	}
	var cents int64
	if hasFrac {
		cents, _ = strconv.ParseInt((frac + "0")[:2], 10, 64)
	}
	return whole*100 + cents, nil
}

func digits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatCents writes cents with exactly two decimals: 1250 → "12.50".
func FormatCents(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
