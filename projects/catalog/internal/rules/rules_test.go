package rules

import (
	"strings"
	"testing"

	"github.com/tandem-monorepo/tandem/projects/catalog/internal/store"
)

func TestRules(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"good SKU", SKU("TEE-RED"), ""},
		{"two-character SKU", SKU("T1"), ""},
		{"one-character SKU", SKU("T"), BadSKU},
		{"33-character SKU", SKU(strings.Repeat("A", 33)), BadSKU},
		{"lower-case SKU", SKU("tee"), BadSKU},
		{"SKU starting with a hyphen", SKU("-TEE"), BadSKU},
		{"price", PriceCents(1), ""},
		{"zero price", PriceCents(0), BadPrice},
		{"negative price", PriceCents(-5), BadPrice},
		{"no stock", Stock(0), ""},
		{"most stock", Stock(store.MaxStock), ""},
		{"too much stock", Stock(store.MaxStock + 1), BadStock},
		{"negative stock", Stock(-1), BadStock},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: problem %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{"  Red tee ", "Red tee", ""},
		{strings.Repeat("é", 200), strings.Repeat("é", 200), ""},
		{strings.Repeat("é", 201), strings.Repeat("é", 201), BadName},
		{"   ", "", BadName},
		{"", "", BadName},
	}
	for _, tt := range tests {
		if got, problem := Name(tt.in); got != tt.want || problem != tt.problem {
			t.Errorf("Name(%q) = %q, %q; want %q, %q", tt.in, got, problem, tt.want, tt.problem)
		}
	}
}
