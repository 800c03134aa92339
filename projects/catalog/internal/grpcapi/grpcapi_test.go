package grpcapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	catalogv1 "github.com/tandem-monorepo/tandem/projects/catalog/gen/catalog/v1"
	"github.com/tandem-monorepo/tandem/projects/catalog/internal/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

var clock = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// lockedBuffer collects the server's log while its goroutines write to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve starts the service on a real listener on 127.0.0.1 over a store in
// t.TempDir(), and returns a client connected to it and the server's log.
func serve(t *testing.T, s *store.Store) (catalogv1.CatalogServiceClient, *lockedBuffer) {
	t.Helper()
	if s == nil {
		var err error
		if s, err = store.Open(filepath.Join(t.TempDir(), "catalog.db"), func() time.Time { return clock }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	srv := NewServer(s, slog.New(slog.NewJSONHandler(logs, nil)))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.GracefulStop()
		if err := <-served; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	return catalogv1.NewCatalogServiceClient(conn), logs
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a guard against hanging, not a wait
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code codes.Code, inMessage ...string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("status = %v, want %v", err, code)
	}
	for _, s := range inMessage {
		if !strings.Contains(st.Message(), s) {
			t.Errorf("message %q does not mention %q", st.Message(), s)
		}
	}
}

func create(t *testing.T, c catalogv1.CatalogServiceClient, sku string, stock int32) *catalogv1.Product {
	t.Helper()
	res, err := c.CreateProduct(timeout(t), &catalogv1.CreateProductRequest{Sku: sku, Name: "Item " + sku, PriceCents: 999, Stock: stock})
	if err != nil {
		t.Fatalf("CreateProduct(%s) = %v", sku, err)
	}
	return res.GetProduct()
}

func TestCreateAndGet(t *testing.T) {
	c, logs := serve(t, nil)
	res, err := c.CreateProduct(timeout(t), &catalogv1.CreateProductRequest{Sku: "TEE-RED", Name: "  Red tee ", PriceCents: 1550, Stock: 7})
	if err != nil {
		t.Fatal(err)
	}
	p := res.GetProduct()
	if p.GetId() != "prd_00000001" || p.GetName() != "Red tee" || p.GetPriceCents() != 1550 || p.GetStock() != 7 ||
		!p.GetCreateTime().AsTime().Equal(clock) || !p.GetUpdateTime().AsTime().Equal(clock) {
		t.Fatalf("CreateProduct() = %v", p)
	}
	got, err := c.GetProduct(timeout(t), &catalogv1.GetProductRequest{Id: p.GetId()})
	if err != nil || got.GetProduct().String() != p.String() {
		t.Fatalf("GetProduct() = %v, %v; want %v", got, err, p)
	}
	_, err = c.GetProduct(timeout(t), &catalogv1.GetProductRequest{Id: "prd_99999999"})
	wantCode(t, err, codes.NotFound, "prd_99999999")
	_, err = c.CreateProduct(timeout(t), &catalogv1.CreateProductRequest{Sku: "TEE-RED", Name: "Again", PriceCents: 1})
	wantCode(t, err, codes.AlreadyExists, "TEE-RED")
	if log := logs.String(); !strings.Contains(log, `"method":"/catalog.v1.CatalogService/CreateProduct","code":"OK"`) ||
		!strings.Contains(log, `"code":"NotFound"`) {
		t.Fatalf("calls not logged:\n%s", log)
	}
}

func TestInvalidArguments(t *testing.T) {
	c, _ := serve(t, nil)
	good := func() *catalogv1.CreateProductRequest {
		return &catalogv1.CreateProductRequest{Sku: "MUG", Name: "Mug", PriceCents: 850, Stock: 1}
	}
	tests := []struct {
		name   string
		change func(*catalogv1.CreateProductRequest)
		fields []string
	}{
		{"empty", func(r *catalogv1.CreateProductRequest) { *r = catalogv1.CreateProductRequest{} }, []string{"sku:", "name:", "price_cents:"}},
		{"lower-case sku", func(r *catalogv1.CreateProductRequest) { r.Sku = "mug" }, []string{"sku: must be 2 to 32"}},
		{"blank name", func(r *catalogv1.CreateProductRequest) { r.Name = "  " }, []string{"name: must be 1 to 200 characters"}},
		{"long name", func(r *catalogv1.CreateProductRequest) { r.Name = strings.Repeat("é", 201) }, []string{"name:"}},
		{"negative price", func(r *catalogv1.CreateProductRequest) { r.PriceCents = -1 }, []string{"price_cents: must be greater than 0"}},
		{"negative stock", func(r *catalogv1.CreateProductRequest) { r.Stock = -1 }, []string{"stock: must be between 0 and 1000000"}},
		{"too much stock", func(r *catalogv1.CreateProductRequest) { r.Stock = store.MaxStock + 1 }, []string{"stock:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good()
			tt.change(req)
			_, err := c.CreateProduct(timeout(t), req)
			wantCode(t, err, codes.InvalidArgument, tt.fields...)
		})
	}
	for name, call := range map[string]func() error{
		"get without id":    func() error { _, err := c.GetProduct(timeout(t), &catalogv1.GetProductRequest{}); return err },
		"adjust without id": func() error { _, err := c.AdjustStock(timeout(t), &catalogv1.AdjustStockRequest{Delta: 1}); return err },
		"adjust by 0": func() error {
			_, err := c.AdjustStock(timeout(t), &catalogv1.AdjustStockRequest{Id: "prd_1"})
			return err
		},
		"negative page size": func() error {
			_, err := c.ListProducts(timeout(t), &catalogv1.ListProductsRequest{PageSize: -1})
			return err
		},
		"made-up page token": func() error {
			_, err := c.ListProducts(timeout(t), &catalogv1.ListProductsRequest{PageToken: "prd_00000001"})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, call(), codes.InvalidArgument) })
	}
	if res, err := c.ListProducts(timeout(t), &catalogv1.ListProductsRequest{}); err != nil || len(res.GetProducts()) != 0 {
		t.Fatalf("invalid requests stored something: %v, %v", res, err)
	}
}

func TestListProducts(t *testing.T) {
	c, _ := serve(t, nil)
	var want []string
	for i := range 5 {
		want = append(want, create(t, c, fmt.Sprintf("SKU-%d", i), 0).GetId())
	}
	var seen []string
	token := ""
	for pages := 1; ; pages++ {
		res, err := c.ListProducts(timeout(t), &catalogv1.ListProductsRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetProducts()) > 2 || res.GetTotalSize() != 5 {
			t.Fatalf("page %d: %d products of %d", pages, len(res.GetProducts()), res.GetTotalSize())
		}
		for _, p := range res.GetProducts() {
			seen = append(seen, p.GetId())
		}
		if token = res.GetNextPageToken(); token == "" {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("pages = %v, want %v", seen, want)
	}
	res, err := c.ListProducts(timeout(t), &catalogv1.ListProductsRequest{PageSize: 1000})
	if err != nil || len(res.GetProducts()) != 5 || res.GetNextPageToken() != "" {
		t.Fatalf("one big page = %v, %v", res, err)
	}
}

func TestAdjustStock(t *testing.T) {
	c, _ := serve(t, nil)
	p := create(t, c, "MUG", 5)
	res, err := c.AdjustStock(timeout(t), &catalogv1.AdjustStockRequest{Id: p.GetId(), Delta: -2})
	if err != nil || res.GetProduct().GetStock() != 3 {
		t.Fatalf("AdjustStock(-2) = %v, %v", res, err)
	}
	_, err = c.AdjustStock(timeout(t), &catalogv1.AdjustStockRequest{Id: p.GetId(), Delta: -4})
	wantCode(t, err, codes.FailedPrecondition, "stock out of range")
	_, err = c.AdjustStock(timeout(t), &catalogv1.AdjustStockRequest{Id: "prd_99999999", Delta: 1})
	wantCode(t, err, codes.NotFound)

	// Concurrent adjustments over the wire lose none of one another.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.AdjustStock(timeout(t), &catalogv1.AdjustStockRequest{Id: p.GetId(), Delta: 1}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := c.GetProduct(timeout(t), &catalogv1.GetProductRequest{Id: p.GetId()})
	if err != nil || got.GetProduct().GetStock() != 23 {
		t.Fatalf("stock after 20 concurrent +1 = %v, %v; want 23", got, err)
	}
}

// TestInternalErrorsStayInside closes the store under a running server: the
// client gets a bare INTERNAL, the log gets the reason.
func TestInternalErrorsStayInside(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "catalog.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, logs := serve(t, s)
	s.Close()
	_, err = c.GetProduct(timeout(t), &catalogv1.GetProductRequest{Id: "prd_00000001"})
	wantCode(t, err, codes.Internal)
	if msg := status.Convert(err).Message(); msg != "internal server error" {
		t.Fatalf("message = %q, want no details", msg)
	}
	if !strings.Contains(logs.String(), "database not open") {
		t.Fatalf("the reason is not logged:\n%s", logs.String())
	}
}

func TestPanicIsInternal(t *testing.T) {
	var logs bytes.Buffer
	_, err := logging(slog.New(slog.NewJSONHandler(&logs, nil)))(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Y"},
		func(ctx context.Context, req any) (any, error) {
			return recovery(ctx, req, nil, func(context.Context, any) (any, error) { panic("boom") })
		})
	wantCode(t, err, codes.Internal)
	if !strings.Contains(logs.String(), "panic: boom") || !errors.As(err, new(*internalError)) {
		t.Fatalf("err = %v, log = %s", err, logs.String())
	}
}

func TestPageToken(t *testing.T) {
	for _, id := range []string{"prd_00000001", "prd_99999999"} {
		if got, ok := decodeToken(encodeToken(id)); !ok || got != id {
			t.Errorf("decodeToken(encodeToken(%q)) = %q, %v", id, got, ok)
		}
	}
	for _, token := range []string{"%%%", "cHJk", encodeToken("")} {
		if _, ok := decodeToken(token); ok {
			t.Errorf("decodeToken(%q) accepted", token)
		}
	}
}
