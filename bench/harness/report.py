"""The bench's report: the machine it ran on, the markdown tables (PostgreSQL: API against
the limit with spread, target, p95, queries and failures; SQLite: the API alone) and the
figures section of docs/performance.md between its markers, replaced by the new tables."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path

from bench.harness.common import ROOT

DOC_START, DOC_END = "<!-- bench:start -->", "<!-- bench:end -->"


def machine() -> dict:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_mib": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _range(values: list[float], fmt: str = "{:,.0f}") -> str:
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}-{fmt.format(hi)}"


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Run of {report['started']} on {m['cpus']} CPUs, {m['memory_mib'] // 1024} GiB, "
        f"load average at start {m['load_average_at_start']}.",
        "",
    ]
    for size, r in report["postgresql"].items():
        lines += [
            f"**{size}, PostgreSQL**: API and limit served by the same gunicorn command "
            f"({r['workers']} sync workers), {r['clients']} locust clients, {r['seconds_per_run']} s "
            f"per run, {r['pairs']} alternated pair(s) per scenario"
            + (f"; seeded in {r['seed_seconds']} s" if r["seed_seconds"] else "")
            + {
                True: "; a CHECKPOINT after the seed",
                False: "; the CHECKPOINT after the seed refused (see the log)",
            }.get(r.get("checkpoint_after_seed"), "")
            + (
                f"; before each scenario an uncounted {r['warm_up_seconds']} s warm-up run per side"
                if r.get("warm_up_seconds")
                else ""
            )
            + ".",
            "",
            "| scenario | API req/s | limit req/s | api / limit (median, min-max) | target | "
            "API p95 ms | limit p95 ms | API queries/req | failed API / limit |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for s in r["scenarios"].values():
            api, lim, ratio = s["api"], s["limit"], s["ratio"]
            mark = "met" if s["met"] else "**missed**"
            lines.append(
                f"| {s['label']} | {_range([x['rps'] for x in api])} | "
                f"{_range([x['rps'] for x in lim])} | **{ratio['median']:.2f}** "
                f"({ratio['min']:.2f}-{ratio['max']:.2f}) | ≥ {s['target']:.2f} {mark} | "
                f"{_range([x['p95_ms'] for x in api])} | {_range([x['p95_ms'] for x in lim])} | "
                f"{s['queries']} | {sum(x['failures'] for x in api)} / "
                f"{sum(x['failures'] for x in lim)} |"
            )
        inv = r["ledger_invariants"]
        lines += [
            "",
            f"- ledger invariants after the run: **{'hold' if inv['ok'] else 'BROKEN'}** ({inv})",
            "",
        ]
    lines += growth(report["postgresql"])
    for size, r in report["sqlite"].items():
        lines += [
            f"**{size}, SQLite** (`make run`'s settings `{r['settings']}`, throttles raised; "
            f"API only, no limit; {r['workers']} sync workers, {r['clients']} clients, "
            f"{r['seconds_per_run']} s):",
            "",
            "| scenario | req/s | p50 ms | p95 ms | queries/req | failed |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for s in r["scenarios"].values():
            x = s["api"][0]
            lines.append(
                f"| {s['label']} | {x['rps']} | {x['p50_ms']:g} | {x['p95_ms']:g} | "
                f"{s['queries']} | {x['failures']}/{x['requests']} |"
            )
        inv = r["ledger_invariants"]
        lines += ["", f"- ledger invariants: **{'hold' if inv['ok'] else 'BROKEN'}**", ""]
    return "\n".join(lines)


# Issue 15's growth rule: at a larger size the API's p95 stays within this factor of the first.
P95_GROWTH_LIMIT = 1.5


def growth(postgresql: dict) -> list[str]:
    """Each larger size against the first one run: the API's median p95 over the first size's
    (within ``P95_GROWTH_LIMIT``?) and whether the lowest ``api / limit`` still meets its
    target. Nothing when one size was run."""
    sizes = list(postgresql)
    if len(sizes) < 2:
        return []
    base = postgresql[sizes[0]]["scenarios"]
    lines = [
        f"**Growth** (PostgreSQL; the API's median p95 at each size over {sizes[0]}'s, limit "
        f"{P95_GROWTH_LIMIT}x; the lowest `api / limit` against its target):",
        "",
        "| scenario | size | API p95 ms | p95 / " + sizes[0] + " | api / limit (min) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for scenario, first in base.items():
        p95_first = statistics.median(x["p95_ms"] for x in first["api"])
        for size in sizes[1:]:
            s = postgresql[size]["scenarios"].get(scenario)
            if s is None:
                continue
            p95 = statistics.median(x["p95_ms"] for x in s["api"])
            factor = p95 / p95_first if p95_first else float("inf")
            within = "within" if factor <= P95_GROWTH_LIMIT else "**over**"
            met = "met" if s["met"] else "**missed**"
            lines.append(
                f"| {s['label']} | {size} | {p95:g} | {factor:.2f} ({within}) | "
                f"{s['ratio']['min']:.2f} ({met}) |"
            )
    return [*lines, ""]


def update_doc(table: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text() if doc.exists() else ""
    if DOC_START not in text or DOC_END not in text:
        return
    head, rest = text.split(DOC_START, 1)
    _, tail = rest.split(DOC_END, 1)
    doc.write_text(f"{head}{DOC_START}\n{table}\n{DOC_END}{tail}")
