"""Options requests of the report modal's search box against a 5,000-entry catalogue.

The bot runs as ``python -m bot`` in its own process (scheduler on, so it fills its catalogue from the
sample Braze server's paged lists: 3,500 campaigns and 1,500 Canvases with varied, accented names).
Then signed ``block_suggestion`` requests are sent as Slack sends them while someone types (every
prefix of a word, whole words, several words, accents or not), and the time to the answer is measured
client-side. Targets: p99 under 100 ms, and 0 Braze list calls per search (``find`` included).

    python -m bench.bench_options [--requests 600] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from bench.common import SIGNING_SECRET, bot_process, machine_note, percentile, table

WORDS = (  # noqa: SIM905 (a sentence of words reads better than 36 quoted strings)
    "spring summer autumn winter sale promo launch welcome onboarding newsletter weekly monthly "
    "reminder cart abandoned winback loyalty vip birthday anniversary survey feedback referral "
    "été crème brûlée café déjà vu über straße øresund niño jalapeño façade naïve"
).split()
LIST_PATHS = ("/campaigns/list", "/canvas/list")
VIEW = {"id": "VBENCH", "type": "modal", "callback_id": "sendstats_report_modal", "private_metadata": "{}"}


def entries(campaigns: int, canvases: int, seed: int = 7) -> list[dict[str, Any]]:
    """List entries in Braze's shape with names of 2-5 words (some accented) and varied edit times."""
    rng = random.Random(seed)
    out = []
    for kind, count in (("campaign", campaigns), ("canvas", canvases)):
        for n in range(count):
            name = " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(2, 5))) + f" {n}"
            day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00+00:00"
            out.append({"kind": kind, "id": f"{kind}-{n:05d}", "name": name, "last_edited": day, "tags": []})
    return out


def queries(count: int, seed: int = 3) -> list[str]:
    """What people type: prefixes as they type, whole words, two words, accented and plain forms."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        word = rng.choice(WORDS)
        out += [word[:n] for n in range(1, len(word) + 1)]
        out.append(f"{word} {rng.choice(WORDS)}")
        out.append(word.upper())
    return out[:count]


def signed(body: bytes) -> dict[str, str]:
    import hashlib
    import hmac

    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def options_request(url: str, typed: str) -> tuple[float, int]:
    """One options request; returns (milliseconds, options returned)."""
    payload = {
        "type": "block_suggestion",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "action_id": "sendstats_target",
        "block_id": "sendstats_target",
        "value": typed,
        "view": VIEW,
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
    start = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(f"{url}/slack/events", body, headers), timeout=10) as answer:
        options = json.loads(answer.read()).get("options", [])
    return (time.perf_counter() - start) * 1000, len(options)


def find_command(url: str, words: str) -> int:
    body = urlencode(
        {
            "command": "/sendstats",
            "text": f"find {words}",
            "user_id": "U1",
            "channel_id": "C_BENCH000",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/x",
            "trigger_id": "1.2.3",
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
    with urllib.request.urlopen(urllib.request.Request(f"{url}/slack/events", body, headers), timeout=10) as answer:
        return answer.status


def run(url: str, typed: Sequence[str], threads: int) -> list[tuple[float, int]]:
    results: list[tuple[float, int]] = []
    lock = threading.Lock()
    chunks = [typed[i::threads] for i in range(threads)]

    def worker(chunk: Sequence[str]) -> None:
        for text in chunk:
            sample = options_request(url, text)
            with lock:
                results.append(sample)

    pool = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaigns", type=int, default=3500)
    parser.add_argument("--canvases", type=int, default=1500)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    listed = entries(args.campaigns, args.canvases)
    total = len(listed)

    def setup(braze: Any) -> None:
        braze.listed = listed

    env = {"SCHEDULER": "on", "CATALOGUE_REFRESH_MINUTES": "600"}
    with bot_process(render_processes=1, report_workers=4, extra_env=env, braze_setup=setup) as bench:
        last_name = listed[-1]["name"]
        deadline = time.monotonic() + 120
        while options_request(bench.url, last_name)[1] == 0:  # the refresh stores page by page
            if time.monotonic() > deadline:
                raise SystemExit("the catalogue was not filled within 120 s")
            time.sleep(0.5)
        time.sleep(1.0)
        pages = {p: sum(1 for r in bench.braze.requests if r.path == p) for p in LIST_PATHS}
        bench.braze.requests.clear()

        typed = queries(args.requests)
        run(bench.url, typed[:50], 1)  # warm-up
        rows = []
        for threads in (1, args.threads):
            samples = run(bench.url, typed, threads)
            ms = [s[0] for s in samples]
            empty = sum(1 for s in samples if s[1] == 0)
            rows.append(
                [
                    f"{threads} client thread(s)",
                    len(ms),
                    percentile(ms, 50),
                    percentile(ms, 95),
                    percentile(ms, 99),
                    max(ms),
                    empty,
                ]
            )
        finds = typed[: args.requests // 4]
        for words in finds:
            find_command(bench.url, words)
        searches = 50 + 2 * len(typed) + len(finds)
        list_calls = sum(1 for r in bench.braze.requests if r.path in LIST_PATHS)

    print(f"catalogue: {total:,} entries, filled with {pages} list pages; {machine_note()}")
    print(table(["options requests", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "no options"], rows))
    print(
        f"Braze list calls during {searches:,} searches (options + find): {list_calls} "
        f"({list_calls / searches:.3f} per search)"
    )


if __name__ == "__main__":
    main()
