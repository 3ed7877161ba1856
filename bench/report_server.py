"""The server bench's section of bench/RESULTS.md: figures, ratios, the goals of issue 7 and ✓/✗."""

from __future__ import annotations

from typing import Any

__all__ = ["GOALS", "render", "verdicts"]

# Issue 7, "Done when": ratios are krafta / reference measured in the same run.
GOALS = {
    "create_ratio": 4.0,
    "create_p99_ms": 50.0,
    "newest50_ratio": 5.0,
    "all_ratio": 10.0,
    "big_seconds": 1.0,
    "big_growth_mb": 64.0,
}


def _ratio(k: float, r: float) -> float:
    return round(k / r, 2) if r else 0.0


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def verdicts(db: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each goal: the measured value, the goal, met or not (per database)."""
    out: dict[str, dict[str, Any]] = {}
    c = db["create"]
    out["create ratio"] = {
        "value": _ratio(c["krafta"]["rps"], c["reference"]["rps"]),
        "goal": f"≥ {GOALS['create_ratio']:g}×",
    }
    out["create ratio"]["met"] = out["create ratio"]["value"] >= GOALS["create_ratio"]
    out["create p99"] = {
        "value": c["krafta"]["p99_ms"],
        "goal": f"≤ {GOALS['create_p99_ms']:g} ms",
        "met": c["krafta"]["p99_ms"] <= GOALS["create_p99_ms"],
    }
    ratio = _ratio(db["newest50"]["krafta"]["rps"], db["newest50"]["reference"]["rps"])
    out["newest-50 ratio"] = {"value": ratio, "goal": f"≥ {GOALS['newest50_ratio']:g}×", "met": ratio >= 5}
    ratio = _ratio(db["all"]["krafta"]["orders_per_s"], db["all"]["reference"]["orders_per_s"])
    out["all-orders ratio"] = {"value": ratio, "goal": f"≥ {GOALS['all_ratio']:g}×", "met": ratio >= 10}
    if "big" in db:
        k = db["big"]["krafta"]
        out["100k list time"] = {
            "value": k["seconds"],
            "goal": f"≤ {GOALS['big_seconds']:g} s",
            "met": k["seconds"] <= GOALS["big_seconds"],
        }
        out["100k list RSS growth"] = {
            "value": k["growth_mb"],
            "goal": f"≤ {GOALS['big_growth_mb']:g} MB",
            "met": k["growth_mb"] <= GOALS["big_growth_mb"],
        }
    # A figure with failed requests (4xx/5xx answers are fast) proves nothing: never a ✓.
    failed = {
        "create ratio": _failed(c),
        "create p99": _failed(c),
        "newest-50 ratio": _failed(db["newest50"]),
        "all-orders ratio": _failed(db["all"]),
    }
    if "big" in db:
        bad = db["big"]["krafta"].get("status", 200) != 200
        failed |= {"100k list time": bad, "100k list RSS growth": bad}
    for name, v in out.items():
        v["met"] = bool(v["met"]) and not failed.get(name, False)
        if failed.get(name):
            v["value"] = f"{v['value']} (failed requests)"
    return out


def _failed(figs: dict[str, Any]) -> bool:
    """More than 1% of either server's requests failed (or nothing was answered)."""
    return any(
        not f.get("requests") or f.get("errors", 0) > 0.01 * f["requests"]
        for who, f in figs.items()
        if who in ("reference", "krafta")
    )


def _errors(fig: dict[str, Any]) -> str:
    return f" ⚠ {fig['errors']} errors" if fig.get("errors") else ""


def _wrk_row(label: str, fig: dict[str, Any], ref: dict[str, Any] | None, unit: str = "req/s") -> str:
    value = fig["orders_per_s"] if unit == "orders/s" else fig["rps"]
    base = (ref["orders_per_s"] if unit == "orders/s" else ref["rps"]) if ref else None
    ratio = f"{_ratio(value, base):.2f}×" if base else "1×"
    return (
        f"| {label} | {value:,.0f} {unit} | {fig['p50_ms']:.1f} | {fig['p99_ms']:.1f} | {ratio} |"
        f" {fig['requests']:,}{_errors(fig)} |"
    )


def _database(kind: str, db: dict[str, Any]) -> list[str]:
    n = db["orders"]
    lines = [
        f"### {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}",
        "",
        "| figure | throughput | p50 ms | p99 ms | vs reference | requests |",
        "|---|---|---|---|---|---|",
    ]
    for key, title, unit in (
        ("create", "POST create, -c16", "req/s"),
        ("newest50", f"GET newest 50 of {n:,}, -c16", "req/s"),
        ("all", f"GET all {n:,} orders in one response, -c1", "orders/s"),
    ):
        figs = db[key]
        lines.append(_wrk_row(f"{title}: reference", figs["reference"], None, unit))
        if "reference_lean" in figs:
            lines.append(
                _wrk_row(
                    "… reference `all_lean` (Core + orjson)", figs["reference_lean"], figs["reference"], unit
                )
            )
        lines.append(_wrk_row(f"**{title}: krafta**", figs["krafta"], figs["reference"], unit))
    if "big" in db:
        big = db["big"]
        lines += ["", f"{big['orders']:,} orders in one response (one request; curl discards the body):", ""]
        lines += ["| server | wall time | RSS before | peak | growth |", "|---|---|---|---|---|"]
        for who in ("reference", "krafta"):
            if who in big:
                f = big[who]
                lines.append(
                    f"| {who} | {f['seconds']:.2f} s | {f['rss_before_mb']:.0f} MB | {f['peak_mb']:.0f} MB"
                    f" | {f['growth_mb']:.0f} MB |" + (f" ⚠ HTTP {f['status']}" if f["status"] != 200 else "")
                )
    lines += ["", "| goal (issue 7) | measured | goal | met |", "|---|---|---|---|"]
    for name, v in verdicts(db).items():
        lines.append(f"| {name} | {v['value']} | {v['goal']} | {_mark(v['met'])} |")
    seeds = ", ".join(f"{k} {v} s" for k, v in db.get("seed_seconds", {}).items())
    lines += ["", f"Seeding {n:,} orders took: {seeds}.", ""]
    return lines


def _glance(dbs: dict[str, dict[str, Any]]) -> list[str]:
    """Every goal of issue 7 on each database, in one table."""
    per_db = {kind: verdicts(db) for kind, db in dbs.items()}
    names = list(dict.fromkeys(n for v in per_db.values() for n in v))
    heads = ["SQLite" if k == "sqlite" else "PostgreSQL" for k in per_db]
    lines = ["| goal (issue 7) | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for name in names:
        cells = []
        for v in per_db.values():
            got = v.get(name)
            cells.append(f"{got['value']} {_mark(got['met'])}" if got else "—")
        goal = next(v[name]["goal"] for v in per_db.values() if name in v)
        lines.append(f"| {name} {goal} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def render(report: dict[str, Any], notes: str = "") -> str:
    """The section; `notes` (bench/server_notes.md: what the profiles say about unmet goals) goes last."""
    m, v = report["machine"], report["versions"]
    quick = report["mode"] == "quick"
    hello = report["hello"]
    lines = [
        "## Server: krafta vs the straightforward build"
        + (" (QUICK run — not the figures of record)" if quick else ""),
        "",
        "`python bench/server_bench.py" + (" --quick" if quick else "") + "` — wrk -t1 against real servers"
        " on 127.0.0.1; reference = `../shared/bench/reference` (sync ORM + pydantic response_model),"
        " measured back to back with krafta in the same run. Ratios hold; absolutes drift on this"
        " shared machine.",
        "",
        f"* run {report['started']} on commit `{report['commit']}`, {report.get('minutes', '?')} min,"
        f" {report['seconds_per_run']:g} s of wrk per figure and server"
        f" ({report.get('rounds', 1)} alternating round(s); p50/p99 = median round's)",
        f"* machine: {m['nproc']} × {m['cpu']}; load average at start"
        f" {', '.join(map(str, m['load_at_start']))}",
        "* versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"* framework floor (hello_fastapi, GET /, -c16): **{hello['rps']:,.0f} req/s**,"
        f" p50 {hello['p50_ms']:.1f} ms, p99 {hello['p99_ms']:.1f} ms",
        "",
    ]
    lines += _glance(report["databases"])
    for kind, db in report["databases"].items():
        lines += _database(kind, db)
    if notes.strip() and report["mode"] != "quick":
        lines += [notes.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"
