"""Memory of the bot and its chart worker over many reports; a script, not a test.

Run from the repository root::

    python -m bench.bench_rss               # 20 warm-up reports, then 2 passes of 200
    python -m bench.bench_rss --passes 3 --reports 100

The real bot runs in this process (waitress, job threads, Braze and Slack clients), so "bot" is this process; the
chart worker is the render pool's process. Readings are ``VmRSS`` (and ``RssAnon``, the heap part) from
``/proc/<pid>/status`` after the last job returned and a ``gc.collect()``. Commands come from a separate client
process. Reports go in batches (7/14/100 days mixed, one channel each) and the fakes, which keep every PNG they
receive, are reset after each batch, so what remains is the bot's own memory. Target: < 20 MB growth per 200
reports in each process.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import time
from typing import TYPE_CHECKING

from bench.common import LoadClient, machine_note, read_rss, run_batch, running_bot, settle, table

if TYPE_CHECKING:
    from bench.common import BotBench, Rss

TARGET_MB = 20.0
BATCH = 20


def snapshot(bench: BotBench) -> tuple[Rss, list[Rss], int]:
    settle()
    return read_rss(os.getpid()), [read_rss(pid) for pid in bench.render_worker_pids()], len(gc.get_objects())


def run_reports(bench: BotBench, client: LoadClient, count: int, mix: itertools.cycle[int]) -> None:
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        run_batch(bench, client, [next(mix) for _ in range(size)], threads=10)
        done += size


def mb(kb: int) -> str:
    return f"{kb / 1024:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-up", type=int, default=20, help="reports before the first reading")
    parser.add_argument("--reports", type=int, default=200, help="reports per pass")
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    mix = itertools.cycle([7, 14, 100])
    rows = []
    worst = 0.0
    with running_bot(channels=BATCH) as bench, LoadClient() as client:
        start_bot, start_workers, _ = snapshot(bench)
        run_reports(bench, client, args.warm_up, mix)
        rows.append(["start-up", "-", mb(start_bot.rss_kb), "", "", "", mb(start_workers[0].rss_kb), "", "", ""])
        for number in range(1, args.passes + 1):
            bot0, workers0, objects0 = snapshot(bench)
            run_reports(bench, client, args.reports, mix)
            bot1, workers1, objects1 = snapshot(bench)
            pids0, pids1 = [w.pid for w in workers0], [w.pid for w in workers1]
            worker_delta = (
                (sum(w.rss_kb for w in workers1) - sum(w.rss_kb for w in workers0)) / 1024 if pids0 == pids1 else 0.0
            )
            bot_delta = (bot1.rss_kb - bot0.rss_kb) / 1024
            worst = max(worst, bot_delta, worker_delta)
            rows.append(
                [
                    f"pass {number}",
                    args.reports,
                    mb(bot0.rss_kb),
                    mb(bot1.rss_kb),
                    f"{bot_delta:+.1f}",
                    f"{(bot1.anon_kb - bot0.anon_kb) / 1024:+.1f}",
                    "+".join(mb(w.rss_kb) for w in workers0),
                    "+".join(mb(w.rss_kb) for w in workers1),
                    f"{worker_delta:+.1f}" if pids0 == pids1 else "recycled",
                    f"{objects1 - objects0:+d}",
                ]
            )
        worker_pids = bench.render_worker_pids()
    elapsed = time.perf_counter() - started

    print(f"\nbench_rss: {machine_note()}; bot pid {os.getpid()}, chart worker pid(s) {worker_pids}")
    print(f"{args.warm_up} warm-up reports, then {args.passes} x {args.reports} reports (7/14/100 days mixed)\n")
    headers = ["MB", "reports", "bot before", "bot after", "bot Δ", "bot anon Δ"]
    headers += ["worker before", "worker after", "worker Δ", "py objects Δ"]
    print(table(headers, rows))
    verdict = "met" if worst < TARGET_MB else "MISSED"
    print(f"\ntarget growth < {TARGET_MB:.0f} MB per {args.reports} reports: {verdict} (worst {worst:+.1f} MB)")
    print(f"(wall time {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
