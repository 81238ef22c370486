"""Run every benchmark script and print one table (see scripts/bench)."""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = [  # (name, script, its arguments for --size tiny)
    ("import 3,200 members", ["scripts/bench_import.py"], ["30"]),
    ("weekly digest, 3,200 members", ["scripts/bench_digest.py"], ["40", "30"]),
    ("outbox delivery, 1,000 messages", ["scripts/bench_outbox.py"], ["20"]),
    ("export 2,000 posts", ["scripts/bench_export.py"], ["60", "20"]),
    ("Markdown, pathological inputs", ["scripts/bench_markdown.py"], ["400", "10"]),
    ("HTTP pages under gunicorn", ["scripts/bench_http.py"], ["--size", "tiny", "--duration", "1s"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=["tiny", "default"], default="default",
                        help="tiny: every script on a few rows, to check they run (figures meaningless)")
    size = parser.parse_args().size
    results, failed = [], []
    for name, script, tiny in BENCHES:
        args = script + (tiny if size == "tiny" else [])
        if "bench_http" in args[0] and not shutil.which("wrk"):
            results.append((name, ["skipped: wrk is not installed (apt-get install wrk)"]))
            continue
        print(f"==> {name}", file=sys.stderr)
        started = time.monotonic()
        done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        lines = [line for line in done.stdout.splitlines() if line.strip() and not line.startswith("database:")]
        if done.returncode != 0:
            failed.append(name)
            lines = [f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"]
        results.append((f"{name} ({time.monotonic() - started:.0f} s)", lines))
    cpu = platform.processor() or platform.machine()
    print(f"\nBenchmarks on {platform.node()}: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
          f"database {os.environ.get('BENCH_DATABASE_URL', 'SQLite').split(':')[0]}\n")
    width = max(len(name) for name, _ in results)
    for name, lines in results:
        for index, line in enumerate(lines or ["(no output)"]):
            print(f"{name if index == 0 else '':{width}} | {line}")
        print(f"{'':{width}} |")
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
