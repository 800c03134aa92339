// Package rules holds what makes a product valid, so that the HTTP and the
// gRPC API accept exactly the same products and explain refusals alike.
package rules

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tandem-monorepo/tandem/projects/catalog/internal/store"
)

const maxNameRunes = 200

var skuPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,31}$`)

// The problems with a field, as the APIs word them.
const (
	BadSKU   = "must be 2 to 32 upper-case letters, digits or hyphens, not starting with a hyphen"
	BadName  = "must be 1 to 200 characters"
	BadPrice = "must be greater than 0"
	BadStock = "must be between 0 and 1000000"
)

// SKU returns the problem with sku, or "".
func SKU(sku string) string {
	if !skuPattern.MatchString(sku) {
		return BadSKU
	}
	return ""
}

// Name returns name without leading and trailing white space, and the
// problem with it, or "".
func Name(name string) (string, string) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxNameRunes {
		return name, BadName
	}
	return name, ""
}

// PriceCents returns the problem with a price in cents, or "".
func PriceCents(cents int64) string {
	if cents <= 0 {
		return BadPrice
	}
	return ""
}

// Stock returns the problem with a stock level, or "".
func Stock(stock int) string {
	if stock < 0 || stock > store.MaxStock {
		return BadStock
	}
	return ""
}
