"""What the bench scripts share: the real bot on 127.0.0.1 against the fakes, a signed-command client, stats.

The bot is assembled exactly as ``tests/harness.py`` does it (``build_runtime(make_settings(...))``, waitress via
``HttpServer(make_wsgi(...))``, signed slash commands), with two differences: the Braze client keeps its real
default backoff (no ``fast_braze``), and the settings, SQLite file and channels are the bench's own.

Imports of the bot are done lazily, inside functions, on purpose. A ``spawn`` child re-imports the main module
unless it is a ``__main__`` module: under ``python -m bot`` the chart workers import nothing of the app, but under
``python -m bench.bench_x`` they import the bench script. Keeping this module's top level to the standard library
keeps the workers' memory (``bench_rss``) and start-up like production.
"""

from __future__ import annotations

import gc
import http.client
import math
import multiprocessing
import random
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime
    from bot.server import HttpServer
    from fakes.braze import SampleBraze
    from fakes.slack import SlackFake
    from reports.models import ChartData
    from reports.render_pool import ChartRenderer

#: Same values as tests/harness.py (the signing secret must match the bot's settings).
SIGNING_SECRET = "test-signing-secret-0123456789"
CAMPAIGN, SEND = "cmp-spring", "send-0001"
#: The send's first day; 12 days ago puts 13 days of data inside Braze's 14-day window (gaps before it
#: in the 100-day chart), a fuller send than the tests' 4 days.
DAYS_AGO = 12
UPLOAD_DONE = "files.completeUploadExternal"


# -- the bot under test ------------------------------------------------------------------------------------


class RenderProbe:
    """Wraps the bot's worker pool to count reports inside it (queued for the pool, parsing or drawing).

    Only timestamps and a counter are kept, under a lock: a few microseconds per report.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.intervals: list[tuple[float, float]] = []

    def render(self, data: ChartData) -> bytes:
        return self._timed(self.inner.render, data)

    def run(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Reports go through ``run`` (parse + summarise + draw in the worker)."""
        return self._timed(self.inner.run, fn, *args, **kwargs)

    def _timed(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.time()
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            return call(*args, **kwargs)
        finally:
            end = time.time()
            with self._lock:
                self.in_flight -= 1
                self.intervals.append((start, end))

    def reset(self) -> None:
        with self._lock:
            self.peak = self.in_flight
            self.intervals = []

    def in_flight_at(self, moment: float) -> int:
        """How many reports were inside ``render()`` at wall-clock ``moment``."""
        with self._lock:
            return sum(1 for start, end in self.intervals if start <= moment < end)


@dataclass
class BotBench:
    """The running bot, its fakes and the bench's handles on them."""

    url: str
    runtime: Runtime | None  # None when the bot runs as its own process (``bot_process``)
    slack: SlackFake
    braze: SampleBraze
    server: HttpServer | None
    renderer: ChartRenderer | None
    probe: RenderProbe | None
    channels: list[str]
    render_processes: int
    report_workers: int

    def render_worker_pids(self) -> list[int]:
        """Pids of the chart worker processes (empty when rendering in-thread)."""
        pool = getattr(self.renderer, "_pool", None)
        processes = getattr(pool, "_processes", None) or {}
        return sorted(processes)

    def reset_fakes(self) -> None:
        """Forget what the fakes recorded (every PNG is kept there), keeping channels, sends and latency."""
        self.slack.reset()
        self.braze.requests.clear()

    def report_errors(self) -> list[str]:
        """Ephemeral replies and channel messages that carry a ⚠️ (a report that went wrong)."""
        found: list[str] = []
        with self.slack.locked():
            for replies in self.slack.responses.values():
                found += [str(r.get("text", ""))[:160] for r in replies if "⚠️" in str(r.get("text", ""))]
            for messages in self.slack.messages.values():
                found += [str(m.get("text", ""))[:160] for m in messages if "⚠️" in str(m.get("text", ""))]
        return found


def make_settings(slack: SlackFake, braze: SampleBraze, db_path: Path, **extra: Any) -> Settings:
    """The bot's settings pointing at the fakes (no .env file read), as ``tests/harness.py`` makes them."""
    from bot.config import Settings
    from fakes.settings import settings_values

    return Settings(_env_file=None, **settings_values(slack, braze, db_path, **extra))  # type: ignore[call-arg]


@contextmanager
def running_bot(
    *,
    render_processes: int = 1,
    report_workers: int = 8,
    channels: int = 1,
    braze_latency: float = 0.0,
) -> Iterator[BotBench]:
    """Start both fakes and the real bot (as tests/harness.py does); tear everything down afterwards.

    ``render_processes=0`` swaps in ``ChartRenderer(0)`` (draw in the job thread, inside the acking
    process). Settings do not allow 0; it exists here only to compare against the process pool.
    """
    from bot.runtime import build_runtime
    from bot.server import HttpServer, make_wsgi
    from fakes.braze import SampleBraze
    from fakes.settings import BOT_TOKEN, BRAZE_KEY
    from fakes.slack import SlackFake
    from reports.render_pool import ChartRenderer

    with (
        tempfile.TemporaryDirectory(prefix="sendstats-bench-") as tmp,
        SlackFake(token=BOT_TOKEN) as slack,
        SampleBraze(api_key=BRAZE_KEY) as braze,
    ):
        braze.add_send(CAMPAIGN, SEND, days_ago=DAYS_AGO)  # 4 channels x 3 variations (the sample default)
        braze.latency = braze_latency
        names = [f"C_BENCH{i:03d}" for i in range(channels)]
        for name in names:
            slack.add_channel(name, name=name.lower())
        settings = make_settings(
            slack,
            braze,
            Path(tmp) / "sendstats.db",
            render_processes=max(1, render_processes),
            report_workers=report_workers,
        )
        runtime = build_runtime(settings)  # real BrazeClient with its default backoff: no fast_braze()
        if render_processes == 0:
            runtime.renderer = ChartRenderer(0)  # the pool built by build_runtime is lazy: never started
        probe = RenderProbe(runtime.renderer)
        runtime.deps.renderer = probe
        runtime.start()
        server = HttpServer(make_wsgi(runtime.app, lambda: runtime.ready), host="127.0.0.1", port=0)
        server.start_background()
        bench = BotBench(
            url=f"http://127.0.0.1:{server.port}",
            runtime=runtime,
            slack=slack,
            braze=braze,
            server=server,
            renderer=runtime.renderer,
            probe=probe,
            channels=names,
            render_processes=render_processes,
            report_workers=report_workers,
        )
        try:
            yield bench
        finally:
            server.stop()
            runtime.close()


@contextmanager
def bot_process(
    *,
    render_processes: int = 1,
    report_workers: int = 8,
    channels: int = 1,
    extra_env: dict[str, str] | None = None,
    braze_setup: Any = None,
) -> Iterator[BotBench]:
    """The bot as users run it, ``python -m bot`` in its own process, against fakes in this process.

    Slack and Braze are remote in production; here their fakes' CPU stays out of the bot's process, so
    the bot's GIL sees only the bot's own work. ``extra_env`` overrides settings; ``braze_setup(braze)``
    runs on the sample Braze server before the bot starts.
    """
    import os
    import socket
    import subprocess
    import sys

    from fakes.braze import SampleBraze
    from fakes.settings import BOT_TOKEN, BRAZE_KEY
    from fakes.slack import SlackFake

    repo = Path(__file__).resolve().parent.parent
    with (
        tempfile.TemporaryDirectory(prefix="sendstats-bench-") as tmp,
        SlackFake(token=BOT_TOKEN) as slack,
        SampleBraze(api_key=BRAZE_KEY) as braze,
    ):
        braze.add_send(CAMPAIGN, SEND, days_ago=DAYS_AGO)
        if braze_setup is not None:
            braze_setup(braze)
        names = [f"C_BENCH{i:03d}" for i in range(channels)]
        for name in names:
            slack.add_channel(name, name=name.lower())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRAZE_", "DATABASE_URL"))}
        env.update(
            PYTHONPATH=str(repo),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
            BRAZE_API_KEY=BRAZE_KEY,
            BRAZE_REST_ENDPOINT=braze.url,
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'sendstats.db'}",
            PORT=str(port),
            SCHEDULER="off",
            LOG_LEVEL="WARNING",
            RENDER_PROCESSES=str(render_processes),
            REPORT_WORKERS=str(report_workers),
        )
        env.update(extra_env or {})
        log = (Path(tmp) / "bot.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=tmp, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"bot did not start:\n{(Path(tmp) / 'bot.log').read_text()}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            yield BotBench(url, None, slack, braze, None, None, None, names, render_processes, report_workers)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()


# -- sending signed slash commands ---------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One ``/sendstats`` invocation to send."""

    text: str
    channel: str
    response_url: str


@dataclass(frozen=True)
class Ack:
    """What the client saw: when it sent, how long until the full HTTP response, and the response."""

    sent_at: float  # wall clock (time.time), comparable across processes on this machine
    seconds: float  # perf_counter from the request's first byte (incl. connect) to the response body read
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status == 200 and (b"Fetching" in self.body or b"sendstats help" in self.body)


def post_command(url: str, command: Command, secret: str = SIGNING_SECRET) -> Ack:
    """POST one signed slash command over a fresh connection (as Slack does) and time it client-side.

    Plain ``http.client`` rather than ``httpx.post``: the latter builds an SSL context per call, ~10 ms
    of CPU that would land inside the measurement (and, in-process, on the bot's GIL).
    """
    from fakes.signing import FORM, sign, slash_command_body

    body = slash_command_body(command.text, channel_id=command.channel, response_url=command.response_url)
    headers = {"Content-Type": FORM, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
    headers.update(sign(body, secret))
    parts = urlsplit(url)
    sent_at = time.time()
    start = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return Ack(sent_at, time.perf_counter() - start, response.status, data)
    finally:
        conn.close()


def _fire(url: str, commands: Sequence[Command], threads: int, spread: float, seed: int) -> list[Ack]:
    """In the client process: ``threads`` threads send their share back to back, with a random 0..spread s
    pause between two of a thread's commands. Returns acks in command order."""
    results: list[Ack | None] = [None] * len(commands)
    barrier = threading.Barrier(threads)

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        barrier.wait()
        for position in range(index, len(commands), threads):
            if position >= threads and spread:
                time.sleep(rng.uniform(0, spread))
            try:
                results[position] = post_command(url, commands[position])
            except OSError as exc:
                results[position] = Ack(time.time(), math.inf, 0, repr(exc).encode())

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return [ack for ack in results if ack is not None]


class LoadClient:
    """Sends bursts of commands from a separate process, as Slack would be.

    Client threads in the bot's own process would take the bot's GIL and skew the very latency measured.
    """

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self._seed = 0

    def __enter__(self) -> LoadClient:
        self._pool.submit(time.time).result(timeout=60)  # start the process before anything is timed
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)

    def fire(self, url: str, commands: Sequence[Command], *, threads: int, spread: float = 0.0) -> list[Ack]:
        self._seed += 1
        return self._pool.submit(_fire, url, list(commands), threads, spread, self._seed).result(timeout=300)


def commands_for(bench: BotBench, days: Sequence[int], *, first_channel: int = 0) -> list[Command]:
    """One command per entry of ``days``, each in its own channel (round-robin over the bench's channels).

    Separate channels keep the bot's per-channel pacer (1 message/s) out of the figures.
    """
    out = []
    for i, n in enumerate(days):
        channel = bench.channels[(first_channel + i) % len(bench.channels)]
        out.append(Command(f"{CAMPAIGN} {SEND} {n}", channel, bench.slack.new_response_url()))
    return out


def run_batch(bench: BotBench, client: LoadClient, days: Sequence[int], *, threads: int, timeout: float = 120) -> None:
    """Send one report per entry of ``days``, wait for every chart, check each report, reset the fakes."""
    acks = client.fire(bench.url, commands_for(bench, days), threads=threads)
    bad = [a for a in acks if not a.ok]
    if bad:
        raise RuntimeError(f"{len(bad)} commands were not acked: {bad[0].status} {bad[0].body[:200]!r}")
    bench.slack.wait_for(UPLOAD_DONE, count=len(days), timeout=timeout)
    errors = bench.report_errors()
    if errors:
        raise RuntimeError(f"{len(errors)} reports went wrong, e.g. {errors[0]}")
    bench.reset_fakes()


# -- figures -------------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (same rule as bench/bench_render.py): always a real observation."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table; floats with one decimal, first column left-aligned."""

    def cell(value: Any) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )

    return "\n".join([line(headers), "-+-".join("-" * w for w in widths), *(line(r) for r in cells)])


@dataclass
class Rss:
    """Resident set size of one process, from /proc/<pid>/status (kB as the kernel reports them)."""

    pid: int
    rss_kb: int
    anon_kb: int
    hwm_kb: int
    fields: dict[str, int] = field(default_factory=dict)

    @property
    def rss_mb(self) -> float:
        return self.rss_kb / 1024

    @property
    def anon_mb(self) -> float:
        return self.anon_kb / 1024


def read_rss(pid: int) -> Rss:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            values[key] = int(rest.split()[0])
    return Rss(pid, values["VmRSS"], values.get("RssAnon", 0), values.get("VmHWM", 0), values)


def settle() -> None:
    """Let the last job threads return and collect garbage before a memory reading."""
    time.sleep(0.3)
    gc.collect()


def machine_note() -> str:
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    return f"nproc {len(os.sched_getaffinity(0))} ({cpu}), Python {platform.python_version()}"
