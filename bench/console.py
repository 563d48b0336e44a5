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

Before the concurrent steps, one session alone (``--single N``) searches and
opens N accounts back to back: the per-request latency with nothing queued,
and the CPU each request costs the web server's processes and, when the
PostgreSQL server is this script's own (or ``--pg-data`` names its data
directory), the database server's processes. CPU per request, not latency,
is what bounds throughput: 2 cores serve at most 2 / (CPU per request)
requests a second, less whatever else the machine runs.

``--sweep 20,35,50,70,100`` runs steps of that many sessions at the clerk's
pace (``--think``, default 1 s) instead of ``--steps``, to find the number of
sessions and the throughput at which p95 passes the target;
``--stop-after-pass`` ends the run at the first step past it. ``--panels``
also fetches what the account page loads by itself once shown
(``hx-trigger="load"`` panels), as a browser does.

Prints one JSON object. Loopback only; every step is bounded in time.

    .venv/bin/python bench/console.py [--accounts 100000 --months 0] [--database-url URL --no-build [--pg-data DIR]]
        [--duration 60] [--warmup 10] [--single 200] [--panels]
        [--steps 50:1.0,100:0.5,150:0.25,200:0.1,200:0 | --sweep 20,35,50,70,100 [--think 1.0] [--stop-after-pass]]
"""

from __future__ import annotations

import argparse
import html
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

    def request(self, method: str, path: str, body: str | None = None,
                extra_headers: dict | None = None) -> tuple[int, bytes, dict]:
        headers = {"Host": self.host, "X-Forwarded-Proto": "https", "Referer": f"https://{self.host}/login/",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(extra_headers or {})}
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


ACCOUNT_LINK = re.compile(rb'href="/accounts/(\d+)/"')
LOAD_PANEL = re.compile(rb'hx-get="([^"]+)" hx-trigger="load"')


def timed_get(session: Session, path: str, headers: dict | None = None) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    try:
        status, body, _ = session.request("GET", path, extra_headers=headers)
    except Exception as exc:  # counted as an error, reported
        status, body = 0, repr(exc).encode()
    return status, body, time.perf_counter() - started


def clerk_round(session: Session, rng: random.Random, queries: list[str], pause, record, panels: bool,
                stop_at: float) -> None:
    """What a clerk does for one caller: search, look, open an account from the
    results, read it (and, with ``panels``, what the page loads by itself)."""
    query = rng.choice(queries)
    status, body, elapsed = timed_get(session, "/search/?" + urllib.parse.urlencode({"q": query, "go": "0"}))
    record("search", elapsed, status)
    found = ACCOUNT_LINK.findall(body) if status == 200 else []
    pause()
    if not found or time.monotonic() >= stop_at:
        return
    number = rng.choice(found[:10]).decode()
    status, body, elapsed = timed_get(session, f"/accounts/{number}/")
    record("account", elapsed, status)
    if panels and status == 200:
        for url in LOAD_PANEL.findall(body):
            status, _, elapsed = timed_get(session, html.unescape(url.decode()), {"HX-Request": "true"})
            record("panel", elapsed, status)
    pause()


# --- CPU of the server's processes (Linux /proc) ----------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[int, int, float] | None:
    """(ppid, process group, CPU seconds incl. reaped children) of one process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[2]), sum(int(f) for f in fields[11:15]) / CLOCK_TICKS


def cpu_seconds(*, group: int | None = None, parent: int | None = None) -> float:
    """CPU seconds used so far by the processes of a process group, or by a
    process and its children (exited ones count through their parent)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        found = _stat(entry)
        if found is None:
            continue
        ppid, pgrp, seconds = found
        if (group is not None and pgrp == group) or (parent is not None and (int(entry) == parent or ppid == parent)):
            total += seconds
    return total


def postmaster_pid(pg_data: Path | None) -> int | None:
    try:
        return int((pg_data / "postmaster.pid").read_text().split()[0]) if pg_data else None
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """CPU seconds of the web server, the database server and this client over an interval."""

    def __init__(self, server_pid: int, pg_pid: int | None):
        self.server_pid, self.pg_pid = server_pid, pg_pid

    def read(self) -> dict:
        return {"web": cpu_seconds(group=self.server_pid),
                "database": cpu_seconds(parent=self.pg_pid) if self.pg_pid else None,
                "client": time.process_time()}

    @staticmethod
    def per_request(before: dict, after: dict, requests: int) -> dict:
        out = {}
        for key in ("web", "database", "client"):
            if before[key] is None or not requests:
                continue
            out[f"{key}_ms"] = round((after[key] - before[key]) / requests * 1000, 2)
        if "web_ms" in out and "database_ms" in out:
            out["server_total_ms"] = round(out["web_ms"] + out["database_ms"], 2)
            out["bound_requests_per_s_on_cpus"] = round(os.cpu_count() / (out["server_total_ms"] / 1000), 1) \
                if out["server_total_ms"] else None
        return out


def summarize(latencies: dict[str, list[float]]) -> dict:
    every = [x for values in latencies.values() for x in values]
    out = {"all": percentiles(every), "search": percentiles(latencies["search"]),
           "account_page": percentiles(latencies["account"])}
    if latencies.get("panel"):
        out["account_panels"] = percentiles(latencies["panel"])
    return out


def run_single(sessions: list[Session], queries: list[str], rounds: int, seed: int, panels: bool,
               meter: CpuMeter) -> dict:
    """One session at a time, back to back: latency with nothing queued, and
    the server's CPU per request."""
    rng = random.Random(seed)
    latencies: dict[str, list[float]] = {"search": [], "account": [], "panel": []}
    errors: list[str] = []

    def record(kind: str, elapsed: float, status: int) -> None:
        latencies[kind].append(elapsed)
        if status != 200:
            errors.append(f"{kind} {status}")

    before = meter.read()
    started = time.monotonic()
    attempts = 0
    while len(latencies["account"]) < rounds and attempts < rounds * 3:
        attempts += 1
        clerk_round(sessions[attempts % len(sessions)], rng, queries, lambda: None, record, panels, float("inf"))
    wall = time.monotonic() - started
    requests = sum(len(v) for v in latencies.values())
    return {"requests": requests, "duration_s": round(wall, 1), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5], **summarize(latencies),
            "cpu_per_request": meter.per_request(before, meter.read(), requests),
            "load_average": [round(x, 1) for x in os.getloadavg()]}


def run_step(sessions: list[Session], queries: list[str], think: float, duration: float, seed: int,
             panels: bool = False, meter: CpuMeter | None = None) -> dict:
    latencies: dict[str, list[float]] = {"search": [], "account": [], "panel": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def record(kind: str, elapsed: float, status: int) -> None:
        with lock:
            latencies[kind].append(elapsed)
            if status != 200:
                errors.append(f"{kind} {status}")

    def clerk(i: int, session: Session) -> None:
        rng = random.Random(seed * 1000 + i)
        time.sleep(rng.random() * max(think, 0.05))  # people do not all press Enter at once

        def pause() -> None:
            time.sleep(think * (0.5 + rng.random()))

        while time.monotonic() < stop_at:
            clerk_round(session, rng, queries, pause, record, panels, stop_at)

    load_before = os.getloadavg()[0]
    before = meter.read() if meter else None
    started = time.monotonic()
    threads = [threading.Thread(target=clerk, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 120)
    wall = time.monotonic() - started
    requests = sum(len(v) for v in latencies.values())
    result = {"sessions": len(sessions), "think_seconds": think, "duration_s": round(wall, 1),
              "requests": requests, "requests_per_s": round(requests / wall, 1), "errors": len(errors),
              "error_kinds": sorted(set(errors))[:5], **summarize(latencies),
              "load_average_1m_before": round(load_before, 1), "load_average_1m": round(os.getloadavg()[0], 1)}
    if meter:
        result["cpu_per_request"] = meter.per_request(before, meter.read(), requests)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="a PostgreSQL database (default: start one here)")
    parser.add_argument("--no-build", action="store_true", help="use the demo already in --database-url")
    parser.add_argument("--months", type=int, default=None, help="months of demo history (default: the demo's)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per step")
    parser.add_argument("--steps", default="50:1.0,100:0.5,150:0.25,200:0.1,200:0",
                        help="sessions:think-seconds per step, the first being the clerk's pace")
    parser.add_argument("--sweep", default="", help="sessions per step at --think seconds, e.g. 20,35,50,70,100 "
                                                    "(instead of --steps)")
    parser.add_argument("--think", type=float, default=1.0, help="think seconds for --sweep")
    parser.add_argument("--stop-after-pass", action="store_true", help="end at the first step whose p95 passes "
                                                                       "the target")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of warm-up before measuring")
    parser.add_argument("--single", type=int, default=200,
                        help="searches + account pages one session makes alone, back to back (0: none)")
    parser.add_argument("--panels", action="store_true",
                        help="also fetch the panels the account page loads by itself, as a browser does")
    parser.add_argument("--pg-data", default="", help="data directory of the --database-url server (for its CPU)")
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("RATEPAYER_WEB_WORKERS", 2)))
    parser.add_argument("--web-threads", type=int, default=int(os.environ.get("RATEPAYER_WEB_THREADS", 8)))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.no_build and not args.database_url:
        parser.error("--no-build needs --database-url")
    if args.sweep:
        steps = [(int(n), args.think) for n in args.sweep.split(",")]
    else:
        steps = [(int(s.split(":")[0]), float(s.split(":")[1])) for s in args.steps.split(",")]

    scratch = Path(tempfile.mkdtemp(prefix="ratepayer-bench-console-"))
    pg_dir = None
    pg_data = Path(args.pg_data) if args.pg_data else None
    url = args.database_url
    if not url:
        pg_dir = scratch / "pg"
        url = subprocess.run(["bash", str(ROOT / "scripts" / "pg-temp.sh"), "start", str(pg_dir), str(free_port())],
                             check=True, capture_output=True, text=True).stdout.strip()
        pg_data = pg_dir / "data"
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
        meter = CpuMeter(server.pid, postmaster_pid(pg_data))
        # warm every web worker's caches and connections
        run_step(sessions[:10], queries, 0.0, args.warmup, args.seed, args.panels)
        single = run_single(sessions[:10], queries, args.single, args.seed, args.panels, meter) \
            if args.single else None
        results = []
        passed_at = None
        for i, (count, think) in enumerate(steps):
            result = run_step(sessions[:count], queries, think, args.duration, args.seed + i, args.panels, meter)
            results.append(result)
            if passed_at is None and result["all"].get("p95_ms", 0) > TARGET_P95_MS:
                passed_at = result
                if args.stop_after_pass:
                    break
        clerk = results[0]
        print(json.dumps({
            "benchmark": "console",
            "server": f"gunicorn {args.web_workers} workers x {args.web_threads} threads, WhiteNoise, DEBUG off",
            "database": "postgresql",
            "accounts": int(accounts),
            "build_seconds": build_seconds,
            "target_p95_ms": TARGET_P95_MS,
            "account_panels_fetched": args.panels,
            "clerk_pace": {"sessions": clerk["sessions"], "think_seconds": clerk["think_seconds"],
                           "p95_ms": clerk["all"].get("p95_ms"), "errors": clerk["errors"],
                           "meets_target": clerk["errors"] == 0 and clerk["all"].get("p95_ms", 1e9) <= TARGET_P95_MS},
            "p95_passes_target_at": None if passed_at is None else {
                "sessions": passed_at["sessions"], "think_seconds": passed_at["think_seconds"],
                "requests_per_s": passed_at["requests_per_s"], "p95_ms": passed_at["all"]["p95_ms"]},
            "max_requests_per_s_under_target": max(
                (r["requests_per_s"] for r in results if r["all"].get("p95_ms", 1e9) <= TARGET_P95_MS), default=None),
            "single_session": single,
            "steps": results,
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
            "note": "client threads, server and PostgreSQL share this machine's CPUs, with whatever else runs on it",
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
