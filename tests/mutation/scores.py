"""Per-module mutation scores from the last ``mutmut run`` (reads ``mutants/**/*.py.meta``).

Score = killed / all mutants, where a timeout counts as killed and "no tests" counts as survived
(an untested line is a blind spot, not a free pass). Run from the project root after mutmut:

    python tests/mutation/scores.py            # table per module
    python tests/mutation/scores.py --list     # plus the name of every survivor
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: mutmut's exit codes (mutmut/stats.py): 1 and 3 are kills; 24/36/152/255 (and -24) timeouts.
KILLED = {1, 3, 24, 36, 152, 255, -24, 37}
SKIPPED = {34}


def main(argv: list[str]) -> int:
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("No mutants/ results here: run `mutmut run --max-children 2` from the project root first.")
        return 1
    total_killed = total = 0
    survivors: list[str] = []
    print(f"{'module':<36}{'killed':>8}{'total':>8}{'score':>9}")
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counted = {k: v for k, v in codes.items() if v not in SKIPPED}
        killed = sum(v in KILLED for v in counted.values())
        survivors += sorted(k for k, v in counted.items() if v not in KILLED)
        module = str(meta.relative_to("mutants"))[: -len(".meta")]
        score = killed / len(counted) if counted else 1.0
        print(f"{module:<36}{killed:>8}{len(counted):>8}{score:>9.1%}")
        total_killed, total = total_killed + killed, total + len(counted)
    print(f"{'all':<36}{total_killed:>8}{total:>8}{total_killed / max(total, 1):>9.1%}")
    if "--list" in argv:
        print("\nSurvivors (`mutmut show NAME` prints the diff):")
        print("\n".join(f"  {name}" for name in survivors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
