// Package health serves a JSON health endpoint built from named checks.
package health

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/tandem-monorepo/tandem/projects/gokit/jsonhttp"
)

// Check reports whether one dependency is usable; nil means healthy.
type Check func(ctx context.Context) error

// Timeout bounds each check so that a hung dependency cannot hang the probe.
const Timeout = 2 * time.Second

// Report is the body of a health response.
type Report struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// Handler answers 200 {"status":"ok"} when every check passes and
// 503 {"status":"unavailable"} naming the failed checks otherwise.
func Handler(checks map[string]Check) http.Handler {
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	sort.Strings(names)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		report := Report{Status: "ok"}
		if len(names) > 0 {
			report.Checks = make(map[string]string, len(names))
		}
		for _, name := range names {
			report.Checks[name] = "ok"
			if err := run(r.Context(), checks[name]); err != nil {
				report.Checks[name] = err.Error()
				report.Status = "unavailable"
			}
		}
		status := http.StatusOK
		if report.Status != "ok" {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Cache-Control", "no-store")
		jsonhttp.Write(w, status, report)
	})
}

func run(ctx context.Context, check Check) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	return check(ctx)
}
