// Package api is the catalog's HTTP JSON interface.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/tandem-monorepo/tandem/projects/catalog/internal/rules"
	"github.com/tandem-monorepo/tandem/projects/catalog/internal/store"
	"github.com/tandem-monorepo/tandem/projects/gokit/health"
	"github.com/tandem-monorepo/tandem/projects/gokit/jsonhttp"
	"github.com/tandem-monorepo/tandem/projects/gokit/middleware"
	"github.com/tandem-monorepo/tandem/projects/gokit/money"
)

const (
	maxBody      = 64 << 10
	defaultLimit = 20
	maxLimit     = 100
)

type api struct {
	store *store.Store
}

// New returns the catalog's handler with request IDs, access logs and panic
// recovery around every route.
func New(s *store.Store, logger *slog.Logger) http.Handler {
	a := &api{store: s}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Handler(nil))
	mux.HandleFunc("POST /products", a.create)
	mux.HandleFunc("GET /products", a.list)
	mux.HandleFunc("GET /products/{id}", a.get)
	mux.HandleFunc("PUT /products/{id}", a.update)
	mux.HandleFunc("DELETE /products/{id}", a.remove)
	return middleware.Chain(jsonhttp.Routes(mux),
		middleware.RequestID, middleware.Logging(logger), middleware.Recover(logger))
}

// productInput uses pointers so that a missing field can be told from a zero one.
type productInput struct {
	SKU   *string `json:"sku"`
	Name  *string `json:"name"`
	Price *string `json:"price"`
	Stock *int    `json:"stock"`
}

type productJSON struct {
	ID        string    `json:"id"`
	SKU       string    `json:"sku"`
	Name      string    `json:"name"`
	Price     string    `json:"price"`
	Stock     int       `json:"stock"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type pageJSON struct {
	Items      []productJSON `json:"items"`
	Total      int           `json:"total"`
	Limit      int           `json:"limit"`
	Offset     int           `json:"offset"`
	NextOffset *int          `json:"next_offset"`
}

func toJSON(p store.Product) productJSON {
	return productJSON{ID: p.ID, SKU: p.SKU, Name: p.Name, Price: money.FormatCents(p.PriceCents),
		Stock: p.Stock, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// validate checks every field and reports all problems at once.
func (in productInput) validate() (store.Product, error) {
	problems := jsonhttp.Problems{}
	var p store.Product
	check := func(field, problem string) {
		if problem != "" {
			problems.Add(field, problem)
		}
	}
	if in.SKU == nil {
		problems.Add("sku", "is required")
	} else {
		p.SKU = *in.SKU
		check("sku", rules.SKU(p.SKU))
	}
	if in.Name == nil {
		problems.Add("name", "is required")
	} else {
		var problem string
		p.Name, problem = rules.Name(*in.Name)
		check("name", problem)
	}
	if in.Price == nil {
		problems.Add("price", "is required")
	} else if cents, err := money.ParseCents(*in.Price); err != nil {
		problems.Add("price", money.ErrFormat.Error())
	} else {
		p.PriceCents = cents
		check("price", rules.PriceCents(cents))
	}
	if in.Stock != nil {
		p.Stock = *in.Stock
		check("stock", rules.Stock(p.Stock))
	}
	return p, problems.Err()
}

func (a *api) decode(w http.ResponseWriter, r *http.Request) (store.Product, error) {
	var in productInput
	if err := jsonhttp.Decode(w, r, &in, maxBody); err != nil {
		return store.Product{}, err
	}
	return in.validate()
}

func (a *api) create(w http.ResponseWriter, r *http.Request) {
	p, err := a.decode(w, r)
	if err == nil {
		p, err = a.store.Create(p)
	}
	if err != nil {
		writeStoreError(w, err, "")
		return
	}
	w.Header().Set("Location", "/products/"+p.ID)
	jsonhttp.Write(w, http.StatusCreated, toJSON(p))
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	p, err := a.store.Get(r.PathValue("id"))
	if err != nil {
		writeStoreError(w, err, r.PathValue("id"))
		return
	}
	jsonhttp.Write(w, http.StatusOK, toJSON(p))
}

func (a *api) update(w http.ResponseWriter, r *http.Request) {
	p, err := a.decode(w, r)
	if err == nil {
		p, err = a.store.Update(r.PathValue("id"), p)
	}
	if err != nil {
		writeStoreError(w, err, r.PathValue("id"))
		return
	}
	jsonhttp.Write(w, http.StatusOK, toJSON(p))
}

func (a *api) remove(w http.ResponseWriter, r *http.Request) {
	if err := a.store.Delete(r.PathValue("id")); err != nil {
		writeStoreError(w, err, r.PathValue("id"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pagination(r)
	if err != nil {
		jsonhttp.WriteError(w, err)
		return
	}
	products, total, err := a.store.List(offset, limit)
	if err != nil {
		writeStoreError(w, err, "")
		return
	}
	page := pageJSON{Items: make([]productJSON, len(products)), Total: total, Limit: limit, Offset: offset}
	for i, p := range products {
		page.Items[i] = toJSON(p)
	}
	if next := offset + len(products); next < total {
		page.NextOffset = &next
	}
	jsonhttp.Write(w, http.StatusOK, page)
}

// pagination reads ?offset= and ?limit=, defaulting to the first page.
func pagination(r *http.Request) (offset, limit int, err error) {
	problems := jsonhttp.Problems{}
	query := r.URL.Query()
	offset, limit = 0, defaultLimit
	if raw := query.Get("offset"); raw != "" {
		if offset, err = strconv.Atoi(raw); err != nil || offset < 0 {
			problems.Add("offset", "must be a whole number of 0 or more")
		}
	}
	if raw := query.Get("limit"); raw != "" {
		if limit, err = strconv.Atoi(raw); err != nil || limit < 1 || limit > maxLimit {
			problems.Add("limit", "must be a whole number from 1 to 100")
		}
	}
	return offset, limit, problems.Err()
}

func writeStoreError(w http.ResponseWriter, err error, id string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = jsonhttp.Errorf(http.StatusNotFound, "product %q not found", id)
	case errors.Is(err, store.ErrDuplicateSKU):
		err = jsonhttp.Errorf(http.StatusConflict, "%v", err)
	}
	jsonhttp.WriteError(w, err)
}
