// Package api is the orders service's HTTP interface: a JSON API for placing
// and reading orders, and an HTML status page.
package api

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tandem-monorepo/tandem/projects/gokit/health"
	"github.com/tandem-monorepo/tandem/projects/gokit/jsonhttp"
	"github.com/tandem-monorepo/tandem/projects/gokit/middleware"
	"github.com/tandem-monorepo/tandem/projects/gokit/money"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/order"
	"github.com/tandem-monorepo/tandem/projects/orders/internal/worker"
)

const (
	maxBody     = 64 << 10
	maxItems    = 50
	maxQuantity = 1000
	pageOrders  = 20
)

var (
	skuPattern    = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,31}$`)
	couponPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)

	//go:embed status.html
	templates  embed.FS
	statusPage = template.Must(template.ParseFS(templates, "status.html"))
)

// Deps is what the handlers work with.
type Deps struct {
	Store     *order.Store
	Processor *worker.Processor
	Workers   int
	Logger    *slog.Logger
	// Ready reports whether dependencies answer, for /readyz; nil means always ready.
	Ready health.Check
}

type api struct{ Deps }

// New returns the service's handler.
func New(d Deps) http.Handler {
	a := &api{d}
	checks := map[string]health.Check{}
	if d.Ready != nil {
		checks["pricing"] = d.Ready
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Handler(nil))
	mux.Handle("GET /readyz", health.Handler(checks))
	mux.HandleFunc("POST /orders", a.place)
	mux.HandleFunc("GET /orders", a.list)
	mux.HandleFunc("GET /orders/{id}", a.get)
	mux.HandleFunc("GET /{$}", a.status)
	return middleware.Chain(jsonhttp.Routes(mux),
		middleware.RequestID, middleware.Logging(d.Logger), middleware.Recover(d.Logger))
}

type orderInput struct {
	Customer string       `json:"customer"`
	Items    []order.Item `json:"items"`
	Coupon   string       `json:"coupon"`
}

// validate reports every problem at once, naming fields as a client wrote them.
func (in *orderInput) validate() error {
	problems := jsonhttp.Problems{}
	in.Customer = strings.TrimSpace(in.Customer)
	if in.Customer == "" || utf8.RuneCountInString(in.Customer) > 100 {
		problems.Add("customer", "must be 1 to 100 characters")
	}
	if in.Coupon != "" && !couponPattern.MatchString(in.Coupon) {
		problems.Add("coupon", "must be 1 to 32 letters, digits or hyphens")
	}
	if len(in.Items) == 0 || len(in.Items) > maxItems {
		problems.Add("items", "must hold 1 to 50 items")
	}
	first := map[string]int{}
	for i, it := range in.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		if !skuPattern.MatchString(it.SKU) {
			problems.Add(field+".sku", "must be 2 to 32 upper-case letters, digits or hyphens")
		} else if j, dup := first[it.SKU]; dup {
			problems.Add(field+".sku", "repeats items["+strconv.Itoa(j)+"]; add up the quantities instead")
		} else {
			first[it.SKU] = i
		}
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			problems.Add(field+".quantity", "must be between 1 and 1000")
		}
		if cents, err := money.ParseCents(it.UnitPrice); err != nil || cents == 0 {
			problems.Add(field+".unit_price", `must be a positive decimal string such as "12.50"`)
		}
	}
	return problems.Err()
}

func (a *api) place(w http.ResponseWriter, r *http.Request) {
	var in orderInput
	if err := jsonhttp.Decode(w, r, &in, maxBody); err != nil {
		jsonhttp.WriteError(w, err)
		return
	}
	if err := in.validate(); err != nil {
		jsonhttp.WriteError(w, err)
		return
	}
	o := a.Store.Add(in.Customer, in.Items, in.Coupon)
	if err := a.Processor.Submit(o.ID); err != nil {
		a.Store.Remove(o.ID)
		a.refuse(w, err)
		return
	}
	w.Header().Set("Location", "/orders/"+o.ID)
	jsonhttp.Write(w, http.StatusAccepted, o)
}

// refuse explains why an order could not be queued; both cases are temporary.
func (a *api) refuse(w http.ResponseWriter, err error) {
	w.Header().Set("Retry-After", "1")
	status := http.StatusServiceUnavailable
	if errors.Is(err, worker.ErrQueueFull) {
		status = http.StatusTooManyRequests
	}
	jsonhttp.WriteError(w, jsonhttp.Errorf(status, "%v; try again shortly", err))
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	o, ok := a.Store.Get(r.PathValue("id"))
	if !ok {
		jsonhttp.WriteError(w, jsonhttp.Errorf(http.StatusNotFound, "order %q not found", r.PathValue("id")))
		return
	}
	jsonhttp.Write(w, http.StatusOK, o)
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	status := order.Status(r.URL.Query().Get("status"))
	if status != "" && !known(status) {
		jsonhttp.WriteError(w, jsonhttp.Problems{"status": "must be one of pending, processing, completed, failed"}.Err())
		return
	}
	limit := pageOrders
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 100 {
			jsonhttp.WriteError(w, jsonhttp.Problems{"limit": "must be a whole number from 1 to 100"}.Err())
			return
		}
		limit = n
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"items": a.Store.List(status, limit)})
}

func known(s order.Status) bool {
	for _, k := range order.Statuses {
		if s == k {
			return true
		}
	}
	return false
}

type statusCount struct {
	Status order.Status
	Count  int
}

func (a *api) status(w http.ResponseWriter, r *http.Request) {
	counts := a.Store.Counts()
	data := struct {
		Workers, Queued int
		Counts          []statusCount
		Orders          []order.Order
	}{Workers: a.Workers, Queued: a.Processor.Queued(), Orders: a.Store.List("", pageOrders)}
	for _, s := range order.Statuses {
		data.Counts = append(data.Counts, statusCount{s, counts[s]})
	}
	var page bytes.Buffer
	if err := statusPage.Execute(&page, data); err != nil {
		jsonhttp.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = page.WriteTo(w)
}
