"""Under Slack's rate limits (the Slack fake's tier mode): one digest round, and back-to-back reports in one
channel; a script, not a test.

Run from the repository root::

    python -m bench.bench_tiers                 # every part, before and after
    python -m bench.bench_tiers --part burst    # 48 reports over 12 channels at once
    python -m bench.bench_tiers --part round --subscriptions 100 --sends 10
    python -m bench.bench_tiers --part channel --runs 10

**Round.** 100 subscriptions over 10 sends in 100 channels (``--subscriptions 1000 --sends 100 --channels
1000`` for a morning's round), one ``run_round`` (as ``python -m bot digest``) against the fake with
``enable_tiers()``: ``files.*`` Tier 4 = 100/min per method with a burst of 20, ``chat.postMessage`` 1/s
per channel with a burst of 6 (a file shared there counts as one more message) and 5/s per workspace
with a burst of 30 (an assumption: Slack keeps such a limit without publishing it), 429 + ``Retry-After``
beyond. Both chart modes run with the shipped ``PacedWebClient``, side by side: "per-channel upload"
(``DIGEST_SHARED_CHARTS=false``: each digest uploads its chart into its thread, three ``files.*`` calls
and the bytes) and "one upload per chart" (each distinct chart uploaded once without a channel, then a
reply showing it in each thread). The floor is what the fake's buckets allow at best: for each bucket,
(calls that took a token − burst) / rate, the worst one.

``--time-scale K`` runs every limit K times faster on both sides, bursts unchanged: the fake's buckets,
its ``Retry-After`` (Slack's whole seconds / K) and its processing of uploads (/ K), and the bot's own
buckets and its waits for that processing (/ K). Wall and floor are then measured in the scaled time and
printed as such; times K gives Slack's. It exists because a 1,000-digest round at Slack's pace takes 7 to
10 minutes per mode on a loaded 2-core machine.

**Channel.** ``--runs`` reports one after another in one channel (each starts when the previous chart has
landed), Braze answering at once, against the fake in tier mode. The pacing delay is the time the bot's
per-channel pacer made the post wait; "before" is the old pacer (exactly 1 s between posts, no burst).

**Burst.** 48 reports (14 and 100 days alternating) over 12 channels fired at once by 12 threads, with the
tier mode off (what the CPU allows) and on (what Slack allows): seconds from the first command to the last
chart landing, with 1 chart worker and with the default.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    CAMPAIGN,
    DAYS_AGO,
    SEND,
    UPLOAD_DONE,
    BotBench,
    Command,
    machine_note,
    post_command,
    running_bot,
    table,
)
from fakes.slack import DEFAULT_SHARE_DELAY

MODES = ("before", "after")
#: The round part's modes: the chart uploaded into each digest's thread, or once per distinct chart.
ROUND_MODES = ("per-channel upload", "one upload per chart")


def old_client(bench: BotBench) -> Any:
    """The Slack client as shipped before: slack_sdk retry handlers only, 429s retried 3 times per call, and
    each ``chat.postMessage`` spaced exactly 1 s from the last in its channel (the old delivery's pacer)."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    from handlers.adapter.pacing import ChannelPacer

    class OldClient(WebClient):
        pacer = ChannelPacer(rate=1.0, burst=1, workspace_rate=1000.0, workspace_burst=1000)  # no workspace pace

        def chat_postMessage(self, *, channel: str, **kwargs: Any) -> Any:
            self.pacer.wait(channel)
            return super().chat_postMessage(channel=channel, **kwargs)

    return OldClient(
        token=bench.slack.token,
        base_url=bench.slack.base_url,
        timeout=20,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def use_mode(bench: BotBench, mode: str, shipped: Any) -> None:
    """Point the bot's deliveries (reports', and the digest round's own) at the old or the shipped client
    and its pacer. ``shipped`` is ``{delivery: its shipped client}``, taken before any swap."""
    for delivery, client in shipped.items():
        delivery.client = old_client(bench) if mode == "before" else client
        delivery.pacer = delivery.client.pacer
        delivery.pacer.reset()
        if mode != "before":
            client.limits.reset()


def shipped_clients(bench: BotBench) -> dict[Any, Any]:
    """The deliveries that post (reports; the digest round's sender) with the clients they shipped with."""
    runtime = bench.runtime
    assert runtime is not None
    deliveries = [runtime.deps.delivery, runtime.rounds.sender.delivery]  # type: ignore[attr-defined]
    return {delivery: delivery.client for delivery in deliveries}


# -- the round ---------------------------------------------------------------------------------------------


def subscribe(bench: BotBench, subscriptions: int, sends: int) -> None:
    runtime = bench.runtime
    assert runtime is not None
    send_ids = [SEND] + [f"send-b{i:04d}" for i in range(1, sends)]  # (SEND is send-0001: none may repeat it)
    for send_id in send_ids[1:]:
        bench.braze.add_send(CAMPAIGN, send_id, days_ago=DAYS_AGO)
    made = datetime.now(UTC) - timedelta(days=2)
    for i in range(subscriptions):
        send_id = send_ids[i % sends]
        first_day = bench.braze.sends[(CAMPAIGN, send_id)].first_day
        channel = bench.channels[i % len(bench.channels)]
        runtime.store.subscriptions.upsert(
            team_id="T1", channel_id=channel, kind="send", object_id=CAMPAIGN, send_id=send_id, hour=0, minute=0,
            timezone="UTC", created_by="U1", first_day=first_day, ends_on=first_day + timedelta(days=14), now=made,
        )


def clear_deliveries(bench: BotBench) -> None:
    from sqlalchemy import update

    from digests.tables import digest_charts, digest_deliveries, subscriptions

    with bench.runtime.store.engine.begin() as conn:  # type: ignore[union-attr]
        conn.execute(digest_deliveries.delete())
        conn.execute(digest_charts.delete())
        conn.execute(update(subscriptions).values(last_digest_on=None))


def scale_time(bench: BotBench, shipped: Any, scale: float) -> None:
    """Run the bot's side ``scale`` times faster: its per-method buckets, its post pacers, and its waits for
    Slack's processing of an upload (the fake's side is :class:`fakes.slack.TierLimits` ``time_scale``)."""
    from digests.context import PROCESSING_WAITS
    from handlers.adapter.pacing import POST_RATE, WORKSPACE_POST_RATE
    from handlers.adapter.ratelimit import METHOD_TIERS, TIERS

    runtime = bench.runtime
    assert runtime is not None
    for client in shipped.values():
        client.rates = {m: (TIERS[t][0] * scale, TIERS[t][1]) for m, t in METHOD_TIERS.items()}
        client.pacer.rate = POST_RATE * scale
        client.pacer.workspace_rate = WORKSPACE_POST_RATE * scale
    runtime.rounds.processing_waits = tuple(w / scale for w in PROCESSING_WAITS)
    bench.slack.share_delay = tuple(d / scale for d in DEFAULT_SHARE_DELAY)  # type: ignore[assignment]


def floor_formula(digests: int, charts: int, limits: Any, *, shared: bool) -> tuple[float, str]:
    """The floor of a round with no refused or repeated call, from the fake's limits: per bucket
    (calls - burst) / rate, the worst one. Per digest: its message and (shared) a reply showing the chart,
    or (per channel) an upload completed into its thread; per chart (shared): one upload."""
    per_channel, per_workspace = limits.post_limits()
    rate, burst = limits.rate("files.completeUploadExternal")
    posts = 2 * digests if shared else digests
    uploads = charts if shared else digests
    buckets = {
        f"{posts} posts per workspace": (posts - per_workspace[1]) / per_workspace[0],
        f"{uploads} uploads (files.* per method)": (uploads - burst) / rate,
        "2 messages per channel": (2 - per_channel[1]) / per_channel[0],
    }
    why = max(buckets, key=lambda k: buckets[k])
    return max(0.0, buckets[why]), why


def floor_seconds(calls: list[Any], limits: Any) -> tuple[float, str]:
    """The least time the fake's buckets allow for the calls that got through: (n - burst) / rate, worst one.

    Buckets: each tiered method per workspace; ``chat.postMessage`` per channel, where each file shared
    into the channel counts as one more message, and per workspace (posts only)."""
    counts: dict[tuple[str, str], int] = {}

    def count(key: tuple[str, str]) -> None:
        counts[key] = counts.get(key, 0) + 1

    for call in calls:
        if call.status != 200:
            continue
        if call.method == "chat.postMessage":
            count((call.method, str(call.params.get("channel"))))
            count((call.method, ""))
        elif call.method == "files.completeUploadExternal" and call.params.get("channel_id"):
            count(("chat.postMessage", str(call.params["channel_id"])))
        if call.method in limits.method_tiers:
            count((call.method, ""))
    worst, why = 0.0, "none"
    per_channel, per_workspace = limits.post_limits()
    for (method, channel), n in counts.items():
        if method == "chat.postMessage" and channel:
            rate, burst = per_channel
        elif method == "chat.postMessage":
            rate, burst = per_workspace
        else:
            rate, burst = limits.rate(method)
        floor = max(0.0, n - burst) / rate
        if floor > worst:
            where = f" in {channel}" if channel else (" (workspace)" if method == "chat.postMessage" else "")
            worst, why = floor, f"{n} {method}{where}"
    return worst, why


def one_round(bench: BotBench, mode: str, shipped: Any, scale: float) -> list[object]:
    from digests.round import run_round
    from fakes.slack import UPLOAD, TierLimits
    from handlers.flows.digest_posting import CHART_EVENT_TYPE

    runtime = bench.runtime
    assert runtime is not None
    use_mode(bench, "after", shipped)
    scale_time(bench, shipped, scale)
    shared = mode == ROUND_MODES[1]
    runtime.rounds.shared_charts = shared
    clear_deliveries(bench)
    bench.reset_fakes()
    limits = bench.slack.enable_tiers(TierLimits(time_scale=scale))  # fresh buckets on Slack's side too
    start = time.perf_counter()
    result = run_round(runtime.rounds, runtime.store.subscriptions.active(), digest_date=datetime.now(UTC).date())
    wall = time.perf_counter() - start
    with bench.slack.locked():
        calls = list(bench.slack.calls)
        files = list(bench.slack.files)
    landed = [c for c in calls if c.method == "chat.postMessage" and c.status == 200 and c.response.get("ok")]
    posts = {
        (c.params["channel"], c.response["ts"])  # type: ignore[index]
        for c in landed
        if c.params.get("channel") in bench.channels and not c.params.get("thread_ts")
    }
    replies = {
        (c.params["channel"], c.params["thread_ts"])
        for c in landed
        if (c.params.get("metadata") or {}).get("event_type") == CHART_EVENT_TYPE
    }
    with_chart = posts & ({(f.channel, f.thread_ts) for f in files} | replies)
    refused, api_calls = bench.slack.rate_limited_share()
    uploads = sum(1 for c in calls if c.method == UPLOAD)
    floor, why = floor_seconds(calls, limits)
    digests = max(1, len(posts))
    charts = len({(s.target, s.first_day) for s in runtime.store.subscriptions.active()})
    ideal, ideal_why = floor_formula(len(posts), charts, limits, shared=shared)
    return [
        mode,
        f"{wall:.1f} s",
        f"{ideal:.1f} s ({ideal_why})",
        f"{floor:.1f} s ({why})",
        f"{wall / ideal:.2f}x" if ideal else "-",
        result.posted,
        len(posts),
        len(with_chart),
        uploads,
        result.chart_fallbacks,
        f"{refused} / {api_calls} ({100 * refused / max(1, api_calls):.2f}%)",
        f"{api_calls / digests:.2f}",
        f"{(api_calls + uploads) / digests:.2f}",
    ]


# -- back to back in one channel -----------------------------------------------------------------------------


def channel_runs(bench: BotBench, mode: str, shipped: Any, runs: int) -> list[tuple[float, float]]:
    """(command-to-chart seconds, pacing wait seconds) for ``runs`` reports back to back in one channel."""
    use_mode(bench, mode, shipped)
    bench.slack.enable_tiers()
    delivery = bench.runtime.deps.delivery  # type: ignore[union-attr]
    waits: list[float] = []
    pacer = delivery.pacer
    original = pacer.wait

    def timed_wait(channel: str, deadline: float | None = None) -> float:
        waited = original(channel, deadline)
        waits.append(waited)
        return waited

    pacer.wait = timed_wait  # type: ignore[method-assign]
    channel = bench.channels[-1]
    out = []
    try:
        for _ in range(runs):
            bench.reset_fakes()
            before = len(waits)
            sent = time.time()
            ack = post_command(bench.url, Command(f"{CAMPAIGN} {SEND} 14", channel, bench.slack.new_response_url()))
            if not ack.ok:
                raise RuntimeError(f"not acked: {ack.status}")
            bench.slack.wait_for(UPLOAD_DONE, timeout=60)
            out.append((time.time() - sent, sum(waits[before:])))
    finally:
        pacer.wait = original  # type: ignore[method-assign]
    return out


# -- a burst of reports over a few channels -------------------------------------------------------------------


def burst(reports: int, channels: int, render_processes: int, *, tiers: bool) -> tuple[float, int]:
    """Seconds from the first command of a burst to the last chart landing, and the 429s on the way.

    Without ``tiers`` neither Slack (the fake) nor the bot's own buckets limit anything: what the CPU allows.
    """

    import handlers.adapter.ratelimit as ratelimit

    shipped_tiers = dict(ratelimit.METHOD_TIERS)
    if not tiers:
        ratelimit.METHOD_TIERS.clear()
    try:
        return _burst(reports, channels, render_processes, tiers=tiers)
    finally:
        ratelimit.METHOD_TIERS.update(shipped_tiers)


def _burst(reports: int, channels: int, render_processes: int, *, tiers: bool) -> tuple[float, int]:
    from concurrent.futures import ThreadPoolExecutor

    with running_bot(channels=channels, render_processes=render_processes, report_workers=4) as bench:
        bench.slack.enable_tiers()
        warm = Command(f"{CAMPAIGN} {SEND} 14", bench.channels[0], bench.slack.new_response_url())
        post_command(bench.url, warm)
        bench.slack.wait_for(UPLOAD_DONE, timeout=60)
        time.sleep(5)  # let the warm-up's post token come back
        bench.reset_fakes()
        if tiers:
            bench.slack.enable_tiers()
        else:
            bench.slack.disable_tiers()
        bench.runtime.deps.delivery.pacer.reset()  # type: ignore[union-attr]
        bench.runtime.deps.delivery.client.limits.reset()  # type: ignore[union-attr]
        commands = [
            Command(f"{CAMPAIGN} {SEND} {days}", bench.channels[i % channels], bench.slack.new_response_url())
            for i, days in enumerate([14, 100] * (reports // 2))
        ]
        start = time.time()
        with ThreadPoolExecutor(max_workers=12) as pool:
            acks = list(pool.map(lambda c: post_command(bench.url, c), commands))
        assert all(a.ok for a in acks)
        shares = bench.slack.wait_for(UPLOAD_DONE, count=reports, timeout=120)
        return max(c.time for c in shares) - start, bench.slack.rate_limited_share()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("round", "channel", "burst", "all"), default="all")
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--sends", type=int, default=10)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10, help="back-to-back reports in one channel")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="the round part: every Slack limit this many times faster"
    )
    args = parser.parse_args()

    print(f"bench_tiers: {machine_note()}")
    if args.part in ("burst", "all"):
        from bot.config import default_render_processes

        rows = []
        for processes in sorted({1, default_render_processes()}):
            for tiers in (False, True):
                seconds, refused = burst(48, 12, processes, tiers=tiers)
                mode = "on (bot paced)" if tiers else "off (bot unpaced)"
                rows.append([processes, mode, f"{seconds:.2f} s", refused])
        print("\n48 reports (14/100 days alternating) over 12 channels, fired by 12 threads\n")
        print(table(["RENDER_PROCESSES", "tier mode", "first command -> last chart", "429s"], rows))
        print("(with tiers, 48 uploads at Tier 4's 100/min after the bot's burst of 15 take at least 20 s)")
        if args.part == "burst":
            return
    with running_bot(channels=args.channels + 1) as bench:
        shipped = shipped_clients(bench)
        if args.part in ("round", "all"):
            round_channels = bench.channels[: args.channels]
            everything = bench.channels
            bench.channels = round_channels
            subscribe(bench, args.subscriptions, args.sends)
            rows = [one_round(bench, mode, shipped, args.time_scale) for mode in ROUND_MODES]
            scale_time(bench, shipped, 1.0)  # the other parts run at Slack's pace
            bench.channels = everything
            scaled = f", time scale {args.time_scale:g} (times in scaled seconds)" if args.time_scale != 1 else ""
            print(
                f"\nOne digest round under Slack's tiers: {args.subscriptions} subscriptions, {args.sends} sends, "
                f"{args.channels} channels{scaled}\n"
            )
            headers = [
                "charts",
                "wall",
                "floor (formula)",
                "floor (calls made)",
                "wall/floor",
                "round says posted",
                "digests in Slack",
                "with chart",
                "uploads",
                "fallbacks",
                "429 / API calls",
                "API calls/digest",
                "HTTP requests/digest",
            ]
            print(table(headers, rows))
            print("(HTTP requests per digest add each upload's bytes POST to the Web API calls)")
        if args.part in ("channel", "all"):
            print(f"\n{args.runs} reports back to back in one channel (tier mode on, Braze answering at once)\n")
            rows = []
            for mode in MODES:
                results = channel_runs(bench, mode, shipped, args.runs)
                waits = [round(w * 1000) for _, w in results]
                rows.append(
                    [
                        mode,
                        statistics.median(t for t, _ in results[:5]) * 1000,
                        statistics.median(t for t, _ in results[5:]) * 1000 if len(results) > 5 else "-",
                        " ".join(map(str, waits)),
                    ]
                )
            print(table(["pacer", "runs 1-5 p50 ms", "runs 6+ p50 ms", "pacing wait per run, ms"], rows))


if __name__ == "__main__":
    main()
