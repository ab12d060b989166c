"""Rounds with random SIGKILLs: how many digests are lost or doubled; a script, not a test.

Run from the repository root::

    python -m bench.bench_faults                       # SQLite in a temp file
    python -m bench.bench_faults --postgres            # a throwaway database on 127.0.0.1:5432
    python -m bench.bench_faults --kills 20 --subscriptions 200 --seed 7

A round of ``--subscriptions`` digests (each in its own channel, over ``--sends`` sends) is run as
``python -m bot digest`` processes; each is SIGKILLed (its whole process group, as a container runtime
does) after a random time, and a new one started at once, ``--kills`` times; then the last one runs to
its end. Every Slack write lands at once but its answer comes 50 ms later, so kills often fall between
a post landing and the bot recording it, the window that used to double digests.

Counted from the Slack fake's record, not from our tables: a digest is *lost* when its (channel, day)
has no message, *doubled* for each message beyond the first; charts likewise. The lease is shortened to
``--lease`` seconds so reruns take dead processes' digests over quickly.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import machine_note, table

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--sends", type=int, default=20)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from bot import db
    from digests.store import Store, make_engine
    from fakes.braze import SampleBraze
    from fakes.settings import BOT_TOKEN, BRAZE_KEY, CAMPAIGN, SIGNING_SECRET
    from fakes.slack import SlackFake
    from handlers.flows.digest_posting import CHART_EVENT_TYPE, EVENT_TYPE

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    admin = None
    if args.postgres:
        name = f"sendstats_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(
            PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    store = Store(make_engine(url))
    db.upgrade(store.engine)
    with SlackFake(token=BOT_TOKEN) as slack, SampleBraze(api_key=BRAZE_KEY) as braze:
        channels = []
        for n in range(args.sends):
            braze.add_send(CAMPAIGN, f"send-b{n}", days_ago=5 + n % 7)
        for n in range(args.subscriptions):
            channel = f"C_B{n:04d}"
            slack.add_channel(channel)
            send = braze.sends[(CAMPAIGN, f"send-b{n % args.sends}")]
            store.subscriptions.upsert(
                team_id="T1", channel_id=channel, kind="send", object_id=CAMPAIGN, send_id=send.send_id, hour=0,
                minute=0, timezone="UTC", created_by="U1", first_day=send.first_day,
                ends_on=send.first_day + timedelta(days=14), now=datetime.now(UTC) - timedelta(days=3),
            )
            channels.append(channel)
        for method in ("chat.postMessage", "files.completeUploadExternal"):
            slack.answer_late(method, 0.05, times=10 * args.subscriptions)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRAZE_", "DATABASE_URL", "DIGEST_"))}
        env.update(
            PYTHONPATH=str(REPO),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
            BRAZE_API_KEY=BRAZE_KEY,
            BRAZE_REST_ENDPOINT=braze.url,
            DATABASE_URL=url,
            SCHEDULER="off",
            RENDER_PROCESSES="1",
            LOG_LEVEL="WARNING",
            DIGEST_LEASE_SECONDS=str(args.lease),
            DIGEST_WAIT_SECONDS="120",
        )

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "bot", "digest"],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

        def digests() -> Counter[str]:
            found: Counter[str] = Counter()
            with slack.locked():
                for channel, messages in slack.messages.items():
                    for message in messages:
                        if (message.get("metadata") or {}).get("event_type") == EVENT_TYPE:
                            found[channel] += 1
            return found

        began = time.monotonic()
        kills, finished_early = 0, 0
        while kills < args.kills:
            proc = start()
            time.sleep(rng.uniform(1.5, 6.0))  # start-up takes ~1.5 s; a round of 200 about 10 s
            if proc.poll() is not None:
                finished_early += 1
                if len(digests()) == len(channels):
                    break
                continue
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
        reruns = 0
        while True:
            reruns += 1
            final = subprocess.run(
                [sys.executable, "-m", "bot", "digest"], env=env, cwd=tmp, capture_output=True, text=True, timeout=600
            )
            if final.returncode == 0 or reruns >= 3:
                break
        elapsed = time.monotonic() - began
        posted = digests()
        with slack.locked():  # a chart in a channel: a reply showing the shared upload, or a file shared there
            charts = Counter(f.channel for f in slack.files if f.channel)
            for channel, messages in slack.messages.items():
                for message in messages:
                    if (message.get("metadata") or {}).get("event_type") == CHART_EVENT_TYPE:
                        charts[channel] += 1
            private_uploads = sum(1 for f in slack.files if f.channel is None)
        lost = sum(1 for c in channels if posted[c] == 0)
        doubled = sum(n - 1 for n in posted.values() if n > 1)
        charts_doubled = sum(n - 1 for n in charts.values() if n > 1)
        charts_missing = sum(1 for c in channels if charts[c] == 0)
        histories = len(slack.calls_to("conversations.history"))
        replies = len(slack.calls_to("conversations.replies"))
    store.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{args.subscriptions} subscriptions over {args.sends} sends, {backend}, "
        f"lease {args.lease:g} s, seed {args.seed}"
    )
    print(
        table(
            [
                "SIGKILLs",
                "rounds ended before a kill",
                "final reruns",
                "lost digests",
                "doubled digests",
                "charts missing",
                "doubled charts",
                "shared uploads (distinct charts)",
                "history lookups",
                "thread lookups",
                "wall s",
            ],
            [
                [
                    kills,
                    finished_early,
                    reruns,
                    lost,
                    doubled,
                    charts_missing,
                    charts_doubled,
                    f"{private_uploads} ({args.sends})",
                    histories,
                    replies,
                    f"{elapsed:.0f}",
                ]
            ],
        )
    )
    print(f"final run exit {final.returncode}: {final.stdout.strip()}")
    print(machine_note())
    return 0 if lost == doubled == charts_doubled == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
