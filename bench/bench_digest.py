"""One daily-digest round at scale: 1,000 subscriptions over 100 sends; a script, not a test.

Run from the repository root::

    python -m bench.bench_digest                                   # SQLite in a temp file
    python -m bench.bench_digest --database-url postgresql://postgres@127.0.0.1:5432/test
    python -m bench.bench_digest --round-workers 32 --render-processes 2   # settings to compare
    python -m bench.bench_digest --channels 100                    # 10 subscriptions per channel (pacer)
    python -m bench.bench_digest --sweep 16,32,64                  # more rounds with other ROUND_WORKERS
    python -m bench.bench_digest --profile /tmp/round.raw          # py-spy the first round (pip install py-spy)

The round is ``digests.round.run_round`` on the shipped wiring (``build_runtime(settings)``,
``runtime.start(scheduler=False)``), with every subscription made by ``Subscriptions.upsert`` as
``tests/test_processes.py`` does. It runs as ``python -m bot digest --date TODAY`` would: each send is
fetched once, each (send, day) chart drawn once in the render pool, each digest posted with
``chat.postMessage``, its chart uploaded once per (send, day) without a channel and shown in each digest's
thread by a reply (``DIGEST_SHARED_CHARTS``; see ``bench_tiers`` for the comparison under Slack's limits).

The Slack fake and the sample Braze server run in a child process (spawn), not in this one: their request
threads would otherwise take this process's GIL, and the fake keeps every PNG it receives, which would land
in the very peak RSS measured here. Only 127.0.0.1 is used. Latency is injected at the fakes: 200 ms per
Braze request and 50 ms per Slack call (chat.postMessage, files.getUploadURLExternal, the upload POST,
files.completeUploadExternal), so a digest costs at least 200 ms of Slack round trips.

A second round for the same date must post nothing and ask Braze nothing (every digest is claimed).
A watchdog (``--timeout``) ends a hung run: it prints every thread's stack, kills the child processes and drops
the throwaway PostgreSQL database.

"thread-s" in the breakdown is time summed over the threads that spent it (the round's pools run
``ROUND_WORKERS`` threads at once), measured by wrapping the bot's objects in this process only.

Top-level imports are the standard library and ``bench.common`` only: spawned render workers re-import this
module, and importing the bot here would inflate the render workers' memory measured below.
"""

from __future__ import annotations

import argparse
import faulthandler
import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from bench.common import machine_note, table

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from bot.runtime import Runtime
    from digests.context import RoundResult

SLOW_ROUND_S = 60.0
SLACK_METHODS = ("chat.postMessage", "files.getUploadURLExternal", "upload", "files.completeUploadExternal")


# -- the fakes, in their own process ------------------------------------------------------------------------


@dataclass(frozen=True)
class FakesSpec:
    today: date
    sends: int
    campaigns: int
    channels: int
    braze_latency: float
    slack_latency: float


def send_key(index: int, campaigns: int) -> tuple[str, str]:
    return f"cmp-bench-{index % campaigns:02d}", f"send-{index:03d}"


def _serve_fakes(conn: Connection, spec: FakesSpec) -> None:
    """Child process: run the Slack fake and the sample Braze server until told to stop."""
    from fakes.braze import SampleBraze
    from fakes.settings import BOT_TOKEN, BRAZE_KEY
    from fakes.slack import UPLOAD, SlackFake
    from handlers.flows.digest_posting import CHART_EVENT_TYPE

    with SlackFake(token=BOT_TOKEN) as slack, SampleBraze(api_key=BRAZE_KEY, today=spec.today) as braze:
        braze.latency = spec.braze_latency
        for method in ("chat.postMessage", "files.getUploadURLExternal", UPLOAD, "files.completeUploadExternal"):
            slack.latency[method] = spec.slack_latency
        for i in range(spec.channels):
            slack.add_channel(channel_name(i))
        first_days = {}
        for i in range(spec.sends):
            campaign, send = send_key(i, spec.campaigns)
            # 2..13 days ago: yesterday has data and Braze's 14-day window is still open (no final digest)
            added = braze.add_send(campaign, send, days_ago=2 + i % 12, campaign_name=f"Bench campaign {campaign}")
            first_days[(campaign, send)] = added.first_day
        conn.send({"slack": slack.base_url, "braze": braze.url, "first_days": first_days})
        while True:
            command = conn.recv()
            if command == "stop":
                break
            if command == "reset":
                slack.reset()
                braze.clear_requests()
                conn.send(None)
            elif command == "counts":
                with slack.locked():
                    calls: dict[str, int] = {}
                    errors = 0
                    for call in slack.calls:
                        calls[call.method] = calls.get(call.method, 0) + 1
                        response = call.response
                        failed = isinstance(response, dict) and not response.get("ok")
                        errors += call.status != 200 or failed
                    top_level = sum(
                        1 for msgs in slack.messages.values() for m in msgs if "thread_ts" not in m and "files" not in m
                    )
                    charts = sum(1 for f in slack.files if f.thread_ts and f.content.startswith(b"\x89PNG"))
                    charts += sum(  # replies showing the round's one upload of their chart
                        1
                        for msgs in slack.messages.values()
                        for m in msgs
                        if (m.get("metadata") or {}).get("event_type") == CHART_EVENT_TYPE
                    )
                    channels = sum(1 for msgs in slack.messages.values() if msgs)
                paths = braze.request_counts()
                counts = {"slack": calls, "slack_errors": errors, "braze": paths}
                conn.send({**counts, "messages": top_level, "charts": charts, "channels": channels})


def channel_name(index: int) -> str:
    return f"C_DIGEST{index:04d}"


class Fakes:
    """Handle on the fakes' child process."""

    def __init__(self, spec: FakesSpec) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_fakes, args=(child, spec), name="bench-fakes", daemon=True)
        self.process.start()
        child.close()
        if not self._conn.poll(60):
            raise RuntimeError("the fakes did not start within 60 s")
        hello = self._conn.recv()
        self.slack_url: str = hello["slack"]
        self.braze_url: str = hello["braze"]
        self.first_days: dict[tuple[str, str], date] = hello["first_days"]

    def _ask(self, command: str) -> Any:
        self._conn.send(command)
        if not self._conn.poll(60):
            raise RuntimeError(f"the fakes did not answer {command!r}")
        return self._conn.recv()

    def reset(self) -> None:
        self._ask("reset")

    def counts(self) -> dict[str, Any]:
        return self._ask("counts")

    def close(self) -> None:
        with suppress(OSError):
            self._conn.send("stop")
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)


# -- databases ------------------------------------------------------------------------------------------------


class Watchdog:
    """Bounds the run: after ``seconds`` dump every stack, kill the children, run the cleanups, exit 3."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cleanups: list[Callable[[], None]] = []
        self.before_kill: list[Callable[[], None]] = []  # e.g. stop the render pool from replacing workers
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        print(f"\nbench_digest: still running after {self.seconds:.0f} s, giving up; stacks:", file=sys.stderr)
        faulthandler.dump_traceback(all_threads=True)
        for stop in self.before_kill:
            with suppress(Exception):
                stop()
        for _ in range(5):  # the render pool replaces a killed worker: repeat until none is left
            children = multiprocessing.active_children()
            for child in children:
                child.kill()
            if not children:
                break
            time.sleep(0.5)
        for cleanup in reversed(self.cleanups):
            with suppress(Exception):
                cleanup()
        os._exit(3)


@contextmanager
def database(url: str | None, watchdog: Watchdog) -> Iterator[tuple[str, str]]:
    """(database URL, description): a temp SQLite file, or a uniquely named PostgreSQL database dropped after."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="sendstats-digest-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'sendstats.db'}", "SQLite (temp file, WAL)"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(url)
    if admin.get_backend_name() not in ("postgres", "postgresql"):
        raise SystemExit(f"--database-url must be postgresql://…, not {admin.drivername}")
    name = f"sendstats_bench_{uuid.uuid4().hex[:12]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    with psycopg.connect(dsn, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        conn.execute(f'CREATE DATABASE "{name}"')
    watchdog.cleanups.append(drop)
    try:
        yield admin.set(database=name).render_as_string(hide_password=False), f"PostgreSQL {version} (db {name})"
    finally:
        drop()


# -- timing the round's parts -----------------------------------------------------------------------------------


@dataclass
class Span:
    calls: int = 0
    total: float = 0.0
    longest: float = 0.0
    first: float = float("inf")
    last: float = 0.0
    by_main: float = 0.0  # seconds spent on the round's calling thread (the sequential part)


@dataclass
class Timers:
    """Times calls to the bot's collaborators by wrapping them on their instances (this process only)."""

    spans: dict[str, Span] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        inner = getattr(owner, attr)
        main = threading.main_thread()

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                end = time.perf_counter()
                with self._lock:
                    span = self.spans.setdefault(name, Span())
                    span.calls += 1
                    span.total += end - start
                    span.longest = max(span.longest, end - start)
                    span.first = min(span.first, start)
                    span.last = max(span.last, end)
                    if threading.current_thread() is main:
                        span.by_main += end - start

        had_own = attr in getattr(owner, "__dict__", {})
        setattr(owner, attr, timed)
        self._undo.append(lambda: setattr(owner, attr, inner) if had_own else delattr(owner, attr))

    def reset(self) -> None:
        with self._lock:
            self.spans = {}

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


def instrument(runtime: Runtime) -> Timers:
    import digests.posting as steps
    import digests.round as digests
    import handlers.flows.digest_posting as posting
    from reports.kinds.send import SEND

    deps, timers = runtime.deps, Timers()
    timers.wrap(deps.store.deliveries, "claim", "store.claim")
    timers.wrap(deps.store.deliveries, "record_message", "store.record_message")
    timers.wrap(deps.braze, "data_series_raw", "braze.data_series")
    timers.wrap(deps.names, "get", "names.get (campaign name)")
    timers.wrap(digests, "post_one", "post_one (one digest, whole)")
    timers.wrap(SEND, "build_digest", "build_digest")
    timers.wrap(posting, "digest_blocks", "digest_blocks")
    timers.wrap(steps.ChartCache, "get", "chart (render or wait for it)")
    timers.wrap(deps.renderer, "render", "renderer.render (pool)")
    timers.wrap(deps.delivery, "deliver_report", "deliver_report")
    timers.wrap(deps.delivery.pacer, "wait", "pacer.wait (1 msg/s/channel)")
    timers.wrap(deps.delivery.client, "chat_postMessage", "slack chat.postMessage")
    timers.wrap(deps.delivery, "upload", "slack upload (3 steps)")
    return timers


# -- sampling profile (py-spy) --------------------------------------------------------------------------------


@contextmanager
def py_spy(path: Path | None) -> Iterator[None]:
    """Sample this process with py-spy (on-CPU stacks only, 100 Hz, every thread) while the block runs."""
    if path is None:
        yield
        return
    exe = shutil.which("py-spy")
    if exe is None:
        raise SystemExit("--profile needs py-spy on PATH: pip install py-spy")
    command = [exe, "record", "--pid", str(os.getpid()), "--rate", "100", "--format", "raw", "--threads"]
    command += ["--full-filenames", "--nonblocking", "--output", str(path)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.5)  # attach before the round starts
    if spy.poll() is not None:
        raise SystemExit(f"py-spy failed: {spy.stderr.read().decode()[-500:] if spy.stderr else ''}")
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def profile_report(path: Path, seconds: float, top: int = 14) -> str:
    """Read py-spy's raw (collapsed) stacks: CPU by component (inclusive) and by function (self)."""
    repo = str(Path(__file__).resolve().parent.parent)
    components = {
        "slack_sdk (WebClient, files_upload_v2)": "/slack_sdk/",
        "urllib / http.client / socket (slack_sdk's HTTP)": ("/urllib/", "/http/client.py", "/socket.py"),
        "SQLAlchemy": "/sqlalchemy/",
        "DB driver (sqlite3 / psycopg)": ("/sqlite3/", "/psycopg/"),
        "httpx / httpcore (Braze)": ("/httpx/", "/httpcore/", "/h11/"),
        "json": "/json/",
        "reports/ (parse, summarise, digest)": repo + "/reports/",
        "handlers/ (layout, delivery)": repo + "/handlers/",
        "digests/ (the round)": repo + "/digests/",
        "concurrent.futures / threading": ("/concurrent/futures/", "/threading.py"),
        "multiprocessing (render pool plumbing)": "/multiprocessing/",
    }
    inclusive = dict.fromkeys(components, 0)
    leaves: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")[1:]  # the first is the thread
        for name, needles in components.items():
            needles = (needles,) if isinstance(needles, str) else needles
            if any(n in frame for frame in frames for n in needles):
                inclusive[name] += count
        leaf = frames[-1] if frames else "?"
        func, _, where = leaf.partition(" (")
        where = where.rstrip(")").replace(repo + "/", "")
        where = where.rsplit("site-packages/", 1)[-1].rsplit("/lib/python3.11/", 1)[-1]
        key = f"{func} ({where.rsplit(':', 1)[0]})"
        leaves[key] = leaves.get(key, 0) + count
    if not total:
        return "py-spy recorded no samples"
    cpu_s = total / 100
    lines = [
        f"py-spy: {total} on-CPU samples at 100 Hz = {cpu_s:.1f} thread-s of Python on CPU in {seconds:.1f} s "
        f"(average {cpu_s / seconds:.2f} threads running; the GIL lets at most 1 run Python at a time)",
        "",
        table(
            ["component (stack contains)", "CPU s", "% of samples"],
            [[name, n / 100, 100 * n / total] for name, n in sorted(inclusive.items(), key=lambda kv: -kv[1])],
        ),
        "",
        table(
            ["top functions (self)", "CPU s", "% of samples"],
            [[name, n / 100, 100 * n / total] for name, n in sorted(leaves.items(), key=lambda kv: -kv[1])[:top]],
        ),
    ]
    return "\n".join(lines)


# -- the bench --------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    label: str
    round_workers: int
    render_processes: int
    seconds: float
    result: RoundResult
    counts: dict[str, Any]
    spans: dict[str, Span]
    rss_before_kb: int
    hwm_kb: int
    workers_hwm_kb: list[int]
    cpu: float  # this process (the bot), user + system, all threads
    render_cpu: float
    fakes_cpu: float

    @property
    def digests(self) -> int:
        return self.result.posted + self.result.quiet

    @property
    def series_calls(self) -> int:
        return int(self.counts["braze"].get("/sends/data_series", 0))

    @property
    def slack_calls(self) -> int:
        return sum(self.counts["slack"].values())


def status_kb(pid: int | str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def reset_peak(pid: int | str) -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5), so a peak belongs to one round."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def render_workers(fakes: Fakes) -> list[int]:
    return sorted(p.pid for p in multiprocessing.active_children() if p.pid != fakes.process.pid and p.pid)


def make_subscriptions(runtime: Runtime, fakes: Fakes, args: argparse.Namespace) -> int:
    """``args.per_send`` channels subscribe to each send, as in tests/test_processes.py's ``_due_subscription``."""
    store = runtime.store
    made = datetime.now(UTC) - timedelta(days=2)
    count = 0
    for i in range(args.sends):
        campaign, send = send_key(i, args.campaigns)
        first_day = fakes.first_days[(campaign, send)]
        for k in range(args.per_send):
            channel = channel_name((i * args.per_send + k) % args.channels)
            store.subscriptions.upsert(
                team_id="T1", channel_id=channel, kind="send", object_id=campaign, send_id=send, hour=0, minute=0,
                timezone="UTC", created_by="U1", first_day=first_day, ends_on=first_day + timedelta(days=14), now=made,
            )
            count += 1
    return count


def cpu_seconds(pid: int) -> float:
    """User + system CPU of another process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_round(
    runtime: Runtime,
    fakes: Fakes,
    timers: Timers,
    today: date,
    *,
    label: str,
    round_workers: int,
    profile: Path | None = None,
) -> Outcome:
    import digests.round as digests

    deps = runtime.deps
    assert deps.store is not None
    fakes.reset()
    timers.reset()
    deps.names.clear()
    deps.delivery.pacer.reset()
    workers = render_workers(fakes)
    for pid in ["self", *workers]:
        reset_peak(pid)
    rss_before = status_kb("self", "VmRSS")
    subs = deps.store.subscriptions.active()
    digests.ROUND_WORKERS = round_workers  # this process only
    others = {pid: cpu_seconds(pid) for pid in [*workers, fakes.process.pid]}
    with py_spy(profile):
        cpu = own_cpu_seconds()
        start = time.perf_counter()
        result = digests.run_round(runtime.rounds, subs, digest_date=today)
        seconds = time.perf_counter() - start
        cpu = own_cpu_seconds() - cpu
    others = {pid: cpu_seconds(pid) - before for pid, before in others.items()}
    fakes_cpu = others.pop(fakes.process.pid)
    return Outcome(
        label=label,
        round_workers=round_workers,
        render_processes=runtime.settings.render_processes,
        seconds=seconds,
        result=result,
        counts=fakes.counts(),
        spans=dict(timers.spans),
        rss_before_kb=rss_before,
        hwm_kb=status_kb("self", "VmHWM"),
        workers_hwm_kb=[status_kb(pid, "VmHWM") for pid in render_workers(fakes)],
        cpu=cpu,
        render_cpu=sum(others.values()),
        fakes_cpu=fakes_cpu,
    )


def check_first(outcome: Outcome, subscriptions: int, sends: int) -> None:
    r, c = outcome.result, outcome.counts
    assert outcome.series_calls == sends, f"Braze data_series calls {outcome.series_calls} != {sends} sends"
    assert r.braze_calls == sends, r
    assert outcome.digests == subscriptions, f"posted {outcome.digests} of {subscriptions}: {r}"
    assert not r.failed and not r.errors and not r.skipped, r
    assert c["messages"] == subscriptions and c["charts"] == subscriptions, c
    assert c["slack_errors"] == 0, c


def check_second(outcome: Outcome, subscriptions: int) -> None:
    r = outcome.result
    assert outcome.series_calls == 0 and r.braze_calls == 0, f"second round asked Braze: {outcome.counts}"
    assert outcome.digests == 0 and outcome.slack_calls == 0, f"second round posted: {r} {outcome.counts}"
    assert r.already_done == subscriptions, r


def clear_deliveries(runtime: Runtime) -> None:
    """Forget the day's claims so another round posts every digest again (sweeps only)."""
    from sqlalchemy import update

    from digests.tables import digest_deliveries, subscriptions

    with runtime.store.engine.begin() as conn:
        conn.execute(digest_deliveries.delete())
        conn.execute(update(subscriptions).values(last_digest_on=None))


# -- report ----------------------------------------------------------------------------------------------------


def mb(kb: int) -> float:
    return kb / 1024


def round_rows(outcomes: list[Outcome]) -> list[list[object]]:
    rows: list[list[object]] = []
    for o in outcomes:
        slack = o.counts["slack"]
        rows.append(
            [
                o.label,
                o.round_workers,
                o.render_processes,
                o.seconds,
                o.series_calls,
                o.counts["braze"].get("/campaigns/details", 0),
                o.digests,
                o.result.already_done,
                o.slack_calls,
                "/".join(str(slack.get(m, 0)) for m in SLACK_METHODS),
            ]
        )
    return rows


ROUND_HEADERS = [
    "round",
    "ROUND_WORKERS",
    "render procs",
    "wall s",
    "Braze data_series",
    "Braze details",
    "digests posted",
    "already done",
    "Slack calls",
    "postMessage/getURL/upload/complete",
]


def resource_rows(outcomes: list[Outcome]) -> list[list[object]]:
    return [
        [
            o.label,
            o.round_workers,
            mb(o.rss_before_kb),
            mb(o.hwm_kb),
            ", ".join(f"{mb(kb):.1f}" for kb in o.workers_hwm_kb) or "-",
            o.cpu,
            o.render_cpu,
            o.fakes_cpu,
        ]
        for o in outcomes
    ]


RESOURCE_HEADERS = [
    "round",
    "ROUND_WORKERS",
    "bot RSS before MB",
    "bot peak RSS MB",
    "render worker peak RSS MB",
    "bot CPU s",
    "render CPU s",
    "fakes CPU s",
]


def breakdown(outcome: Outcome) -> str:
    rows = []
    spans = outcome.spans
    for name, span in spans.items():
        rows.append(
            [
                name,
                span.calls,
                span.total,
                span.by_main,
                1000 * span.total / max(1, span.calls),
                1000 * span.longest,
            ]
        )
    rows.sort(key=lambda r: -float(r[2]))  # type: ignore[arg-type]
    return table(["where the time goes (round 1)", "calls", "thread-s", "of which caller s", "mean ms", "max ms"], rows)


def phases(outcome: Outcome) -> str:
    """The three sequential phases of run_round, from the wrapped spans' first and last timestamps."""
    spans = outcome.spans
    claim = spans.get("store.claim")
    fetch = spans.get("braze.data_series")
    post = spans.get("post_one (one digest, whole)")
    parts = []
    if claim:
        parts.append(f"claims {claim.by_main:.1f} s ({claim.calls} sequential store.claim calls on the caller)")
    if fetch:
        parts.append(f"fetch {fetch.last - fetch.first:.1f} s ({fetch.calls} data_series)")
    if post:
        parts.append(
            f"post {post.last - post.first:.1f} s ({post.calls} digests; "
            f"{post.total / max(1e-9, post.last - post.first):.1f} busy threads on average)"
        )
    return "phases: " + "; ".join(parts)


@dataclass
class BenchRun:
    database: str
    subscriptions: int
    setup: float
    shipped_workers: int
    startup_hwm: int
    peaks_reset: bool
    outcomes: list[Outcome]


def _no_more_pools() -> None:
    raise RuntimeError("bench_digest watchdog: no new render pool")


def run(args: argparse.Namespace, watchdog: Watchdog) -> BenchRun:
    """Fakes, database, bot; the subscriptions; round 1, round 2 and the sweep's rounds."""
    import digests.round as digests
    from bench.common import make_settings
    from bot.runtime import build_runtime

    shipped = digests.ROUND_WORKERS
    round_workers = shipped if args.round_workers is None else args.round_workers
    sweep = [int(v) for v in args.sweep.split(",") if v.strip()]
    today = datetime.now(UTC).date()
    fakes = Fakes(FakesSpec(today, args.sends, args.campaigns, args.channels, args.braze_latency, args.slack_latency))
    try:
        with database(args.database_url, watchdog) as (db_url, db_name):
            endpoints = SimpleNamespace(base_url=fakes.slack_url, url=fakes.braze_url)  # all make_settings reads
            settings = make_settings(
                endpoints,  # type: ignore[arg-type]
                endpoints,  # type: ignore[arg-type]
                Path("unused.db"),
                database_url=db_url,
                render_processes=args.render_processes,
            )
            runtime = build_runtime(settings)
            watchdog.before_kill.append(lambda: setattr(runtime.renderer, "_get_pool", _no_more_pools))
            try:
                runtime.start(scheduler=False)
                setup = time.perf_counter()
                subscriptions = make_subscriptions(runtime, fakes, args)
                setup = time.perf_counter() - setup
                timers = instrument(runtime)
                startup_hwm = status_kb("self", "VmHWM")
                peaks_reset = reset_peak("self")
                outcomes: list[Outcome] = []
                try:
                    first = one_round(
                        runtime, fakes, timers, today, label="1st", round_workers=round_workers, profile=args.profile
                    )
                    check_first(first, subscriptions, args.sends)
                    second = one_round(runtime, fakes, timers, today, label="2nd same day", round_workers=round_workers)
                    check_second(second, subscriptions)
                    outcomes += [first, second]
                    for workers in sweep:
                        clear_deliveries(runtime)
                        label = "again, claims cleared"
                        extra = one_round(runtime, fakes, timers, today, label=label, round_workers=workers)
                        check_first(extra, subscriptions, args.sends)
                        outcomes.append(extra)
                finally:
                    timers.restore()
                    digests.ROUND_WORKERS = shipped
            finally:
                runtime.close()
                runtime.store.dispose()
    finally:
        fakes.close()
    return BenchRun(db_name, subscriptions, setup, shipped, startup_hwm, peaks_reset, outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="postgresql://… server to create a throwaway database on")
    parser.add_argument("--sends", type=int, default=100)
    parser.add_argument("--per-send", type=int, default=10, help="channels subscribed to each send")
    parser.add_argument("--channels", type=int, default=1000, help="distinct channels the subscriptions spread over")
    parser.add_argument("--campaigns", type=int, default=10, help="campaigns the sends belong to")
    parser.add_argument("--braze-latency", type=float, default=0.2, help="seconds per Braze request")
    parser.add_argument("--slack-latency", type=float, default=0.05, help="seconds per Slack call")
    parser.add_argument("--round-workers", type=int, default=None, help="override digests.round.ROUND_WORKERS")
    parser.add_argument("--render-processes", type=int, default=1, help="settings.render_processes (1..8)")
    parser.add_argument(
        "--sweep",
        type=str,
        default="",
        help="comma-separated ROUND_WORKERS values for extra timed rounds (claims cleared between them)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="RAW_FILE",
        help="sample round 1 with py-spy (pip install py-spy), keep its raw stacks here and print a summary",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before the watchdog ends the run")
    args = parser.parse_args()
    if args.channels < args.per_send:
        parser.error("--channels must be at least --per-send (one subscription per channel and send)")
    if args.round_workers is not None and args.round_workers < 1:
        parser.error("--round-workers must be at least 1")

    started = time.perf_counter()
    with Watchdog(args.timeout) as watchdog:
        bench = run(args, watchdog)
    elapsed = time.perf_counter() - started
    outcomes = bench.outcomes
    first = outcomes[0]
    print(f"\nbench_digest: {machine_note()}; database: {bench.database}")
    print(
        f"{bench.subscriptions} subscriptions = {args.sends} sends x {args.per_send} channels, over "
        f"{args.channels} distinct channels and {args.campaigns} campaigns (made in {bench.setup:.1f} s); "
        f"Braze latency {args.braze_latency * 1000:.0f} ms/request, Slack {args.slack_latency * 1000:.0f} ms/call; "
        f"shipped ROUND_WORKERS {bench.shipped_workers}\n"
    )
    print(table(ROUND_HEADERS, round_rows(outcomes)))
    print()
    print(table(RESOURCE_HEADERS, resource_rows(outcomes)))
    print(
        f"\nBraze data_series calls in round 1: {first.series_calls} (asserted == {args.sends}, one per send); "
        f"round 2: {outcomes[1].series_calls} Braze calls, {outcomes[1].digests} digests, "
        f"{outcomes[1].slack_calls} Slack calls; round 1 posted in {first.counts['channels']} distinct channels, "
        f"{first.counts['charts']} charts in threads, {first.counts['slack_errors']} Slack errors"
    )
    since = "reset (clear_refs) just before each round" if bench.peaks_reset else "since start (clear_refs refused)"
    print(
        f"peak RSS = VmHWM from /proc/<pid>/status, {since}; render workers found with "
        f"multiprocessing.active_children() (the fakes' process left out). Bot VmHWM before round 1 "
        f"(start-up, warm-up, subscriptions): {mb(bench.startup_hwm):.1f} MB. CPU = user + system during the round.\n"
    )
    print(breakdown(first))
    print(phases(first))
    floor = args.slack_latency * 4 * first.digests / first.round_workers
    print(
        f"latency floor of the post phase: {first.digests} digests x 4 Slack calls x "
        f"{args.slack_latency * 1000:.0f} ms / {first.round_workers} threads = {floor:.1f} s"
    )
    if args.profile is not None:
        print()
        print(profile_report(args.profile, first.seconds))
        print(f"(raw stacks in {args.profile}; flamegraph.pl or speedscope read them)")
    verdict = "SLOW (> 60 s)" if first.seconds > SLOW_ROUND_S else "ok (< 60 s)"
    print(f"round 1: {first.seconds:.1f} s, {verdict}; whole bench {elapsed:.0f} s")


if __name__ == "__main__":
    main()
