"""Ballot intake over HTTP with concurrent clients, against a plain one-INSERT view under the same load.

Both sides are served by the same gunicorn (the platform's WSGI application with the floors'
URLs added, ``bench.settings``) and driven by the same load generator: ``CLIENTS`` threads, each
posting as fast as answers come back, for ``seconds`` or until the voting codes run out. The
platform side is the API's online ballot with a voting code (``POST /api/v1/votes/{id}/ballots/``),
each simulated voter from a client address of its own; the floor inserts one row per request.

The time the vote row is locked per ballot is measured in-process: from the start of the statement
that locks the vote (``… FOR UPDATE``; for an online ballot the same statement writes it) to the
commit that releases it, over ballots cast one after the other through the same service.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from bench.generate import District, user_with_role
from bench.measure import Figure
from elections import services
from elections.models import Ballot, Vote, VoteKind, VoteStatus
from governance.models import Place
from governance.scoping import SYSTEM

CLIENTS = 12
RATE_TARGET = 0.40
LOCK_TARGET = 0.002
ROOT = Path(__file__).resolve().parents[2]


def open_vote(estate: Place, title: str) -> tuple[Vote, list[str]]:
    """A resolution vote of ``estate`` open for voting now, with a voting code for every counted owner."""
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        kind=VoteKind.RESOLUTION,
        title=title,
        matter=9,
        opens_at=now - datetime.timedelta(minutes=5),
        closes_at=now + datetime.timedelta(days=1),
        actor=SYSTEM,
    )
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=now - datetime.timedelta(days=30))
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM)
    codes = [code for _entry, code in services.voting_codes_issue(vote=Vote.objects.get(pk=vote.pk), actor=SYSTEM)]
    return Vote.objects.get(pk=vote.pk), codes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Server:
    """gunicorn serving the platform and the floors on a loopback port, with this process's keys and database."""

    def __init__(self, workers: int = 4):
        self.port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": _database_url(),
            "SECRET_KEY": settings.SECRET_KEY,
            "PII_KEYS": ",".join(settings.PII_KEYS),
            "PII_HASH_KEY": settings.PII_HASH_KEY,
            "DEBUG": "0",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def __enter__(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/bench/floor/insert/")
                conn.getresponse().read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def load(port: int, path: str, bodies: list[bytes], headers: dict, seconds: float, clients: int = CLIENTS) -> dict:
    """Post ``bodies`` (each once) from ``clients`` threads for at most ``seconds``; count the answers."""
    lock = threading.Lock()
    queue = iter(enumerate(bodies))
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    salt = random.randrange(256)  # a fresh block of addresses per run: the attempt counters last an hour

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            n, body = item
            # A client address of its own for each voter (trusted from the loopback proxy).
            forwarded = f"10.{salt}.{n >> 8 & 255}.{n & 255}"
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={**headers, "X-Forwarded-For": forwarded})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {
        "ok": ok,
        "statuses": statuses,
        "seconds": elapsed,
        "rate": ok / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "latencies": latencies,
    }


def _combined(runs: list[dict]) -> dict:
    """Several runs of ``load`` as one: answers and time added, the rate and the median latency over the whole."""
    statuses: dict[int, int] = {}
    for run in runs:
        for status, n in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    ok, seconds = sum(r["ok"] for r in runs), sum(r["seconds"] for r in runs)
    latencies = [t for r in runs for t in r.pop("latencies")]
    return {
        "ok": ok,
        "statuses": statuses,
        "seconds": seconds,
        "rate": ok / seconds if seconds else 0.0,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
    }


def _floor_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert_floor "
            "(id bigserial PRIMARY KEY, vote_id bigint NOT NULL, choice varchar(8) NOT NULL, body jsonb NOT NULL, "
            "at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute("TRUNCATE bench_insert_floor")


class LockTimer:
    """Measure how long each transaction holds the vote row: from its ``FOR UPDATE`` to the commit."""

    def __init__(self):
        self.held: list[float] = []
        self.queries: list[int] = []
        self._since = None
        self._count = 0

    def __call__(self, execute, sql, params, many, context):
        self._count += 1
        if self._since is None and "FOR UPDATE" in sql and '"elections_vote"' in sql.split("FOR UPDATE")[0][-400:]:
            self._since = time.perf_counter()
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        original = connection.commit

        def commit():
            original()
            if self._since is not None:
                self.held.append(time.perf_counter() - self._since)
                self._since = None

        self._original_commit, connection.commit = original, commit
        return self

    def __exit__(self, *exc):
        connection.commit = self._original_commit
        self._wrapper.__exit__(*exc)

    def ballot_done(self):
        self.queries.append(self._count)
        self._count = 0


def _locked_insert(vote: Vote) -> float:
    """The floor of any serialised append: lock the vote's row, insert one row, commit; return the seconds held.

    What no design that gives a vote's ballots one order under a row lock can go below: one
    statement that takes the lock and inserts (as the platform's online ballot does), and the
    commit's flush of the write-ahead log to disk.
    """
    connection.ensure_connection()
    raw = connection.connection  # psycopg's own: the platform's LockTimer does not see this transaction
    with raw.cursor() as cursor:
        started = time.perf_counter()
        with raw.transaction():
            cursor.execute(
                'WITH lk AS (SELECT "id" FROM "elections_vote" WHERE "id" = %s FOR UPDATE) '
                "INSERT INTO bench_insert_floor (vote_id, choice, body) SELECT lk.id, %s, %s FROM lk",
                [vote.pk, "for", "{}"],
            )
        return time.perf_counter() - started


def lock_time(vote: Vote, codes: list[str]) -> dict:
    """Cast ``codes`` one after the other in-process, each followed by the floor's locked insert; the median
    time the vote row was held by each, and the platform's queries per ballot."""
    floor = []
    with LockTimer() as timer:
        for n, code in enumerate(codes):
            services.ballot_cast(
                vote=vote, channel="online", actor=SYSTEM, voting_code=code, choice="for", client=f"lock-{n}"
            )
            timer.ballot_done()
            floor.append(_locked_insert(vote))
    return {
        "lock_ms": statistics.median(timer.held) * 1000 if timer.held else None,
        "floor_ms": statistics.median(floor) * 1000 if floor else None,
        "queries": statistics.median(timer.queries) if timer.queries else None,
    }


def intake(world: District, seconds: float, scale: float) -> list[Figure]:
    """Ballots per second through HTTP (12 clients) against the one-INSERT floor; the vote row's lock time."""
    estate = world.estate
    voter = user_with_role("bench_voter", "resident", estate)
    token = Token.objects.get_or_create(user=voter)[0].key
    vote, codes = open_vote(estate, f"基准投票 {timezone.now():%Y%m%d%H%M%S}")
    lock_codes, http_codes = codes[:50], codes[50:]
    _floor_table()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    bodies = [json.dumps({"channel": "online", "choice": "for", "voting_code": c}).encode() for c in http_codes]
    floor_bodies = [json.dumps({"vote": vote.pk, "choice": "for", "voting_code": c}).encode() for c in http_codes]
    with Server() as server:
        # In turns (platform, floor, platform, floor), half the time each, so that a load drift hits both alike.
        half = len(bodies) // 2
        runs = [
            load(server.port, path, part, headers, seconds / 2)
            for path, part in (
                (f"/api/v1/votes/{vote.pk}/ballots/", bodies[:half]),
                ("/bench/floor/insert/", floor_bodies[:half]),
                (f"/api/v1/votes/{vote.pk}/ballots/", bodies[half:]),
                ("/bench/floor/insert/", floor_bodies[half:]),
            )
        ]
        ours, floor = _combined(runs[0::2]), _combined(runs[1::2])
    cast = Ballot.objects.filter(vote=vote).count()
    locked = lock_time(vote, lock_codes)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_insert_floor")
    return [
        Figure(
            key="ballot_intake",
            title=f"ballot intake over HTTP, online with voting code, {CLIENTS} clients (gunicorn, 4 workers)",
            platform=ours["rate"],
            floor=floor["rate"],
            floor_title="a plain view doing one INSERT per request, same server and load",
            target=RATE_TARGET,
            rate=True,
            notes=(
                f"p50 {ours['p50_ms']:.0f} ms against {floor['p50_ms']:.0f} ms; {cast:,} ballots accepted; "
                f"answers {ours['statuses']}"
            ),
            extra={"platform": ours, "floor": floor, "ballots": cast},
        ),
        Figure(
            key="ballot_lock",
            title="the vote row locked per ballot (FOR UPDATE to commit), median",
            platform=(locked["lock_ms"] or 0) / 1000,
            floor=(locked["floor_ms"] or 0) / 1000 or None,
            floor_title=(
                "one statement locking the row and inserting one row, commit (the least a serialised append holds it)"
            ),
            limit=LOCK_TARGET,
            notes=f"{locked['queries']:.0f} queries per ballot",
            extra=locked,
        ),
    ]
