"""Benchmark: collection notices (WeasyPrint) rendered per second.

Renders the notices of tests/collections/notice_samples.py — a PUD's
past-due, final, 24-hour, disconnected and agency-advice notices, a
water-sewer district's past-due, final, lien and landlord-copy notices — in
English, Spanish and Russian, round-robin, one at a time in this one warm
process through ``collections.documents.render_notice_pdf`` (what the outbox
worker runs for a notice e-mail). A notice needs no database: its input is a
NoticeDocument.

Prints one JSON object: notices rendered, first render (cold process:
importing WeasyPrint and loading fonts), notices per second (wall and CPU),
p50/p95/max ms per notice, ms per kind and per language (p50), PDF bytes and
the load average before and after (the machine is shared).

    .venv/bin/python bench/notices.py [--renders 270] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=270)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("RATEPAYER_TESTING", "1")  # settings without secrets; nothing here touches a database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratepayer.settings")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from tests.collections.notice_samples import every_kind

    from ratepayer.collections.documents import render_notice_pdf

    docs = [doc for language in ("en", "es", "ru") for doc in every_kind(language)]
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    started = time.perf_counter()
    render_notice_pdf(docs[0])
    first_ms = (time.perf_counter() - started) * 1000
    for doc in docs:  # each template and catalog once before timing
        render_notice_pdf(doc)
    timings, by_kind, by_language, sizes = [], defaultdict(list), defaultdict(list), []
    profiler = cProfile.Profile() if args.profile else None
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for n in range(args.renders):
        doc = docs[n % len(docs)]
        t = time.perf_counter()
        pdf = render_notice_pdf(doc)
        ms = (time.perf_counter() - t) * 1000
        timings.append(ms)
        by_kind[f"{doc.utility_type}:{doc.kind}"].append(ms)
        by_language[doc.language].append(ms)
        sizes.append(len(pdf))
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall_started, time.process_time() - cpu_started
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue(), file=sys.stderr)
    timings.sort()
    print(json.dumps({
        "benchmark": "notices", "notices": args.renders, "first_render_ms": round(first_ms, 1),
        "notices_per_second": round(args.renders / wall, 2),
        "notices_per_cpu_second": round(args.renders / cpu, 2),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1), "max_ms": round(timings[-1], 1),
        "p50_ms_by_kind": {k: round(statistics.median(v), 1) for k, v in sorted(by_kind.items())},
        "p50_ms_by_language": {k: round(statistics.median(v), 1) for k, v in sorted(by_language.items())},
        "pdf_bytes_p50": int(statistics.median(sizes)), "pages": 2,
        "loadavg_before": load_before, "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
    }, indent=1))


if __name__ == "__main__":
    main()
