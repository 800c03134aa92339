"""Regenerate the recorded `go test -json` streams in this directory.

Usage: python tests/data/go/record.py [scenario ...]

Writes a fixture module (module path example.com/fx, project name "fx") to a
temporary directory, runs one `go test -json` per scenario in it and stores
<scenario>.jsonl (stdout), <scenario>.stderr and <scenario>.rc (exit code).
The "interrupt" scenario is stopped with SIGINT once a test says it hangs, as
Tandem's stop policy stops a command.
Afterwards rewrite the golden files with
TANDEM_UPDATE_GOLDEN=1 pytest tests/adapters/test_go_events.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE = "example.com/fx"

FILES = {
    "go.mod": "module example.com/fx\n\ngo 1.24\n",
    "fx.go": "package fx\n\nfunc Add(a, b int) int { return a + b }\n",
    "fx_test.go": """package fx

import "testing"

func TestAdd(t *testing.T) {
	if Add(1, 2) != 3 {
		t.Fatal("bad sum")
	}
}
""",
    "pass/pass.go": "package pass\n\nfunc Two() int { return 2 }\n",
    "pass/pass_test.go": """package pass

import "testing"

func TestOne(t *testing.T) { t.Log("one is fine") }

func TestTwo(t *testing.T) {
	t.Attr("owner", "team-a")
	if Two() != 2 {
		t.Fatal("two is not two")
	}
}
""",
    "fail/fail_test.go": """package fail

import "testing"

func TestGood(t *testing.T) {}

func TestBad(t *testing.T) {
	got := 2
	if got != 3 {
		t.Errorf("want 3, got %d", got)
	}
	t.Log("still running after the error")
}

func TestFatal(t *testing.T) {
	t.Fatal("boom")
}

func TestNoMessage(t *testing.T) {
	t.Fail()
}
""",
    "skip/skip_test.go": """package skip

import "testing"

func TestSkipped(t *testing.T) {
	t.Skip("needs a database")
}

func TestSkipNow(t *testing.T) {
	t.SkipNow()
}

func TestRuns(t *testing.T) {}
""",
    "sub/sub_test.go": """package sub

import "testing"

func TestSub(t *testing.T) {
	t.Run("b c", func(t *testing.T) {})
	t.Run("x/y", func(t *testing.T) {})
	t.Run("nested", func(t *testing.T) {
		t.Run("deep one", func(t *testing.T) {})
	})
}

func TestParentFails(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("bad/case", func(t *testing.T) {
		t.Error("child broke")
	})
	t.Run("skipped", func(t *testing.T) {
		t.Skip("not today")
	})
}
""",
    "panic/panic_test.go": """package panic

import "testing"

func TestBefore(t *testing.T) {}

func TestPanic(t *testing.T) {
	var m map[string]int
	m["a"] = 1
}

func TestAfter(t *testing.T) {}
""",
    "exit/exit_test.go": """package exit

import (
	"os"
	"testing"
)

func TestBefore(t *testing.T) {}

func TestExit(t *testing.T) {
	t.Log("leaving early")
	os.Exit(3)
}

func TestAfter(t *testing.T) {}
""",
    "hang/hang_test.go": """package hang

import (
	"testing"
	"time"
)

func TestQuick(t *testing.T) {}

func TestSlowA(t *testing.T) {
	t.Parallel()
	time.Sleep(time.Minute)
}

func TestSlowB(t *testing.T) {
	t.Parallel()
	t.Run("inner", func(t *testing.T) { time.Sleep(time.Minute) })
}
""",
    "interrupt/interrupt_test.go": """package interrupt

import (
	"testing"
	"time"
)

func TestQuick(t *testing.T) { t.Log("quick") }

func TestHang(t *testing.T) {
	t.Log("about to hang")
	time.Sleep(time.Minute)
}

func TestLater(t *testing.T) {}
""",
    "nel/nel_test.go": """package nel

import "testing"

func TestNextLine(t *testing.T) {
	t.Error("want x\u0085got y")
}

func TestSeparators(t *testing.T) {
	t.Log("line\u2028separator")
	t.Error("paragraph\u2029separator")
}
""",
    "order/order_test.go": """package order

import "testing"

func TestLogThenError(t *testing.T) {
	t.Log("starting up")
	t.Errorf("want 3, got %d", 2)
}

func TestErrorThenLog(t *testing.T) {
	t.Errorf("want 4, got %d", 5)
	t.Logf("cleaning up")
}

func TestErrorLogFatal(t *testing.T) {
	t.Error("first check failed")
	t.Log("trying the next one")
	t.Fatal("second check failed")
}
""",
    "testmain/main_test.go": """package testmain

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	fmt.Println("setup failed: db unreachable")
	os.Exit(1)
}

func TestNeverRuns(t *testing.T) {}
""",
    "initpanic/init_test.go": """package initpanic

import "testing"

func init() {
	panic("init exploded")
}

func TestX(t *testing.T) {}
""",
    "parallel/par_test.go": """package parallel

import (
	"fmt"
	"testing"
)

func TestPar(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fmt.Println("stdout from", name)
			t.Log("log from", name)
		})
	}
}

func TestParFail(t *testing.T) {
	t.Parallel()
	t.Errorf("parallel failure")
}

func TestSerial(t *testing.T) {}
""",
    "examples/ex.go": "package examples\n",
    "examples/ex_test.go": """package examples

import "fmt"

func Example_good() {
	fmt.Println("hello")
	// Output: hello
}

func Example_bad() {
	fmt.Println("bad")
	// Output: good
}
""",
    "fuzz/fuzz.go": """package fuzz

func Reverse(s string) string {
	if s == "bad" || s == "worse" {
		return s + "!"
	}
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
""",
    "fuzz/fuzz_test.go": """package fuzz

import "testing"

func FuzzReverse(f *testing.F) {
	f.Add("abc")
	f.Add("bad")
	f.Fuzz(func(t *testing.T, s string) {
		if Reverse(Reverse(s)) != s {
			t.Errorf("round trip of %q failed", s)
		}
	})
}
""",
    "fuzz/testdata/fuzz/FuzzReverse/c0ffee": 'go test fuzz v1\nstring("worse")\n',
    "count/count_test.go": """package count

import "testing"

var runs int

func TestFlaky(t *testing.T) {
	runs++
	if runs == 1 {
		t.Error("first run fails")
	}
}

func TestStable(t *testing.T) {}

func TestAlways(t *testing.T) {
	t.Error("always fails")
}
""",
    "vetfail/vetfail_test.go": """package vetfail

import "testing"

func TestFormat(t *testing.T) {
	t.Logf("%d", "not a number")
}
""",
    "nofiles/nofiles.go": "package nofiles\n\nconst X = 1\n",
    "brokentest/bt.go": "package brokentest\n\nfunc Fine() int { return 1 }\n",
    "brokentest/bt_test.go": """package brokentest

import "testing"

func TestUsesHelper(t *testing.T) {
	if undefinedHelper() != Fine() {
		t.Fatal("no")
	}
}
""",
    "brokenlib/lib.go": """package brokenlib

func Value() int {
	return "not an int"
}
""",
    "brokenlib/lib_test.go": """package brokenlib

import "testing"

func TestValue(t *testing.T) { _ = Value() }
""",
    "usesbroken/uses.go": """package usesbroken

import "example.com/fx/brokenlib"

func Twice() int { return 2 * brokenlib.Value() }
""",
    "usesbroken/uses_test.go": """package usesbroken

import "testing"

func TestTwice(t *testing.T) { _ = Twice() }
""",
}

BUILD_FAIL = ("./brokentest", "./brokenlib", "./usesbroken", "./pass")

# name -> (go test arguments after -json, extra environment)
SCENARIOS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "pass": (("-count=1", ".", "./pass"), {}),
    "fail": (("-count=1", "./fail"), {}),
    "skip": (("-count=1", "./skip"), {}),
    "subtests": (("-count=1", "./sub"), {}),
    "panic": (("-count=1", "./panic"), {}),
    "exit": (("-count=1", "./exit"), {}),
    "timeout": (("-count=1", "-timeout", "1s", "./hang"), {}),
    "testmain": (("-count=1", "./testmain"), {}),
    "initpanic": (("-count=1", "./initpanic"), {}),
    "parallel": (("-count=1", "./parallel"), {}),
    "examples": (("-count=1", "./examples"), {}),
    "fuzz": (("-count=1", "./fuzz"), {}),
    "count": (("-count=2", "./count"), {}),
    "vetfail": (("-count=1", "./vetfail"), {}),
    "nofiles": (("-count=1", "./nofiles", "./pass"), {}),
    "buildfail": (("-count=1", *BUILD_FAIL), {}),
    "buildfail_text": (("-count=1", *BUILD_FAIL), {"GODEBUG": "gotestjsonbuildtext=1"}),
    "badpattern": (("-count=1", "./nosuchdir"), {}),
    "badflag": (("-count=1", "-timeout", "soon", "./pass"), {}),
    "cached": ((".", "./pass"), {}),
    "nel": (("-count=1", "./nel"), {}),
    "order": (("-count=1", "./order"), {}),
    "interrupt": (("-count=1", "./interrupt"), {}),
}
# The line after which the "interrupt" scenario is interrupted.
HANGS = b"about to hang"


def write_module(root: Path) -> None:
    """Write the fixture module under root."""
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def record(root: Path, name: str) -> None:
    """Run one scenario in the module at root and store its streams."""
    args, extra = SCENARIOS[name]
    env = {**os.environ, "GOFLAGS": "", "GOTOOLCHAIN": "local", **extra}
    argv = ("go", "test", "-json", *args)
    if name == "cached":  # the second run replays the first from the cache
        subprocess.run(argv, cwd=root, env=env, capture_output=True, check=False)
    if name == "interrupt":
        stdout, stderr, code = interrupted(argv, root, env)
    else:
        proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, check=False)
        stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
    (HERE / f"{name}.jsonl").write_bytes(stdout)
    (HERE / f"{name}.stderr").write_bytes(stderr)
    (HERE / f"{name}.rc").write_text(f"{code}\n")
    print(f"{name}: exit {code}", file=sys.stderr)


def interrupted(
    argv: tuple[str, ...], root: Path, env: dict[str, str]
) -> tuple[bytes, bytes, int]:
    """Run until a test says it hangs, then SIGINT the go command and its test binary."""
    proc = subprocess.Popen(
        argv,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    head = b""
    for line in proc.stdout:
        head += line
        if HANGS in line:
            break
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    return head + stdout, stderr, proc.returncode


def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="tandem-fx-") as tmp:
        root = Path(tmp)
        write_module(root)
        for name in names or list(SCENARIOS):
            record(root, name)


if __name__ == "__main__":
    main(sys.argv[1:])
