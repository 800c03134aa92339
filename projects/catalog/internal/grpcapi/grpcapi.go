// Package grpcapi is the catalog's gRPC interface (catalog.v1.CatalogService),
// over the same store as the HTTP API.
package grpcapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	catalogv1 "github.com/tandem-monorepo/tandem/projects/catalog/gen/catalog/v1"
	"github.com/tandem-monorepo/tandem/projects/catalog/internal/rules"
	"github.com/tandem-monorepo/tandem/projects/catalog/internal/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	defaultPageSize = 20
	maxPageSize     = 100
	// tokenPrefix versions the page token, so that its format can change
	// without old tokens being misread.
	tokenPrefix = "v1:"
)

// NewServer returns a gRPC server with the catalog service registered on s,
// logging every call the way the HTTP API logs every request.
func NewServer(s *store.Store, logger *slog.Logger) *grpc.Server {
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(logging(logger), recovery))
	catalogv1.RegisterCatalogServiceServer(srv, New(s))
	return srv
}

// Service implements catalogv1.CatalogServiceServer.
type Service struct {
	catalogv1.UnimplementedCatalogServiceServer
	store *store.Store
}

// New returns the catalog service over s.
func New(s *store.Store) *Service {
	return &Service{store: s}
}

// CreateProduct validates the request and stores the product.
func (s *Service) CreateProduct(_ context.Context, req *catalogv1.CreateProductRequest) (*catalogv1.CreateProductResponse, error) {
	problems := map[string]string{}
	check := func(field, problem string) {
		if problem != "" {
			problems[field] = problem
		}
	}
	check("sku", rules.SKU(req.GetSku()))
	name, problem := rules.Name(req.GetName())
	check("name", problem)
	check("price_cents", rules.PriceCents(req.GetPriceCents()))
	check("stock", rules.Stock(int(req.GetStock())))
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	p, err := s.store.Create(store.Product{SKU: req.GetSku(), Name: name,
		PriceCents: req.GetPriceCents(), Stock: int(req.GetStock())})
	if err != nil {
		return nil, storeError(err, "")
	}
	return &catalogv1.CreateProductResponse{Product: toProto(p)}, nil
}

// GetProduct returns one product.
func (s *Service) GetProduct(_ context.Context, req *catalogv1.GetProductRequest) (*catalogv1.GetProductResponse, error) {
	if req.GetId() == "" {
		return nil, invalid(map[string]string{"id": "is required"})
	}
	p, err := s.store.Get(req.GetId())
	if err != nil {
		return nil, storeError(err, req.GetId())
	}
	return &catalogv1.GetProductResponse{Product: toProto(p)}, nil
}

// ListProducts returns one page, and a token for the next while there is one.
func (s *Service) ListProducts(_ context.Context, req *catalogv1.ListProductsRequest) (*catalogv1.ListProductsResponse, error) {
	problems := map[string]string{}
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		problems["page_size"] = "must not be negative"
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	after, ok := decodeToken(req.GetPageToken())
	if !ok {
		problems["page_token"] = "is not a token from a previous page"
	}
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	page, more, total, err := s.store.ListAfter(after, size)
	if err != nil {
		return nil, storeError(err, "")
	}
	res := &catalogv1.ListProductsResponse{Products: make([]*catalogv1.Product, len(page)),
		TotalSize: int32(min(total, math.MaxInt32))}
	for i, p := range page {
		res.Products[i] = toProto(p)
	}
	if more && len(page) > 0 {
		res.NextPageToken = encodeToken(page[len(page)-1].ID)
	}
	return res, nil
}

// AdjustStock adds the request's delta to a product's stock.
func (s *Service) AdjustStock(_ context.Context, req *catalogv1.AdjustStockRequest) (*catalogv1.AdjustStockResponse, error) {
	problems := map[string]string{}
	if req.GetId() == "" {
		problems["id"] = "is required"
	}
	if req.GetDelta() == 0 {
		problems["delta"] = "must not be 0"
	}
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	p, err := s.store.AdjustStock(req.GetId(), int(req.GetDelta()))
	if err != nil {
		return nil, storeError(err, req.GetId())
	}
	return &catalogv1.AdjustStockResponse{Product: toProto(p)}, nil
}

func toProto(p store.Product) *catalogv1.Product {
	return &catalogv1.Product{Id: p.ID, Sku: p.SKU, Name: p.Name, PriceCents: p.PriceCents,
		Stock: int32(p.Stock), CreateTime: timestamppb.New(p.CreatedAt), UpdateTime: timestamppb.New(p.UpdatedAt)}
}

// encodeToken makes an opaque page token out of the last ID of a page.
func encodeToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + lastID))
}

// decodeToken returns the ID a page token holds ("" for the empty token),
// and whether the token is well-formed.
func decodeToken(token string) (string, bool) {
	if token == "" {
		return "", true
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(raw), tokenPrefix)
	return id, ok && id != ""
}

// invalid is an INVALID_ARGUMENT status whose message names every bad field,
// in a stable order: "invalid request: name: must be ...; sku: must be ...".
func invalid(problems map[string]string) error {
	fields := make([]string, 0, len(problems))
	for field := range problems {
		fields = append(fields, field)
	}
	sort.Strings(fields)
	for i, field := range fields {
		fields[i] = field + ": " + problems[field]
	}
	return status.Error(codes.InvalidArgument, "invalid request: "+strings.Join(fields, "; "))
}

// storeError maps the store's errors onto status codes; anything unexpected
// is INTERNAL, with the details left in the server's log.
func storeError(err error, id string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return status.Errorf(codes.NotFound, "product %q not found", id)
	case errors.Is(err, store.ErrDuplicateSKU):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, store.ErrStockOutOfRange):
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	return &internalError{err}
}

// internalError carries an unexpected error to the logging interceptor, which
// logs it and hands the client a bare INTERNAL.
type internalError struct{ err error }

func (e *internalError) Error() string { return e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// GRPCStatus keeps the details away from the client.
func (e *internalError) GRPCStatus() *status.Status {
	return status.New(codes.Internal, "internal server error")
}

// logging writes one record per call: method, status code and duration, and
// the error behind an INTERNAL.
func logging(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		res, err := handler(ctx, req)
		attrs := []any{"method", info.FullMethod, "code", status.Code(err).String(), "duration", time.Since(start)}
		if err != nil && status.Code(err) == codes.Internal {
			logger.Error("grpc call failed", append(attrs, "error", err.Error())...)
		} else {
			logger.Info("grpc call", attrs...)
		}
		return res, err
	}
}

// recovery turns a panic in a handler into an INTERNAL error (logged by
// logging) instead of a crashed process.
func recovery(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (res any, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, &internalError{fmt.Errorf("panic: %v", v)}
		}
	}()
	return handler(ctx, req)
}
