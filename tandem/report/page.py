"""The style and the script inlined into `report.html`, so that the page needs no network."""

from __future__ import annotations

STYLE = """
:root { --green: #1a7f37; --red: #cf222e; --error: #8250df; --skip: #9a6700;
  --line: #d0d7de; --soft: #f6f8fa; --dim: #57606a; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 0 1.5rem 3rem;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; }
[hidden] { display: none !important; }
header { margin: 0 -1.5rem 1rem; padding: 1rem 1.5rem; border-bottom: 4px solid; }
header.green { border-color: var(--green); background: #dafbe1; }
header.red { border-color: var(--red); background: #ffebe9; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
h2 { margin: 1.75rem 0 .5rem; font-size: 1.2rem; border-bottom: 1px solid var(--line); }
h3 { margin: 0 0 .4rem; font-size: 1rem; font-weight: 600; }
.meta, .note { margin: .25rem 0; color: var(--dim); }
.totals { display: flex; gap: .75rem; margin: .75rem 0; flex-wrap: wrap; }
.total { min-width: 7rem; padding: .4rem .8rem; background: #fff;
  border: 1px solid var(--line); border-radius: 6px; }
.total dt { color: var(--dim); font-size: .8rem; text-transform: uppercase; }
.total dd { margin: 0; font-size: 1.6rem; font-weight: 600; }
.total.passed dd { color: var(--green); }
.total.failures dd { color: var(--red); }
.total.errors dd { color: var(--error); }
.total.skipped dd { color: var(--skip); }
.filters { display: flex; gap: 1rem; align-items: center; padding: .5rem 0;
  position: sticky; top: 0; background: #fff; border-bottom: 1px solid var(--line); }
.filters output { color: var(--dim); }
.count { color: var(--dim); font-weight: normal; }
.case { margin: .75rem 0; padding: .6rem .8rem; border: 1px solid var(--line);
  border-left: 4px solid var(--red); border-radius: 6px; }
.case.error { border-left-color: var(--error); }
.message { margin: .2rem 0; font-weight: 600; white-space: pre-wrap; }
pre { margin: .4rem 0; padding: .5rem; max-height: 24rem; overflow: auto;
  background: var(--soft); border-radius: 4px; font-size: 12px; white-space: pre-wrap; }
code { font-size: 12.5px; background: var(--soft); padding: 0 .25rem; border-radius: 3px; }
.rerun, .attempts { margin: .2rem 0; color: var(--dim); }
summary { cursor: pointer; color: var(--dim); }
.badge { display: inline-block; min-width: 3.2rem; padding: 0 .4rem; border-radius: 3px;
  color: #fff; font-size: 11px; font-weight: 600; text-align: center; }
.badge.passed { background: var(--green); }
.badge.failed { background: var(--red); }
.badge.error { background: var(--error); }
.badge.skipped { background: var(--skip); }
table { width: 100%; border-collapse: collapse; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid var(--line); text-align: left; }
th { background: var(--soft); font-weight: 600; }
:is(td, th):nth-child(n+5):nth-child(-n+11) { text-align: right;
  font-variant-numeric: tabular-nums; }
tr.failed td:first-child, tr.error td:first-child { font-weight: 600; }
svg.timeline { width: 100%; height: auto; font-family: inherit; }
.lane { fill: var(--soft); }
.lane-label, .tick-label { font-size: 11px; fill: var(--dim); }
.tick { stroke: var(--line); stroke-dasharray: 2 3; }
.bar rect { stroke: #fff; stroke-width: 1; }
.bar text { font-size: 12px; fill: #fff; pointer-events: none; }
.bar.passed rect { fill: var(--green); }
.bar.failed rect { fill: var(--red); }
.bar.error rect { fill: var(--error); }
.bar.skipped rect { fill: var(--skip); }
.bar.dim { opacity: .15; }
"""

# Filters rows, failures and bars by their data-* attributes; the address keeps the choice.
SCRIPT = """
(() => {
  const form = document.getElementById("filters");
  const selects = [...form.querySelectorAll("select")];
  const items = [...document.querySelectorAll("[data-status]")];
  const rows = [...document.querySelectorAll("#tasks tbody tr")];
  const fits = (el, name, want) => !want || (name === "status"
    ? el.dataset.status === want || (el.dataset.tags || "").split(" ").includes(want)
    : el.dataset[name] === want);
  const apply = () => {
    for (const el of items) {
      const ok = selects.every((s) => fits(el, s.name, s.value));
      if (el instanceof SVGElement) el.classList.toggle("dim", !ok);
      else el.hidden = !ok;
    }
    const shown = rows.filter((row) => !row.hidden).length;
    document.getElementById("shown").textContent = `${shown} of ${rows.length} tasks shown`;
    const chosen = selects.filter((s) => s.value).map((s) => `${s.name}=${s.value}`);
    try { history.replaceState(null, "", "#" + chosen.join("&")); } catch (e) {}
  };
  const asked = new URLSearchParams(location.hash.slice(1));
  for (const s of selects) {
    if ([...s.options].some((o) => o.value === asked.get(s.name))) s.value = asked.get(s.name);
  }
  form.addEventListener("change", apply);
  form.hidden = false;
  apply();
})();
"""
