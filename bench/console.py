"""Benchmark: the staff console under concurrent staff sessions, on the production server.

Starts a PostgreSQL (scripts/pg-temp.sh) unless --database-url is given, builds
the demo utility (default 100,000 accounts) unless --no-build, starts
``ratepayer serve`` with RATEPAYER_DEBUG unset (gunicorn + WhiteNoise) on a
free loopback port, signs in N staff sessions (each its own session cookie and
keep-alive connection, as a browser tab) and lets each work as a clerk does:
search (account numbers, last names, "first last", street addresses, prefixes),
think, open an account from what was found, think — for a bounded time. Then
it raises the number of sessions and shortens the think time step by step and
reports, per step, p50/p95/p99 latency, errors and requests per second, and
the first step at which p95 passes the target (150 ms).

Prints one JSON object. Loopback only; every step is bounded in time.

    .venv/bin/python bench/console.py [--accounts 100000] [--database-url URL --no-build]
        [--duration 60] [--steps 50:1.0,100:0.5,150:0.25,200:0.1,200:0]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_FERNET_KEY = "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE="  # demo data only
SECRET = "bench-console-secret-key-not-for-production-0123456789abcdef"
TARGET_P95_MS = 150.0
RATEPAYER = [sys.executable, "-m", "ratepayer.cli"]

SAMPLE = """
import json, random, django
django.setup()
from ratepayer.customers.models import Account, Customer, Premise
from ratepayer.demo.builder import DEMO_PASSWORD
rng = random.Random({seed})
def sample(qs, k):
    ids = list(qs.values_list("pk", flat=True))
    return list(qs.model.objects.filter(pk__in=rng.sample(ids, min(k, len(ids)))))
people = sample(Customer.objects.filter(kind="person"), 300)
queries = [a.number for a in sample(Account.objects.all(), 300)]
queries += [c.last_name for c in people[:150]] + [f"{{c.first_name}} {{c.last_name}}" for c in people[150:]]
queries += [" ".join(p.line1.split()[:2]) for p in sample(Premise.objects.all(), 200)]
queries += [q[:5] for q in queries[:100]]
rng.shuffle(queries)
print(json.dumps({{"queries": queries, "password": DEMO_PASSWORD, "accounts": Account.objects.count()}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)

    def pick(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] * 1000, 1)

    return {"n": len(ordered), "p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "max_ms": round(ordered[-1] * 1000, 1)}


class Session:
    """One signed-in staff member: a cookie jar and a keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, dict]:
        headers = {"Host": self.host, "X-Forwarded-Proto": "https", "Referer": f"https://{self.host}/login/",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{self.host}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed a keep-alive connection: open another, once
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, dict(response.getheaders())

    def sign_in(self, username: str, password: str) -> None:
        status, body, _ = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or token is None:
            raise SystemExit(f"sign-in page: HTTP {status}")
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": token.group(1).decode()})
        status, body, headers = self.request("POST", "/login/", form)
        if status != 302 or "/login/" in headers.get("Location", "/login/"):
            raise SystemExit(f"sign-in refused: HTTP {status} {body[:300]!r}")


def run_step(port: int, sessions: list[Session], queries: list[str], think: float, duration: float,
             seed: int) -> dict:
    latencies: dict[str, list[float]] = {"search": [], "account": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    account_link = re.compile(rb'href="/accounts/(\d+)/"')

    def clerk(i: int, session: Session) -> None:
        rng = random.Random(seed * 1000 + i)
        time.sleep(rng.random() * max(think, 0.05))  # people do not all press Enter at once
        while time.monotonic() < stop_at:
            query = rng.choice(queries)
            started = time.perf_counter()
            try:
                status, body, _ = session.request("GET", "/search/?" + urllib.parse.urlencode({"q": query, "go": "0"}))
            except Exception as exc:  # counted, reported
                status, body = 0, repr(exc).encode()
            elapsed = time.perf_counter() - started
            with lock:
                latencies["search"].append(elapsed)
                if status != 200:
                    errors.append(f"search {status}")
            found = account_link.findall(body) if status == 200 else []
            time.sleep(think * (0.5 + rng.random()))
            if not found or time.monotonic() >= stop_at:
                continue
            number = rng.choice(found[:10]).decode()
            started = time.perf_counter()
            try:
                status, _, _ = session.request("GET", f"/accounts/{number}/")
            except Exception:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies["account"].append(elapsed)
                if status != 200:
                    errors.append(f"account {status}")
            time.sleep(think * (0.5 + rng.random()))

    started = time.monotonic()
    threads = [threading.Thread(target=clerk, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 120)
    wall = time.monotonic() - started
    every = latencies["search"] + latencies["account"]
    summary = percentiles(every)
    return {"sessions": len(sessions), "think_seconds": think, "duration_s": round(wall, 1),
            "requests": len(every), "requests_per_s": round(len(every) / wall, 1), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5], "all": summary, "search": percentiles(latencies["search"]),
            "account_page": percentiles(latencies["account"]), "load_average_1m": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="a PostgreSQL database (default: start one here)")
    parser.add_argument("--no-build", action="store_true", help="use the demo already in --database-url")
    parser.add_argument("--months", type=int, default=None, help="months of demo history (default: the demo's)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per step")
    parser.add_argument("--steps", default="50:1.0,100:0.5,150:0.25,200:0.1,200:0",
                        help="sessions:think-seconds per step, the first being the clerk's pace")
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("RATEPAYER_WEB_WORKERS", 2)))
    parser.add_argument("--web-threads", type=int, default=int(os.environ.get("RATEPAYER_WEB_THREADS", 8)))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.no_build and not args.database_url:
        parser.error("--no-build needs --database-url")
    steps = [(int(s.split(":")[0]), float(s.split(":")[1])) for s in args.steps.split(",")]

    scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-console-"))
    pg_dir = None
    url = args.database_url
    if not url:
        pg_dir = scratch / "pg"
        url = subprocess.run(["bash", str(ROOT / "scripts" / "pg-temp.sh"), "start", str(pg_dir), str(free_port())],
                             check=True, capture_output=True, text=True).stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATEPAYER_")}
    env.update({"RATEPAYER_DATABASE_URL": url, "RATEPAYER_FIELD_ENCRYPTION_KEY": BENCH_FERNET_KEY,
                "RATEPAYER_VAR_DIR": str(scratch), "PYTHONPATH": str(ROOT / "src"),
                "DJANGO_SETTINGS_MODULE": "ratepayer.settings"})
    server = None
    try:
        build_seconds = None
        if not args.no_build:
            started = time.perf_counter()
            build_env = {**env, "RATEPAYER_DEBUG": "1"}
            subprocess.run([*RATEPAYER, "migrate", "-v", "0"], env=build_env, check=True, cwd=ROOT)
            months = [] if args.months is None else ["--months", str(args.months)]
            subprocess.run([*RATEPAYER, "demo", "--reset", "--accounts", str(args.accounts), "--seed", str(args.seed),
                            *months],
                           env=build_env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            build_seconds = round(time.perf_counter() - started, 1)
        production = {**env, "RATEPAYER_SECRET_KEY": SECRET, "RATEPAYER_ALLOWED_HOSTS": "127.0.0.1",
                      "RATEPAYER_FORWARDED_ALLOW_IPS": "127.0.0.1", "RATEPAYER_WEB_WORKERS": str(args.web_workers),
                      "RATEPAYER_WEB_THREADS": str(args.web_threads),
                      "RATEPAYER_LOGIN_FAILURE_LIMIT": "1000"}
        subprocess.run([*RATEPAYER, "shell", "-c", "from django.db import connection; connection.cursor().execute('ANALYZE')"],
                       env=production, check=True, cwd=ROOT, capture_output=True)
        sampled = subprocess.run([sys.executable, "-c", SAMPLE.format(seed=args.seed)], env=production, check=True,
                                 cwd=ROOT, capture_output=True, text=True).stdout
        facts = json.loads(sampled.strip().splitlines()[-1])
        queries, accounts = facts["queries"], facts["accounts"]
        port = free_port()
        server = subprocess.Popen([*RATEPAYER, "serve", "--addrport", f"127.0.0.1:{port}"], env=production, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=(scratch / "serve.log").open("w"),
                                  start_new_session=True)
        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (scratch / "serve.log").read_text()[-2000:]
                    raise SystemExit(f"ratepayer serve did not start: {log}") from None
                time.sleep(0.3)
        most = max(n for n, _ in steps)
        sessions = []
        for _ in range(most):
            session = Session(port)
            session.sign_in("specialist", facts["password"])
            sessions.append(session)
        # warm every web worker's caches and connections
        run_step(port, sessions[:10], queries, 0.0, 5.0, args.seed)
        results = []
        passed_at = None
        for i, (count, think) in enumerate(steps):
            result = run_step(port, sessions[:count], queries, think, args.duration, args.seed + i)
            results.append(result)
            if passed_at is None and result["all"].get("p95_ms", 0) > TARGET_P95_MS:
                passed_at = result
        clerk = results[0]
        print(json.dumps({
            "benchmark": "console",
            "server": f"gunicorn {args.web_workers} workers x {args.web_threads} threads, WhiteNoise, DEBUG off",
            "database": "postgresql",
            "accounts": int(accounts),
            "build_seconds": build_seconds,
            "target_p95_ms": TARGET_P95_MS,
            "clerk_pace": {"sessions": clerk["sessions"], "think_seconds": clerk["think_seconds"],
                           "p95_ms": clerk["all"].get("p95_ms"), "errors": clerk["errors"],
                           "meets_target": clerk["errors"] == 0 and clerk["all"].get("p95_ms", 1e9) <= TARGET_P95_MS},
            "p95_passes_target_at": None if passed_at is None else {
                "sessions": passed_at["sessions"], "think_seconds": passed_at["think_seconds"],
                "requests_per_s": passed_at["requests_per_s"], "p95_ms": passed_at["all"]["p95_ms"]},
            "max_requests_per_s_under_target": max(
                (r["requests_per_s"] for r in results if r["all"].get("p95_ms", 1e9) <= TARGET_P95_MS), default=None),
            "steps": results,
            "cpus": os.cpu_count(),
            "note": "client threads, server and PostgreSQL share this machine's CPUs",
        }, indent=2))
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if pg_dir is not None:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg-temp.sh"), "stop", str(pg_dir)], check=False)


if __name__ == "__main__":
    main()
