"""Mixed hostile load on the real bot process; a script, not a test.

Run from the repository root::

    python -m bench.bench_hostile                  # 300 clients, 10% of them on a hung Braze send
    python -m bench.bench_hostile --clients 100 --hung-share 0.2

The bot runs as ``python -m bot`` (its defaults: REPORT_WORKERS=4, one render process, SQLite); the fakes run
in this process and answer Braze in ``--latency`` seconds, except for one send whose ``/sends/data_series``
never answers (the sample server's ``hang`` mode). A separate client process starts ``--clients`` threads at
once, each sending one signed request over a fresh connection:

* reports of the healthy send (each in its own channel, so Slack pacing stays out of the figures);
* reports of the hung send;
* ``subscribe`` (a Braze check, a store write, a confirmation in the channel), ``list`` and ``help``;
* malformed input (bad JSON, a string payload, invalid UTF-8, block actions without actions, a bad timestamp).

It prints ack latency, answers that were not 2xx (expected and not), healthy reports delivered and their
time to chart (POST sent to the chart's share recorded by the Slack fake), the hung reports' outcome, and the
bot's RSS. Latency is measured client-side, from the first byte sent to the response read.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.common import SIGNING_SECRET, UPLOAD_DONE, machine_note, percentile, read_rss, table

CAMPAIGN, SEND, HUNG = "cmp-spring", "send-0001", "send-hung"
KINDS = ("report", "hung report", "subscribe", "list", "help", "malformed")


@dataclass(frozen=True)
class Request:
    kind: str
    body: bytes
    content_type: str
    channel: str
    bad_timestamp: bool = False


@dataclass(frozen=True)
class Answer:
    kind: str
    channel: str
    sent_at: float
    seconds: float
    status: int


def malformed_bodies() -> list[tuple[bytes, str]]:
    from fakes.signing import FORM, JSON, block_actions_payload

    empty_actions = {**block_actions_payload("sendstats_rerun_7"), "actions": []}
    return [
        (b"{not json", JSON),
        (b"payload=%7Bnot+json", FORM),
        (b"text=\xff\xfe&command=%2Fsendstats", FORM),
        (b"[1, 2]", JSON),
        (urlencode({"payload": json.dumps("just a string")}).encode(), FORM),
        (urlencode({"payload": json.dumps(empty_actions)}).encode(), FORM),
        (b"[" * 100_000, JSON),
    ]


def plan(clients: int, hung_share: float, new_url: Callable[[], str], seed: int = 1) -> list[Request]:
    """The requests, in a shuffled order: ``hung_share`` hung reports, the rest spread over the other kinds."""
    from fakes.signing import FORM, slash_command_body

    rng = random.Random(seed)
    hung = round(clients * hung_share)
    rest = clients - hung
    shares = {"report": 0.4, "subscribe": 0.15, "list": 0.15, "help": 0.1, "malformed": 0.2}
    counts = {kind: int(rest * share) for kind, share in shares.items()}
    counts["report"] += rest - sum(counts.values())
    counts["hung report"] = hung
    bad = malformed_bodies()
    requests = []
    for kind, count in counts.items():
        for n in range(count):
            channel = f"C_{kind.replace(' ', '_').upper()}_{n:03d}"
            user = f"U_{kind.replace(' ', '_').upper()}_{n:03d}"
            text = {
                "report": f"{CAMPAIGN} {SEND} 14",
                "hung report": f"{CAMPAIGN} {HUNG} 14",
                "subscribe": f"subscribe {CAMPAIGN} {SEND}",
                "list": "list",
                "help": "help",
            }.get(kind)
            if text is None:
                if n % (len(bad) + 1) == len(bad):
                    body = slash_command_body("help", channel_id=channel, user_id=user, response_url=new_url())
                    requests.append(Request(kind, body, FORM, channel, bad_timestamp=True))
                else:
                    body, content_type = bad[n % (len(bad) + 1)]
                    requests.append(Request(kind, body, content_type, channel))
                continue
            body = slash_command_body(text, channel_id=channel, user_id=user, response_url=new_url())
            requests.append(Request(kind, body, FORM, channel))
    rng.shuffle(requests)
    return requests


def _send(port: int, request: Request) -> Answer:
    from fakes.signing import sign

    headers = {"Content-Type": request.content_type, **sign(request.body, SIGNING_SECRET)}
    if request.bad_timestamp:
        headers["X-Slack-Request-Timestamp"] = "soon"
    sent_at = time.time()
    start = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/slack/events", body=request.body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return Answer(request.kind, request.channel, sent_at, time.perf_counter() - start, response.status)
    except OSError:
        return Answer(request.kind, request.channel, sent_at, time.perf_counter() - start, 0)


def _fire(port: int, requests: list[Request]) -> list[Answer]:
    """In the client process: one thread per request, all released at once."""
    answers: list[Answer | None] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def worker(i: int) -> None:
        barrier.wait()
        answers[i] = _send(port, requests[i])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [a for a in answers if a is not None]


def start_bot(slack_url: str, braze_url: str, tmp: Path, repo: Path) -> tuple[subprocess.Popen[bytes], int]:
    from fakes.settings import BOT_TOKEN, BRAZE_KEY

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRAZE_", "DATABASE_URL", "REPORT_"))}
    env.update(
        PYTHONPATH=str(repo),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_url,
        BRAZE_API_KEY=BRAZE_KEY,
        BRAZE_REST_ENDPOINT=braze_url,
        DATABASE_URL=f"sqlite:///{tmp / 'sendstats.db'}",
        PORT=str(port),
        SCHEDULER="off",
        LOG_LEVEL="ERROR",
    )
    log = (tmp / "bot.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=tmp, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((tmp / "bot.log").read_text())
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("bot not ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--hung-share", type=float, default=0.1)
    parser.add_argument("--latency", type=float, default=0.3, help="Braze answer time of the healthy send (s)")
    parser.add_argument(
        "--bot-repo", type=Path, default=Path(__file__).resolve().parent.parent,
        help="run the bot from this checkout (e.g. an older commit's worktree, for a before/after figure)",
    )
    parser.add_argument("--wait", type=float, default=180, help="how long to wait for the healthy charts (s)")
    args = parser.parse_args()

    from fakes.braze import SERIES_PATH, SampleBraze
    from fakes.settings import BOT_TOKEN, BRAZE_KEY
    from fakes.slack import SlackFake

    with (
        tempfile.TemporaryDirectory(prefix="sendstats-hostile-") as tmp,
        SlackFake(token=BOT_TOKEN) as slack,
        SampleBraze(api_key=BRAZE_KEY) as braze,
    ):
        braze.add_send(CAMPAIGN, SEND, days_ago=12)
        braze.add_send(CAMPAIGN, HUNG, days_ago=12)
        braze.latency = args.latency
        braze.misbehave("hang", path=SERIES_PATH, send_id=HUNG)
        requests = plan(args.clients, args.hung_share, slack.new_response_url)  # one response_url per command
        for channel in {r.channel for r in requests}:
            slack.add_channel(channel, name=channel.lower())
        proc, port = start_bot(slack.base_url, braze.url, Path(tmp), args.bot_repo)
        try:
            before = read_rss(proc.pid)
            peak = [before.rss_kb]
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.wait(0.2):
                    try:
                        peak.append(read_rss(proc.pid).rss_kb)
                    except (OSError, KeyError):
                        return

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as client:
                client.submit(time.time).result(timeout=60)
                answers = client.submit(_fire, port, requests).result(timeout=600)
            healthy = [a for a in answers if a.kind == "report"]
            sent_at = {a.channel: a.sent_at for a in healthy}
            deadline = time.monotonic() + args.wait
            while time.monotonic() < deadline:
                shares = [c for c in slack.calls_to(UPLOAD_DONE) if c.params.get("channel_id") in sent_at]
                if len(shares) >= len(healthy):
                    break
                time.sleep(0.5)
            hung = [a for a in answers if a.kind == "hung report"]
            hung_told = 0
            deadline = time.monotonic() + 90
            while hung and time.monotonic() < deadline:
                with slack.locked():
                    hung_told = sum(
                        1 for replies in slack.responses.values() for r in replies
                        if "did not finish answering" in str(r.get("text", ""))
                    )
                if hung_told >= len(hung):
                    break
                time.sleep(0.5)
            sampling.set()
            sampler.join()
            after = read_rss(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            stop_seconds = time.monotonic() - stopped

    acks = [a.seconds * 1000 for a in answers if a.status]
    print(f"bench_hostile: {len(answers)} clients at once, {len(hung)} on a hung Braze send; {machine_note()}")
    print(table(
        ["requests", "ack p50 ms", "p99 ms", "max ms", "no answer"],
        [[len(answers), percentile(acks, 50), percentile(acks, 99), max(acks), len(answers) - len(acks)]],
    ))
    rows = []
    for kind in KINDS:
        mine = [a for a in answers if a.kind == kind]
        if not mine:
            continue
        statuses: dict[int, int] = {}
        for a in mine:
            statuses[a.status] = statuses.get(a.status, 0) + 1
        ms = [a.seconds * 1000 for a in mine if a.status]
        non_2xx = sum(n for s, n in statuses.items() if not 200 <= s < 300)
        rows.append([kind, len(mine), percentile(ms, 50), percentile(ms, 99), non_2xx,
                     " ".join(f"{s}×{n}" for s, n in sorted(statuses.items()))])
    print(table(["kind", "n", "ack p50 ms", "p99 ms", "non-2xx", "statuses"], rows))
    times = sorted(c.time - sent_at[c.params["channel_id"]] for c in shares)
    print(table(
        ["healthy reports", "delivered", "to chart p50 s", "p95 s", "max s"],
        [[len(healthy), len(times), percentile(times, 50) if times else 0.0,
          percentile(times, 95) if times else 0.0, max(times) if times else 0.0]],
    ))
    print(f"hung reports told 'did not finish answering' by the deadline: {hung_told} of {len(hung)}")
    print(table(
        ["bot RSS", "before MB", "peak MB", "after MB"],
        [["python -m bot", before.rss_kb / 1024, max(peak) / 1024, after.rss_kb / 1024]],
    ))
    print(f"SIGTERM to exit: {stop_seconds:.1f} s")


if __name__ == "__main__":
    main()
