"""Instructions per full submission, counted by valgrind: a figure a busy machine cannot disturb.

    .venv/bin/python bench/submit_instructions.py [--small 50] [--large 150]
        [--database sqlite|postgres]

``bench/submit.py`` measures CPU time, which on these shared machines moves
with the load and the day (the same code measured 2.7 ms one morning and 9 ms
that afternoon).  This runs it twice under ``valgrind --tool=callgrind`` with
two counts of submissions and prints the difference of the instruction totals
divided by the difference of the counts: start-up, imports and migrations
cancel out, and what is left is the app's own work per submission, the same
figure on a quiet or a loaded machine.  Run it on two checkouts to compare
them.  Each run takes several minutes (valgrind is about 50x slower).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 20  # bench/submit.py makes this many first, unmeasured; they cancel out here too
TOTAL = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def instructions(count: int, database: str) -> int:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(ROOT / "bench" / "submit.py"),
            "--count",
            str(count),
            "--database",
            database,
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(command, check=True, env=env, capture_output=True)
        found = TOTAL.findall(out.read_text(errors="replace"))
        if not found:
            raise SystemExit(f"{out}: no instruction total in callgrind's output")
        return int(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--large", type=int, default=150)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    if args.small <= WARM_UP:
        parser.error(f"--small must be more than {WARM_UP} (bench/submit.py's warm-up submissions)")
    if args.large <= args.small:
        parser.error("--large must be more than --small")
    small = instructions(args.small, args.database)
    large = instructions(args.large, args.database)
    per = (large - small) / (args.large - args.small)
    print(f"submit: {args.database}, instructions counted by callgrind")
    print(f"  {args.small} submissions   {small:>16,}")
    print(f"  {args.large} submissions   {large:>16,}")
    print(f"  per submission     {per / 1e6:>13.2f} M")
    figure = {
        "bench": "submit_instructions",
        "figure": f"instructions per submission ({args.database})",
        "value": round(per / 1e6, 2),
        "unit": "M instructions",
    }
    print("BENCH " + json.dumps(figure))


if __name__ == "__main__":
    main()
