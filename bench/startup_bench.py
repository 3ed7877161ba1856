"""What starting `krafta` costs on top of the libraries it cannot do without (issue 19, start-up).

    .venv/bin/python bench/startup_bench.py [--pairs 15] [--name startup]

Whole processes, as a user types them, in alternating pairs (command, baseline, command, baseline,
…) so that a burst of load from the neighbours hits both alike; medians of wall and CPU time
(user + system, from wait4) and their ratios. The machine is shared: only the ratios hold, and
the load (`uptime`) is printed before and after. Goals (ratio ≤ 1.15):

* `krafta --help` against `python -c "import typer, rich, httpx"`;
* `krafta orders list --limit 20` (piped) against a local `krafta serve` holding the demo shop,
  against `python -c "import typer, rich, httpx"` making the same request with httpx (the command
  cannot list without asking: the baseline asks too, so the ratio is what krafta adds).

It also prints which of krafta's own modules each command imports (`import only what they use`:
tests/cli/test_cli_startup.py holds the lists). Writes bench/results/<name>.md and .json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client_bench import CPU, KRAFTA, PYTHON, ROOT, _env, demo_shop, timed
from results import write_section

GOAL = 1.15
_MODULES = (
    "import sys; from krafta_cli.main import main\n"
    "try: main(sys.argv[1:])\n"
    "except SystemExit: pass\n"
    "print(' '.join(sorted(m for m in sys.modules if m.startswith('krafta_cli'))), file=sys.stderr)"
)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def pairs(
    count: int, label: str, command: list[str], baseline: list[str], env: dict[str, str]
) -> dict[str, Any]:
    """`count` alternating pairs after one warm-up of each; medians and ratios."""
    timed(command, env)
    timed(baseline, env)
    walls: dict[str, list[float]] = {label: [], "baseline": []}
    for _ in range(count):
        walls[label].append(timed(command, env, label=label))
        walls["baseline"].append(timed(baseline, env, label=f"{label}-baseline"))
    wall, base = statistics.median(walls[label]), statistics.median(walls["baseline"])
    cpu, base_cpu = statistics.median(CPU[label]), statistics.median(CPU[f"{label}-baseline"])
    return {
        "wall_s": round(wall, 4),
        "baseline_wall_s": round(base, 4),
        "wall_ratio": round(wall / base, 2),
        "cpu_s": round(cpu, 4),
        "baseline_cpu_s": round(base_cpu, 4),
        "cpu_ratio": round(cpu / base_cpu, 2),
        "pairs": count,
    }


def own_modules(args: list[str], env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [PYTHON, "-c", _MODULES, *args], capture_output=True, text=True, env=env, check=False
    )
    return done.stderr.strip().splitlines()[-1].split() if done.stderr.strip() else []


def report(results: dict[str, Any]) -> str:
    rows = []
    for key, what, baseline in (
        ("help", "`krafta --help`", '`python -c "import typer, rich, httpx"`'),
        (
            "orders_list",
            "`krafta orders list --limit 20` (piped)",
            "the same imports + the same GET with httpx",
        ),
    ):
        r = results[key]
        ok = r["wall_ratio"] <= GOAL and r["cpu_ratio"] <= GOAL
        rows.append(
            f"| {what} | {r['wall_s']:.3f} s = **{r['wall_ratio']}×** "
            f"| {r['cpu_s']:.3f} s = **{r['cpu_ratio']}×** "
            f"| {baseline}: {r['baseline_wall_s']:.3f} s, CPU {r['baseline_cpu_s']:.3f} s | ≤ {GOAL}× | "
            f"{'✓' if ok else '✗'} |"
        )
    modules = "\n".join(
        f"* `krafta {' '.join(args)}`: {len(names)} — "
        + ", ".join(n.removeprefix("krafta_cli.") for n in names)
        for args, names in results["modules"]
    )
    return f"""## Start-up: `krafta --help` and `krafta orders list`

`python bench/startup_bench.py --pairs {results["help"]["pairs"]}`: whole processes in alternating pairs
(command, baseline), medians. The machine is shared, so only ratios hold. Load before:
`{results["uptime_before"]}`; after: `{results["uptime_after"]}`.

| command | wall | CPU (user + system) | baseline (same run) | goal | |
|---|---|---|---|---|---|
{chr(10).join(rows)}

krafta's own modules each imports (no command module for `--help`; for a piped list, none of the
workflows' modules — moves, batches, detail, paper files, scan station — nor the event stream):

{modules}
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=15, help="alternating pairs per figure")
    parser.add_argument("--orders", type=int, default=0, help="orders added to the demo shop for the list")
    parser.add_argument("--name", default="startup", help="results name (startup-quick for trial runs)")
    args = parser.parse_args()

    results: dict[str, Any] = {"goal_ratio": GOAL, "uptime_before": uptime()}
    with tempfile.TemporaryDirectory(prefix="krafta-startup-bench-") as home_dir:
        home = Path(home_dir)
        env = _env(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), COLUMNS="100")
        imports = [PYTHON, "-c", "import typer, rich, httpx"]
        results["help"] = pairs(args.pairs, "help", [KRAFTA, "--help"], imports, env)
        with demo_shop(args.orders) as (url, token):
            env = {**env, "KRAFTA_URL": url, "KRAFTA_TOKEN": token}
            request = (
                "import os, typer, rich, httpx\n"
                "r = httpx.get(os.environ['KRAFTA_URL'] + '/api/orders', params={'limit': 20}, "
                "headers={'Authorization': 'Bearer ' + os.environ['KRAFTA_TOKEN']})\n"
                "r.raise_for_status(); r.json()"
            )
            command = [KRAFTA, "orders", "list", "--limit", "20"]
            results["orders_list"] = pairs(args.pairs, "orders_list", command, [PYTHON, "-c", request], env)
            results["modules"] = [
                (a, own_modules(a, env)) for a in (["--help"], ["orders", "list", "--limit", "20"])
            ]
    results["uptime_after"] = uptime()
    markdown = report(results)
    path = write_section(args.name, markdown, results)
    print(markdown)
    print(f"written: {path}", file=sys.stderr)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
