"""Command-to-chart time of ``/sendstats``, with Braze answering in 300 ms; a script, not a test.

Run from the repository root::

    python -m bench.bench_e2e              # 20 runs per report size and cache state
    python -m bench.bench_e2e --runs 5 --latency 0.1

Each run POSTs one signed command to the real bot (waitress, in this process) and waits until the Slack fake has
recorded the chart's share (``files.completeUploadExternal``); runs are sequential, so the bot is otherwise idle.
Every Braze call costs ``--latency`` seconds at the sample server. Overhead is the total minus that latency times
the Braze calls the run made (they are sequential: each starts after the previous answered).

Besides ``/sends/data_series`` the bot asks ``/campaigns/details`` for the campaign's name, cached for an hour:
"warm" runs hit the cache (one Braze call), "cold" runs clear it first (two Braze calls). Each run posts in a
different channel of a rotation, so the bot's 1 message/s per-channel pacer never waits.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.common import UPLOAD_DONE, Command, machine_note, percentile, post_command, running_bot, table

if TYPE_CHECKING:
    from bench.common import BotBench

TARGET_OVERHEAD_MS = 500.0
SIZES = (7, 14, 100)
CHANNELS = 8


@dataclass
class Run:
    total: float  # POST sent -> share recorded by the Slack fake (s)
    ack: float
    braze_calls: int
    sequential: bool  # every Braze call started after the previous one answered
    to_braze: float  # POST -> first Braze request arrives
    braze: float  # first Braze request arrives -> last Braze answer (arrival + latency)
    build: float  # last Braze answer -> chat.postMessage arrives (parse, summarise, name, render)
    deliver: float  # chat.postMessage arrives -> share recorded (post + 3-step upload)

    def overhead(self, latency: float) -> float:
        """Time beyond waiting for Braze: concurrent calls (name beside data) cost one latency, not two."""
        waited = self.braze_calls * latency if self.sequential else latency
        return self.total - waited


def one_run(bench: BotBench, days: int, index: int, latency: float, *, cold: bool) -> Run:
    if cold:
        bench.runtime.deps.names.clear()
    bench.reset_fakes()
    command = Command(f"cmp-spring send-0001 {days}", bench.channels[index % CHANNELS], bench.slack.new_response_url())
    sent = time.time()
    ack = post_command(bench.url, command)
    if not ack.ok:
        raise RuntimeError(f"not acked: {ack.status} {ack.body[:200]!r}")
    bench.slack.wait_for(UPLOAD_DONE, count=1, timeout=30)
    done = time.time()
    if errors := bench.report_errors():
        raise RuntimeError(f"report went wrong: {errors[0]}")
    arrivals = sorted(r.at for r in bench.braze.requests)
    [post] = bench.slack.calls_to("chat.postMessage")
    braze_done = arrivals[-1] + latency
    return Run(
        total=done - sent,
        ack=ack.seconds,
        braze_calls=len(arrivals),
        sequential=all(b - a >= latency for a, b in itertools.pairwise(arrivals)),
        to_braze=arrivals[0] - sent,
        braze=braze_done - arrivals[0],
        build=post.time - braze_done,
        deliver=done - post.time,
    )


def ms(values: list[float], q: float | None = None) -> float:
    return (statistics.median(values) if q is None else percentile(values, q)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per report size and cache state")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds each Braze call takes")
    args = parser.parse_args()

    started = time.perf_counter()
    results: dict[tuple[str, int], list[Run]] = {}
    with running_bot(channels=CHANNELS, braze_latency=args.latency) as bench:
        for i, days in enumerate(SIZES):  # warm-up: connections, the render worker, the name cache
            one_run(bench, days, i, args.latency, cold=False)
        index = 0
        for cache in ("warm", "cold"):
            for days in SIZES:
                runs = results.setdefault((cache, days), [])
                for _ in range(args.runs):
                    index += 1
                    runs.append(one_run(bench, days, index, args.latency, cold=cache == "cold"))
    elapsed = time.perf_counter() - started

    print(f"\nbench_e2e: {machine_note()}; Braze latency {args.latency * 1000:.0f} ms per call; {args.runs} runs each")
    print(
        "(total = POST sent -> chart share recorded by the Slack fake; overhead = total - time spent waiting "
        "for Braze: calls x latency when sequential, one latency when the calls overlap)\n"
    )
    rows = []
    for (cache, days), runs in results.items():
        calls = sorted({r.braze_calls for r in runs})
        overheads = [r.overhead(args.latency) for r in runs]
        rows.append(
            [
                f"{cache} name cache",
                days,
                len(runs),
                "/".join(map(str, calls)),
                "yes" if all(r.sequential for r in runs) else "NO",
                ms([r.total for r in runs]),
                ms([r.total for r in runs], 95),
                ms(overheads),
                ms(overheads, 95),
            ]
        )
    print(
        table(
            ["cache", "days", "runs", "Braze calls", "sequential", "total p50", "total p95", "overh p50", "overh p95"],
            rows,
        )
    )
    print("\nwhere the time goes (medians, ms)\n")
    stages = []
    for (cache, days), runs in results.items():
        stages.append(
            [
                f"{cache} name cache",
                days,
                ms([r.ack for r in runs]),
                ms([r.to_braze for r in runs]),
                ms([r.braze for r in runs]),
                ms([r.build for r in runs]),
                ms([r.deliver for r in runs]),
            ]
        )
    print(table(["cache", "days", "ack", "POST->Braze", "Braze", "parse+summary+render", "Slack post+upload"], stages))
    worst = max(ms([r.overhead(args.latency) for r in runs], 95) for runs in results.values())
    verdict = "met" if worst < TARGET_OVERHEAD_MS else "MISSED"
    print(f"\ntarget overhead < {TARGET_OVERHEAD_MS:.0f} ms: {verdict} (worst p95 {worst:.1f} ms)")
    print(f"(wall time {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
