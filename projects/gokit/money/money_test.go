package money

import (
	"errors"
	"testing"
)

func TestParseCents(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"0", 0, false},
		{"12", 1200, false},
		{"12.5", 1250, false},
		{"12.50", 1250, false},
		{"0.01", 1, false},
		{"007.10", 710, false},
		{"9999999999.99", 999_999_999_999, false},
		{"", 0, true},
		{".5", 0, true},
		{"5.", 0, true},
		{"-1.00", 0, true},
		{"+1.00", 0, true},
		{"1.234", 0, true},
		{"1e3", 0, true},
		{" 1.00", 0, true},
		{"1,00", 0, true},
		{"12345678901", 0, true},
		{"NaN", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCents(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("ParseCents(%q) = %d, %v; want ErrFormat", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCents(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatCents(t *testing.T) {
	tests := map[int64]string{0: "0.00", 1: "0.01", 1250: "12.50", 100000: "1000.00", -505: "-5.05"}
	for cents, want := range tests {
		if got := FormatCents(cents); got != want {
			t.Errorf("FormatCents(%d) = %q, want %q", cents, got, want)
		}
	}
}

// FuzzParseCents checks that any accepted string formats to a canonical form
// that parses back to the same amount.
func FuzzParseCents(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := ParseCents(s)
		if err != nil {
			return
		}
		if cents < 0 {
			t.Fatalf("ParseCents(%q) = %d, negative", s, cents)
		}
		canonical := FormatCents(cents)
		again, err := ParseCents(canonical)
		if err != nil || again != cents {
			t.Fatalf("ParseCents(%q) = %d, but %q parses to %d, %v", s, cents, canonical, again, err)
		}
	})
}
