"""bench/RESULTS.md, assembled from each bench's own section.

    .venv/bin/python bench/results.py [--results-dir DIR] [--profiles-dir DIR] [--out FILE]

The convention: every bench script writes `bench/results/<name>.md` (its section, starting with
`## <title>`, figures with their goals and ✓/✗) and `bench/results/<name>.json` (raw figures) —
`write_section()` below does both. This file puts the sections in one document: server first, then
clients, events, board, any others A–Z, then "Profiles" with the top lines of `bench/profiles/*.txt`.
`*-quick` sections (short runs on a busy machine) are never part of it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["ORDER", "assemble", "write_section"]

HERE = Path(__file__).resolve().parent
ORDER = ["server", "clients", "events", "board"]
PROFILE_LINES = 40


def write_section(name: str, markdown: str, data: Any, *, results_dir: Path | None = None) -> Path:
    """Write one bench's section (`<name>.md`) and raw figures (`<name>.json`); returns the .md path."""
    folder = results_dir or HERE / "results"
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / f"{name}.md"
    md.write_text(markdown.rstrip() + "\n")
    (folder / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return md


def _rank(name: str) -> tuple[int, str]:
    return (ORDER.index(name), name) if name in ORDER else (len(ORDER), name)


def _sections(results_dir: Path) -> list[str]:
    names = {p.stem for p in results_dir.glob("*.md")} | {p.stem for p in results_dir.glob("*.json")}
    out = []
    for name in sorted((n for n in names if not n.endswith("-quick")), key=_rank):
        md = results_dir / f"{name}.md"
        if md.exists():
            text = md.read_text().strip()
            if not text.startswith("#"):
                text = f"## {name}\n\n{text}"
            out.append(text)
        else:
            out.append(_from_json(name, results_dir / f"{name}.json"))
    return out


def _from_json(name: str, path: Path) -> str:
    """A bench that has not adopted the convention yet: its goals and verdicts, and where the rest is."""
    lines = [f"## {name}", ""]
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("what"), str):
            lines += [data["what"], ""]
        goals = data.get("goals") if isinstance(data.get("goals"), dict) else {}
        met = data.get("met") if isinstance(data.get("met"), dict) else {}
        if goals:
            lines.append("Goals: " + ", ".join(f"{k} {v}" for k, v in goals.items()) + ".")
        lines += [f"* {k}: {'✓' if v else '✗'}" for k, v in met.items()]
        lines.append("")
    lines.append(
        f"Raw figures in `bench/results/{name}.json` (this bench does not write its own"
        f" `bench/results/{name}.md` section yet)."
    )
    return "\n".join(lines)


def _profiles(profiles_dir: Path) -> list[str]:
    def key(path: Path) -> tuple[str, int, str]:
        # before-create next to after-create: the same load, before and after a change.
        label, _, what = path.stem.partition("-")
        return (what or label, 0 if label == "before" else 1, path.stem)

    files = sorted(profiles_dir.glob("*.txt"), key=key) if profiles_dir.is_dir() else []
    if not files:
        return []
    out = [
        "## Profiles",
        "",
        f"Top lines of each profile in `bench/profiles/` (first {PROFILE_LINES} lines; the files hold more).",
    ]
    for path in files:
        lines = path.read_text().rstrip().splitlines()
        shown = lines[:PROFILE_LINES]
        more = (
            f"\n… {len(lines) - PROFILE_LINES} more lines in bench/profiles/{path.name}"
            if len(lines) > len(shown)
            else ""
        )
        out += ["", f"### {path.stem}", "", "```", *shown, "```" + more]
    return ["\n".join(out)]


def assemble(
    results_dir: Path | None = None, profiles_dir: Path | None = None, out: Path | None = None
) -> Path:
    results_dir = results_dir or HERE / "results"
    profiles_dir = profiles_dir or HERE / "profiles"
    out = out or HERE / "RESULTS.md"
    head = (
        "# Benchmark results\n\n"
        "Assembled by `python bench/results.py` from `bench/results/*.md` (each bench writes its own"
        " section; see bench/README.md). Machine is shared: compare ratios measured in the same run,"
        " not absolutes across runs."
    )
    parts = [head, *_sections(results_dir), *_profiles(profiles_dir)]
    out.write_text("\n\n".join(p.strip() for p in parts) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/results.py", description="Assemble bench/RESULTS.md.")
    p.add_argument("--results-dir", type=Path, default=HERE / "results")
    p.add_argument("--profiles-dir", type=Path, default=HERE / "profiles")
    p.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = p.parse_args(argv)
    if not args.results_dir.is_dir():
        print(f"no results folder {args.results_dir}", file=sys.stderr)
        return 2
    print(assemble(args.results_dir, args.profiles_dir, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
