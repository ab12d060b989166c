"""Ack latency of ``/sendstats`` while reports are being built; a script, not a test.

Run from the repository root::

    python -m bench.bench_ack                        # chart workers in a process pool (the shipped design)
    python -m bench.bench_ack --render-processes 0   # draw in the job threads of the acking process

Slack gives a slash command 3 s for its HTTP answer and people notice far less; the target is p99 < 100 ms.
The real bot runs in this process on waitress, against the Slack fake and the sample Braze server (no latency,
so reports pile up at the renderer: the worst case for the acking process). Signed commands come from a separate
client process, as Slack's would, and each ack is timed there from the first byte sent to the response read.

* idle: one command at a time, the next only after the previous chart reached Slack, so nothing runs in the
  background when a command arrives.
* control: the same bursts of ``/sendstats help`` (acked, no background job): what concurrency alone costs.
* load: bursts of ``--burst`` commands (14- and 100-day reports alternating, each in its own channel) from
  ``--threads`` client threads, a random 0..``--spread`` s pause between two commands of a thread; every chart must
  reach the Slack fake before the next round. "In render" counts reports inside ``renderer.render()`` (queued for
  or drawing in the pool; drawing in a job thread with ``--render-processes 0``) when the command was sent.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from typing import TYPE_CHECKING

from bench.common import (
    UPLOAD_DONE,
    Ack,
    Command,
    LoadClient,
    bot_process,
    commands_for,
    machine_note,
    percentile,
    run_batch,
    running_bot,
    table,
)

if TYPE_CHECKING:
    from bench.common import BotBench

TARGET_P99_MS = 100.0


def row(name: str, acks: list[Ack]) -> list[object]:
    ms = [a.seconds * 1000 for a in acks]
    failed = sum(not a.ok for a in acks)
    if not ms:
        return [name, 0, "-", "-", "-", "-", failed]
    return [name, len(ms), statistics.median(ms), percentile(ms, 95), percentile(ms, 99), max(ms), failed]


def idle_baseline(bench: BotBench, client: LoadClient, count: int) -> list[Ack]:
    acks = []
    for i in range(count):
        [command] = commands_for(bench, [14 if i % 2 else 100], first_channel=i)
        acks += client.fire(bench.url, [command], threads=1)
        bench.slack.wait_for(UPLOAD_DONE, count=1, timeout=60)
        bench.reset_fakes()
    return acks


def control_rounds(bench: BotBench, client: LoadClient, args: argparse.Namespace, rounds: int) -> list[Ack]:
    acks: list[Ack] = []
    for _ in range(rounds):
        commands = [Command("help", c.channel, c.response_url) for c in commands_for(bench, [0] * args.burst)]
        acks += client.fire(bench.url, commands, threads=args.threads, spread=args.spread)
        bench.reset_fakes()
    return acks


def load_rounds(bench: BotBench, client: LoadClient, args: argparse.Namespace) -> tuple[list[Ack], list[int], dict]:
    acks: list[Ack] = []
    in_render: list[int] = []
    peak = 0
    seconds = 0.0
    for _ in range(args.rounds):
        if bench.probe is not None:
            bench.probe.reset()
        days = list(itertools.islice(itertools.cycle([14, 100]), args.burst))
        start = time.perf_counter()
        burst = client.fire(bench.url, commands_for(bench, days), threads=args.threads, spread=args.spread)
        bench.slack.wait_for(UPLOAD_DONE, count=args.burst, timeout=args.timeout)
        seconds += time.perf_counter() - start
        errors = bench.report_errors()
        if errors:
            raise RuntimeError(f"{len(errors)} reports went wrong, e.g. {errors[0]}")
        time.sleep(0.2)  # the last jobs leave render() before the intervals are read
        acks += burst
        if bench.probe is not None:
            in_render += [bench.probe.in_flight_at(a.sent_at) for a in burst]
            peak = max(peak, bench.probe.peak)
        bench.reset_fakes()
    reports = args.rounds * args.burst
    return acks, in_render, {"peak": peak, "seconds": seconds, "reports": reports}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render-processes", type=int, default=1, help="chart workers; 0 = draw in job threads")
    parser.add_argument("--report-workers", type=int, default=4, help="job threads (shipped default 4)")
    parser.add_argument(
        "--in-process", action="store_true", help="run the bot inside the bench process, beside the fakes"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=48, help="commands per round")
    parser.add_argument("--threads", type=int, default=12, help="client threads sending a burst")
    parser.add_argument("--spread", type=float, default=0.25, help="max pause (s) between a thread's commands")
    parser.add_argument("--idle", type=int, default=100, help="commands for the idle baseline")
    parser.add_argument("--timeout", type=float, default=120.0, help="max seconds for one round's charts")
    args = parser.parse_args()

    started = time.perf_counter()
    with (
        (running_bot if args.in_process else bot_process)(
            render_processes=args.render_processes, report_workers=args.report_workers, channels=args.burst
        ) as bench,
        LoadClient() as client,
    ):
        run_batch(bench, client, [14, 100] * 6, threads=6)  # warm-up: connections, fonts, caches
        idle = idle_baseline(bench, client, args.idle)
        control = control_rounds(bench, client, args, rounds=2)
        loaded, in_render, load = load_rounds(bench, client, args)
        auth_tests = len(bench.slack.calls_to("auth.test"))
    elapsed = time.perf_counter() - started

    busy = [a for a, n in zip(loaded, in_render, strict=False) if n >= 8]
    mode = "in the job threads" if args.render_processes == 0 else f"{args.render_processes} worker process(es)"
    where = "inside the bench process" if args.in_process else "`python -m bot` in its own process"
    print(f"\nbench_ack: {machine_note()}; bot: {where}; parse+render: {mode}; report workers: {args.report_workers}")
    print(
        f"load: {args.rounds} rounds x {args.burst} commands (14/100 days alternating) from {args.threads} client "
        f"threads, pauses 0..{args.spread:.2f} s; {load['reports']} reports in {load['seconds']:.1f} s "
        f"({load['reports'] / load['seconds']:.1f} reports/s)"
    )
    if in_render:
        print(
            f"reports in render() when a command was sent: median {statistics.median(in_render):.0f}, "
            f"max {max(in_render)}; peak in render() {load['peak']}\n"
        )
    print(
        table(
            ["ack latency (ms)", "acks", "p50", "p95", "p99", "max", "failed"],
            [
                row("idle", idle),
                row("bursts of `help` (no job)", control),
                row("under load, all", loaded),
                *([row("under load, >= 8 in render", busy)] if in_render else []),
            ],
        )
    )
    p99 = percentile([a.seconds * 1000 for a in loaded], 99)
    verdict = "met" if p99 < TARGET_P99_MS else "MISSED"
    print(f"\ntarget ack p99 < {TARGET_P99_MS:.0f} ms under load: {verdict} ({p99:.1f} ms)")
    print(f"(auth.test calls: {auth_tests}; wall time {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
