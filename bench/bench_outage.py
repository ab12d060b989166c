"""Ack times while PostgreSQL restarts or hangs, and how soon ``/healthz`` says ok again; a script, not a test.

Run from the repository root (needs PostgreSQL on 127.0.0.1:5432, user postgres, trust)::

    python -m bench.bench_outage              # 20 of each command per phase
    python -m bench.bench_outage --each 50

The bot runs as ``python -m bot`` (``SCHEDULER=off``, one render process) on a throwaway database that it
reaches through :class:`fakes.tcp_proxy.TcpProxy`. Phases: ``up`` (pass), ``restart`` (every
connection dropped, new ones refused) and ``hang`` (connections accepted, nothing answered, open ones
held). In each, ``--each`` signed ``find``, ``list``, report and options requests are sent one after
another; the table shows the client's time to the whole answer, and how many answers Slack would have
missed (over 3 s, or not HTTP 200). Then the database comes back, and the time until ``/healthz`` answers
200 again is measured (polled every 0.1 s; the bot checks the database every 5 s).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from urllib.parse import urlencode

from bench.common import SIGNING_SECRET, Command, bot_process, machine_note, percentile, post_command, table

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
#: Slack's wait for an ack.
SLACK_WAIT = 3.0


def options_request(url: str, typed: str) -> tuple[float, int]:
    """A signed ``block_suggestion`` for the modal's search box: (seconds, HTTP status)."""
    import httpx

    from fakes.signing import FORM, block_suggestion_payload, sign
    from handlers.layout.catalogue_blocks import TARGET_ACTION

    payload = block_suggestion_payload({"id": "V1", "type": "modal"}, TARGET_ACTION, typed)
    body = urlencode({"payload": json.dumps(payload)}).encode()
    started = time.perf_counter()
    try:
        answer = httpx.post(
            f"{url}/slack/events", content=body, headers={"Content-Type": FORM, **sign(body, SIGNING_SECRET)},
            timeout=10,
        )
    except httpx.TransportError:
        return time.perf_counter() - started, 0
    return time.perf_counter() - started, answer.status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--each", type=int, default=20)
    args = parser.parse_args()

    import httpx
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from bot import db
    from digests.store import make_engine
    from fakes.tcp_proxy import TcpProxy

    admin = create_engine(make_url(PG_ADMIN).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT",
                          poolclass=NullPool)
    name = f"sendstats_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    rows, recovery = [], {}
    try:
        direct = make_url(PG_ADMIN).set(database=name)
        engine = make_engine(direct.render_as_string(hide_password=False))
        db.upgrade(engine)
        engine.dispose()
        with TcpProxy("127.0.0.1", direct.port or 5432) as proxy:
            proxied = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            with bot_process(extra_env={"DATABASE_URL": proxied, "SCHEDULER": "off"}) as bench:
                channel = bench.channels[0]
                for phase in ("up", "restart", "hang"):
                    if phase == "restart":
                        proxy.drop()
                        proxy.set_mode("refuse")
                    elif phase == "hang":
                        proxy.set_mode("pass")
                        time.sleep(6)  # the pool fills with live connections again
                        proxy.set_mode("hang")
                    samples: dict[str, list[tuple[float, int]]] = {"find": [], "list": [], "report": [], "options": []}
                    for _ in range(args.each):
                        for label, words in (("find", "find spring"), ("list", "list"), ("report", "cmp-bench x 7")):
                            ack = post_command(bench.url, Command(words, channel, bench.slack.new_response_url()))
                            samples[label].append((ack.seconds, ack.status))
                        samples["options"].append(options_request(bench.url, "cmp-typed"))
                    for label, got in samples.items():
                        seconds = [s for s, _ in got]
                        missed = sum(1 for s, status in got if s > SLACK_WAIT or status != 200)
                        rows.append((f"{phase}: {label}", len(got), percentile(seconds, 50), percentile(seconds, 99),
                                     max(seconds), missed))
                    if phase != "up":
                        proxy.set_mode("pass")
                        back = time.monotonic()
                        while httpx.get(f"{bench.url}/healthz", timeout=5).status_code != 200:
                            time.sleep(0.1)
                        recovery[phase] = time.monotonic() - back
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(table(["phase: request", "n", "p50 ms", "p99 ms", "max ms", "missed by Slack"],
                [(r[0], r[1], r[2] * 1000, r[3] * 1000, r[4] * 1000, r[5]) for r in rows]))
    for phase, seconds in recovery.items():
        print(f"after {phase}: /healthz 200 again {seconds:.1f} s after the database came back")
    print(machine_note())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
