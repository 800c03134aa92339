"""Source of one generated Go module: a net/http + encoding/json service, a command, tests.

The text is written gofmt-clean and vet-clean; `tests/test_benchmarks.py` checks both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from string import Template

MODULE_PREFIX = "bench.example/"

API = Template("""\
// Package api serves $name's items and digests as JSON over HTTP.
package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
$imports)

// Name is the service's name, reported by /health.
const Name = "$name"

// Item is one stored record.
type Item struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Store keeps items in memory; handlers may run concurrently.
type Store struct {
	mu    sync.Mutex
	items map[string]Item
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{items: map[string]Item{}}
}

// Checksum is the hex SHA-256 of text, hashed again rounds times.
func Checksum(text string, rounds int) string {
	sum := sha256.Sum256([]byte(text))
	for i := 0; i < rounds; i++ {
		sum = sha256.Sum256(sum[:])
	}
	return hex.EncodeToString(sum[:])
}

// Upstreams names the services this one calls.
func Upstreams() []string {
	return []string{$upstreams}
}

// Handler routes the service's endpoints to store.
func Handler(store *Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", health)
	mux.HandleFunc("GET /items", store.list)
	mux.HandleFunc("POST /items", store.add)
	mux.HandleFunc("POST /digest", digest)
	return mux
}

func health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"name": Name, "upstreams": Upstreams()})
}

func (s *Store) list(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	items := make([]Item, 0, len(s.items))
	for _, item := range s.items {
		items = append(items, item)
	}
	s.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	writeJSON(w, http.StatusOK, items)
}

func (s *Store) add(w http.ResponseWriter, r *http.Request) {
	var item Item
	if err := json.NewDecoder(r.Body).Decode(&item); err != nil || item.Name == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a name and a count"})
		return
	}
	s.mu.Lock()
	s.items[item.Name] = item
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, item)
}

type digestRequest struct {
	Text   string `json:"text"`
	Rounds int    `json:"rounds"`
}

func digest(w http.ResponseWriter, r *http.Request) {
	var req digestRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Rounds < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a text and rounds >= 0"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"digest": Checksum(req.Text, req.Rounds)})
}

func writeJSON(w http.ResponseWriter, status int, document any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(document)
}
""")

MAIN = Template("""\
// Command $name serves the $name API on $$ADDR (default 127.0.0.1:8080).
package main

import (
	"log"
	"net/http"
	"os"

	"$module/api"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	log.Fatal(http.ListenAndServe(addr, api.Handler(api.NewStore())))
}
""")

TEST_HEAD = Template("""\
package api

import (
	"bytes"
	"encoding/json"
$extra	"net/http"
	"net/http/httptest"
	"testing"
$time)

func call(t *testing.T, h http.Handler, method, path string, document any) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	if document != nil {
		if err := json.NewEncoder(&body).Encode(document); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, &body))
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%s %s: %v in %q", method, path, err, rec.Body.String())
	}
	return rec.Code, got
}

func addItem(t *testing.T, h http.Handler, name string) {
	t.Helper()
	item := map[string]any{"name": name, "count": len(name)}
	if code, got := call(t, h, "POST", "/items", item); code != http.StatusCreated || got["name"] != name {
		t.Fatalf("add %s: status %d, %v", name, code, got)
	}
}
""")

EXERCISE_CPU = """
// exercise adds an item, then asks for a digest of its name that costs rounds hashes.
func exercise(t *testing.T, name string, rounds int) {
	t.Helper()
	h := Handler(NewStore())
	addItem(t, h, name)
	code, got := call(t, h, "POST", "/digest", map[string]any{"text": name, "rounds": rounds})
	if code != http.StatusOK || got["digest"] != Checksum(name, rounds) {
		t.Fatalf("digest %s: status %d, %v", name, code, got)
	}
}
"""

EXERCISE_WAIT = """
// exercise adds an item, then waits ms for a reply that never comes, as a client with a deadline does.
func exercise(t *testing.T, name string, ms int) {
	t.Helper()
	h := Handler(NewStore())
	addItem(t, h, name)
	client, server := net.Pipe()
	defer server.Close()
	defer client.Close()
	if err := client.SetReadDeadline(time.Now().Add(time.Duration(ms) * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var timeout net.Error
	if _, err := client.Read(make([]byte, 1)); !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Fatalf("read: want a timeout, got %v", err)
	}
	if code, got := call(t, h, "GET", "/health", nil); code != http.StatusOK || got["name"] != Name {
		t.Fatalf("health: status %d, %v", code, got)
	}
}
"""

TEST_CASE = Template("""
func TestItem$number(t *testing.T) {
	exercise(t, "item-$number", $units)
}
""")


def module_path(name: str) -> str:
    """The module path of a generated Go project."""
    return MODULE_PREFIX + name


def alias(name: str) -> str:
    """The import alias of a project's api package: its name without the language prefix."""
    return name.removeprefix("go-").replace("-", "_")


def go_mod(name: str, needs: Sequence[str], closure: Sequence[str]) -> str:
    """go.mod: direct needs required, the rest of the closure `// indirect`, all replaced."""
    text = f"module {module_path(name)}\n\ngo 1.24\n"
    indirect = [n for n in closure if n not in needs]
    for names, mark in ((sorted(needs), ""), (indirect, " // indirect")):
        text += _block("require", [f"{module_path(n)} v0.0.0{mark}" for n in names])
    return text + _block("replace", [f"{module_path(n)} => ../{n}" for n in closure])


def _block(keyword: str, lines: Sequence[str]) -> str:
    if not lines:
        return ""
    if len(lines) == 1:
        return f"\n{keyword} {lines[0]}\n"
    return f"\n{keyword} (\n" + "".join(f"\t{line}\n" for line in lines) + ")\n"


def files(
    name: str,
    needs: Sequence[str],
    closure: Sequence[str],
    cost: str,
    units: int,
    tests: int,
) -> Mapping[str, str]:
    """Every file of one Go module, keyed by its path inside the module."""
    imports = "".join(
        f'\t{alias(n)} "{module_path(n)}/api"\n' for n in sorted(needs, key=module_path)
    )
    upstreams = ", ".join(f"{alias(n)}.Name" for n in sorted(needs, key=module_path))
    return {
        "go.mod": go_mod(name, needs, sorted(closure)),
        "api/api.go": API.substitute(
            name=name, imports=f"\n{imports}" if imports else "", upstreams=upstreams
        ),
        "api/api_test.go": _tests(cost, units, tests),
        f"cmd/{name}/main.go": MAIN.substitute(name=name, module=module_path(name)),
    }


def _tests(cost: str, units: int, tests: int) -> str:
    wait = cost == "wait"
    head = TEST_HEAD.substitute(
        extra='\t"errors"\n\t"net"\n' if wait else "", time='\t"time"\n' if wait else ""
    )
    cases = "".join(
        TEST_CASE.substitute(number=f"{i:03d}", units=units)
        for i in range(1, tests + 1)
    )
    return head + (EXERCISE_WAIT if wait else EXERCISE_CPU) + cases
