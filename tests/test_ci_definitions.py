"""The pipeline definitions in ci/, read as data: they shard the main job, carry Tandem's state,
the shards' timings and the remote cache between runs, merge and publish one report, and run
the commands that the README's CI section documents."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from tandem.cache.remote_settings import remote_settings
from tandem.cli import _parser
from tandem.config import RemoteCache
from tandem.shard import Shard, parse_shard, shard_from_env

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "ci"
GITHUB, GITLAB = CI / "github-actions.yml", CI / "gitlab-ci.yml"
TIMINGS = Path("reports/timings.xml")
MERGED = Path("reports/junit.xml")
REMOTE = {
    "url": "TANDEM_REMOTE_CACHE_URL",
    "team": "TANDEM_REMOTE_CACHE_TEAM",
    "token": "TANDEM_REMOTE_CACHE_TOKEN",
    "key": "TANDEM_REMOTE_CACHE_SIGNATURE_KEY",
    "read_only": "TANDEM_REMOTE_CACHE_READ_ONLY",
}
FORK = "github.event.pull_request.head.repo.fork"


def load(path: Path) -> dict[Any, Any]:
    found = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(found, dict), path
    return found


@pytest.fixture(scope="module")
def github() -> dict[Any, Any]:
    return load(GITHUB)


@pytest.fixture(scope="module")
def gitlab() -> dict[Any, Any]:
    return load(GITLAB)


# --- reading a pipeline -----------------------------------------------------------------------


def commands(node: Any) -> list[str]:
    """Every shell line of a pipeline (GitHub `run:`, GitLab `script:` and `before_script:`),
    in order, each line of a block on its own."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("run"), str):
            found += node["run"].splitlines()
        for key in ("before_script", "script"):
            if isinstance(node.get(key), list):
                found += [line for item in node[key] for line in str(item).splitlines()]
        for key, value in node.items():
            if key not in ("run", "before_script", "script"):
                found += commands(value)
    elif isinstance(node, list):
        found = [line for item in node for line in commands(item)]
    return [line.strip() for line in found if line.strip()]


def the(items: list[Any], what: str) -> Any:
    """The one item found."""
    assert len(items) == 1, f"expected one {what}, found {len(items)}"
    return items[0]


def using(job: Mapping[str, Any], action: str) -> list[tuple[int, dict[str, Any]]]:
    """(position, step) of each step of `job` that uses `action` (any version)."""
    return [
        (at, step)
        for at, step in enumerate(job["steps"])
        if str(step.get("uses", "")).split("@")[0] == action
    ]


def running(job: Mapping[str, Any], start: str) -> list[tuple[int, str]]:
    """(position, line) of each shell line of `job`'s steps that starts with `start`."""
    return [
        (at, line)
        for at, step in enumerate(job["steps"])
        for line in commands(step)
        if line.startswith(start)
    ]


def expand(line: str, values: Mapping[str, str]) -> str:
    """The line with `${{ matrix.X }}`, `$X` and `${X}` replaced; none may be left over."""
    line = re.sub(
        r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda found: values[found[1]], line
    )
    line = re.sub(r"\$\{?(\w+)\}?", lambda found: values[found[1]], line)
    assert "$" not in line, line
    return line


def tandem_args(line: str) -> Any:
    """A `ci/run check ...` or `tandem ...` line, parsed by Tandem's own command line."""
    program, *words = shlex.split(line)
    assert program in ("ci/run", "tandem"), line
    assert program == "tandem" or words[0] == "check", line
    return _parser().parse_args(words)


def shard_of(args: Any, environ: Mapping[str, str]) -> Shard:
    """The shard a `tandem check` runs: its --shard, else GitLab's variables."""
    found = parse_shard(args.shard) if args.shard else shard_from_env(environ)
    assert found is not None
    return found


def matches(path: str, pattern: str) -> bool:
    """Whether the shell glob `pattern` (relative, "/"-separated) names `path`."""
    return len(PurePosixPath(path).parts) == len(
        PurePosixPath(pattern).parts
    ) and PurePosixPath(path).match(pattern)


def ci_run_jobs() -> set[str]:
    """The jobs `ci/run` accepts, from its `case` patterns."""
    text = (CI / "run").read_text(encoding="utf-8")
    found = re.findall(r"^\s*([\w|-]+)\)\s*session=", text, re.MULTILINE)
    return {name for pattern in found for name in pattern.split("|")}


# --- both pipelines ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda path: path.name)
def test_every_command_is_one_that_exists(path):
    lines = commands(load(path))
    assert any(line.startswith("ci/run ") for line in lines)
    jobs = ci_run_jobs()
    assert {"check", "tests"} <= jobs
    for line in lines:
        program = line.split()[0]
        if "/" in program and not program.startswith(("$", "/")):
            assert (ROOT / program).is_file(), line
        if program == "ci/run":
            assert line.split()[1] in jobs, line
        if program == "tandem":
            tandem_args(line)  # argparse exits on a flag Tandem does not have


def readme_blocks() -> dict[str, list[str]]:
    """The README's CI section: {pipeline file: the commands its fenced block lists}."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## CI\n(.*?)(?=^## )", text, re.DOTALL | re.MULTILINE)
    assert section, "the README has no `## CI` section"
    blocks: dict[str, list[str]] = {}
    for block in re.findall(
        r"^```\w*\n(.*?)^```", section[1], re.DOTALL | re.MULTILINE
    ):
        first, *rest = block.splitlines()
        named = re.fullmatch(r"# (ci/[\w.-]+)", first.strip())
        assert named, f"a CI block names its file first: {first!r}"
        blocks[named[1]] = [line.strip() for line in rest if line.strip()]
    return blocks


def test_the_pipelines_run_the_commands_the_readme_documents():
    blocks = readme_blocks()
    assert set(blocks) == {"ci/github-actions.yml", "ci/gitlab-ci.yml"}
    for name, documented in blocks.items():
        run = commands(load(ROOT / name))
        assert any("--shard" in line for line in documented), name
        assert any(line.startswith("tandem merge ") for line in documented), name
        assert "ci/run tests" in documented, name
        for line in documented:
            assert line in run, f"{name} does not run `{line}`"


# --- GitHub Actions ---------------------------------------------------------------------------


def test_github_shards_the_check_by_a_matrix_that_the_shard_flag_counts(github):
    job = github["jobs"]["check"]
    shards = job["strategy"]["matrix"]["shard"]
    assert len(shards) > 1 and shards == list(range(1, len(shards) + 1))
    assert job["strategy"]["fail-fast"] is False  # a red shard stops no other
    _, line = the(running(job, "ci/run check"), "shard command")
    for k in shards:
        args = tandem_args(expand(line, {"shard": str(k)}))
        assert shard_of(args, {}) == Shard(k, len(shards))
        assert args.durations == [TIMINGS]
        assert args.junit == Path(f"reports/shard-{k}.xml")


def test_github_shards_all_deal_by_the_timings_looked_up_once(github):
    jobs = github["jobs"]
    _, lookup = the(using(jobs["timings"], "actions/cache/restore"), "lookup")
    assert lookup["with"]["lookup-only"] is True
    assert lookup["with"]["path"] == str(TIMINGS)
    prefix = lookup["with"]["restore-keys"]
    assert lookup["with"]["key"].startswith(prefix)
    output = jobs["timings"]["outputs"]["key"]
    assert output == f"${{{{ steps.{lookup['id']}.outputs.cache-matched-key }}}}"

    check = jobs["check"]
    assert check["needs"] == "timings" or "timings" in check["needs"]
    restores = [
        (at, step)
        for at, step in using(check, "actions/cache/restore")
        if step["with"]["path"] == str(TIMINGS)
    ]
    at, restore = the(restores, "restore of the timings")
    assert restore["with"]["key"] == "${{ needs.timings.outputs.key }}"
    assert restore["with"]["fail-on-cache-miss"] is True  # never a shard without them
    assert "needs.timings.outputs.key != ''" in restore["if"]
    assert at < the(running(check, "ci/run check"), "shard command")[0]

    report = jobs["report"]
    saved_at, save = the(using(report, "actions/cache/save"), "save of the timings")
    assert save["with"]["path"] == str(TIMINGS)
    assert save["with"]["key"].startswith(prefix)
    copied_at, _ = the(running(report, f"cp {MERGED} {TIMINGS}"), "copy")
    assert copied_at < saved_at


def test_github_carries_tandems_state_in_the_actions_cache(github):
    job = github["jobs"]["check"]
    restores = [
        (at, step)
        for at, step in using(job, "actions/cache/restore")
        if step["with"]["path"].rstrip("/") == ".tandem"
    ]
    restored_at, restore = the(restores, "restore of .tandem")
    key = restore["with"]["key"]
    assert "runner.os" in key and "hashFiles(" in key and "matrix.shard" in key
    assert "pyproject.toml" in key
    fallbacks = restore["with"]["restore-keys"].splitlines()
    assert fallbacks and all(key.startswith(prefix) for prefix in fallbacks)

    saves = [
        (at, step)
        for at, step in using(job, "actions/cache/save")
        if step["with"]["path"].rstrip("/") == ".tandem"
    ]
    saved_at, save = the(saves, "save of .tandem")
    primary = f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"
    assert save["with"]["key"] == primary
    assert "!cancelled()" in save["if"]  # red runs keep their green outcomes
    ran_at, _ = the(running(job, "ci/run check"), "shard command")
    assert restored_at < ran_at < saved_at


def test_github_wires_the_remote_cache_read_only_for_forks(github):
    job = github["jobs"]["check"]
    env = {**github.get("env", {}), **job.get("env", {})}
    assert env[REMOTE["url"]] == f"${{{{ vars.{REMOTE['url']} }}}}"
    assert env[REMOTE["team"]] == f"${{{{ vars.{REMOTE['team']} }}}}"
    assert env[REMOTE["token"]] == f"${{{{ secrets.{REMOTE['token']} }}}}"
    assert env[REMOTE["key"]] == f"${{{{ secrets.{REMOTE['key']} }}}}"
    choice = re.fullmatch(
        r"\$\{\{\s*(.+?)\s*&&\s*'([^']*)'\s*\|\|\s*'([^']*)'\s*\}\}",
        env[REMOTE["read_only"]],
    )
    assert choice and choice[1] == FORK
    # The names are the ones Tandem reads, and the two values mean what they should.
    for value, read_only in ((choice[2], True), (choice[3], False)):
        environ = {
            REMOTE["url"]: "https://cache.example",
            REMOTE["team"]: "team_ci",
            REMOTE["token"]: "a-token",
            REMOTE["key"]: "a-key",
            REMOTE["read_only"]: value,
        }
        found = remote_settings(RemoteCache(), environ)
        assert found is not None and found.read_only is read_only
        assert found.url.startswith("https://cache.example") and found.team == "team_ci"
        assert (found.token, found.key) == ("a-token", b"a-key")


def test_github_merges_every_shard_and_publishes_the_merged_report(github):
    jobs = github["jobs"]
    check, report = jobs["check"], jobs["report"]
    shards = check["strategy"]["matrix"]["shard"]
    assert report["needs"] == "check" or "check" in report["needs"]
    assert "!cancelled()" in report["if"]  # red shards are reported too

    _, upload = the(using(check, "actions/upload-artifact"), "shard upload")
    assert "!cancelled()" in upload["if"]
    assert "reports/" in upload["with"]["path"].split()
    _, download = the(using(report, "actions/download-artifact"), "download")
    _, copy = the(running(report, "cp shards/"), "copy of the shards' reports")
    _, source, target = shlex.split(copy)
    merge_at, merge = the(running(report, "tandem merge"), "merge")
    args = tandem_args(merge)
    assert args.output == MERGED
    assert [str(path) for path in args.inputs] == [f"{target.rstrip('/')}/shard-*.xml"]
    for k in shards:
        name = expand(upload["with"]["name"], {"shard": str(k)})
        assert matches(name, download["with"]["pattern"])
        landed = f"{download['with']['path']}/{name}/shard-{k}.xml"
        assert matches(landed, source), landed
        assert matches(f"{target.rstrip('/')}/shard-{k}.xml", str(args.inputs[0]))

    reporters = [
        (at, step)
        for at, step in enumerate(report["steps"])
        if re.fullmatch(
            r"(mikepenz/action-junit-report|dorny/test-reporter)@v\d+",
            str(step.get("uses", "")),
        )
    ]
    published_at, reporter = the(reporters, "JUnit reporter pinned by major version")
    given = reporter["with"]
    assert given.get("report_paths", given.get("path")) == str(MERGED)
    assert given.get("job_summary") is True  # the merged totals on the step summary
    assert FORK in str(given.get("annotate_only"))  # a fork's token cannot make checks
    assert merge_at < published_at
    assert report["permissions"]["checks"] == "write"


def test_github_runs_tandems_own_tests_with_chromium_and_node(github):
    job = github["jobs"]["tests"]
    tests_at, _ = the(running(job, "ci/run tests"), "tests command")
    # tests/report/test_html.py looks for `chromium` on the PATH: the image's, or one installed.
    found_at, found = the(
        [
            (at, step)
            for at, step in enumerate(job["steps"])
            if "command -v chromium" in step.get("run", "")
        ],
        "look-up of chromium",
    )
    setup_at, setup = the(using(job, "browser-actions/setup-chrome"), "Chrome setup")
    assert re.fullmatch(r"browser-actions/setup-chrome@v\d+", setup["uses"])
    assert f"steps.{found['id']}.outputs.path == ''" in setup["if"]
    linked = [
        at
        for at, line in running(job, "ln -sf")
        if f"steps.{setup['id']}.outputs.chrome-path" in line
        and shlex.split(line)[-1].endswith("/bin/chromium")
    ]
    linked_at = the(linked, "chromium link")
    path_at, _ = the(
        [(at, line) for at, line in running(job, "echo") if "GITHUB_PATH" in line],
        "PATH addition",
    )
    assert found_at < setup_at < linked_at <= path_at < tests_at
    assert not any("chromium-browser" in line for line in commands(job))  # a snap
    _, node = the(using(job, "actions/setup-node"), "Node.js setup")
    assert int(str(node["with"]["node-version"]).split(".")[0]) >= 20
    # A second Python for tests/adapters/test_python_env.py; the last listed is the default.
    _, python = the(using(job, "actions/setup-python"), "Python setup")
    versions = str(python["with"]["python-version"]).split()
    assert len(set(versions)) >= 2 and versions[-1] == "3.11"


# --- GitLab CI --------------------------------------------------------------------------------


def needs(job: Mapping[str, Any]) -> list[str]:
    return [n if isinstance(n, str) else n["job"] for n in job.get("needs", [])]


def test_gitlab_shards_the_check_with_parallel(gitlab):
    job = gitlab["check"]
    total = job["parallel"]
    assert isinstance(total, int) and total > 1
    line = the([c for c in commands(job) if c.startswith("ci/run check")], "shard")
    for k in range(1, total + 1):
        environ = {"CI_NODE_INDEX": str(k), "CI_NODE_TOTAL": str(total)}
        args = tandem_args(expand(line, environ))
        assert shard_of(args, environ) == Shard(k, total)
        assert args.durations == [TIMINGS]
        assert args.junit == Path(f"reports/shard-{k}.xml")
        kept = job["artifacts"]["paths"]
        assert any(str(args.junit).startswith(path.rstrip("/") + "/") for path in kept)
    assert job["artifacts"]["when"] == "always"
    assert "junit" not in job["artifacts"].get(
        "reports", {}
    )  # once, merged, not per shard


def test_gitlab_shards_all_deal_by_the_timings_looked_up_once(gitlab):
    timings, check, report = gitlab["timings"], gitlab["check"], gitlab["report"]
    stages = gitlab["stages"]
    assert stages.index(timings["stage"]) < stages.index(check["stage"])
    assert "timings" in needs(check)
    assert timings["cache"]["paths"] == [str(TIMINGS)]
    assert timings["cache"]["policy"] == "pull"
    assert timings["artifacts"]["paths"] == [str(TIMINGS)]
    assert report["cache"]["key"] == timings["cache"]["key"]
    assert report["cache"]["paths"] == [str(TIMINGS)]
    assert report["cache"]["policy"] == "push"
    assert f"cp {MERGED} {TIMINGS}" in commands(report)
    assert str(TIMINGS) in check["artifacts"]["exclude"]


def test_gitlab_carries_tandems_state_in_its_cache(gitlab):
    job = gitlab["check"]
    caches = job["cache"] if isinstance(job["cache"], list) else [job["cache"]]
    state = the(
        [c for c in caches if ".tandem" in [p.rstrip("/") for p in c["paths"]]],
        "cache of .tandem",
    )
    assert "$CI_NODE_INDEX" in state["key"]  # one per shard
    assert state["when"] == "always"  # red runs keep their green outcomes


def test_gitlab_uploads_to_the_remote_cache_except_from_forks(gitlab):
    script = "\n".join(commands(gitlab["check"]))
    condition = re.search(
        r"if \[(.*)\]; then\s*\n\s*export (\w+)=(\w+)\s*\n\s*fi", script
    )
    assert condition, script
    assert '"$CI_MERGE_REQUEST_SOURCE_PROJECT_ID" != "$CI_PROJECT_ID"' in condition[1]
    assert (condition[2], condition[3]) == (REMOTE["read_only"], "1")
    assert script.index(condition[0]) < script.index("ci/run check")


def test_gitlab_merges_every_shard_into_its_junit_report(gitlab):
    check, report = gitlab["check"], gitlab["report"]
    stages = gitlab["stages"]
    assert stages.index(check["stage"]) < stages.index(report["stage"])
    assert "check" in needs(report) and report["when"] == "always"
    merge = the([c for c in commands(report) if c.startswith("tandem merge")], "merge")
    args = tandem_args(merge)
    assert args.output == MERGED
    for k in range(1, check["parallel"] + 1):
        assert matches(f"reports/shard-{k}.xml", str(args.inputs[0]))
    assert report["artifacts"]["reports"]["junit"] == str(MERGED)
    assert report["artifacts"]["when"] == "always"


def test_gitlab_runs_tandems_own_tests(gitlab):
    job = gitlab["tests"]
    assert "ci/run tests" in commands(job)
    assert job["artifacts"]["reports"]["junit"] == "reports/tests.xml"
    # Node.js 20+ for the remote cache server (Debian's is 18).
    assert int(job["variables"]["NODE_VERSION"].split(".")[0]) >= 20
    # A second Python beside Debian's 3.11, installed by uv before the tests run.
    lines = commands(job)
    installed = [at for at, line in enumerate(lines) if "uv python install" in line]
    assert installed and installed[0] < lines.index("ci/run tests")
    assert job["variables"]["SECOND_PYTHON"] != "3.11"
