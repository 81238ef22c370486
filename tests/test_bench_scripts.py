"""Every benchmark invocation the README documents runs as written, on a tiny size: it exits 0
and prints its figures. (Arguments once reached scripts/_setup.sh as pip extras.) Never timed."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURE = r"[\d.]+ (s|ms)\b"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# script -> [(arguments, what its output must show)]; {db} is a fresh SQLite database.
INVOCATIONS = {
    "scripts/bench-import": [(["30"], rf"first run: 30 rows in {FIGURE} \(CPU")],
    "scripts/bench-digest": [(["40", "30"], rf"weekly digest: {FIGURE} \(CPU [\d.]+ s\), .*'queued': 40")],
    "scripts/bench-outbox": [(["20"], r"outbox delivery: 20 sent in [\d.]+ s \(\d+ messages/s\), 20 received")],
    "scripts/bench-seed": [(["--scale", "tiny", "--database-url", "{db}"], r"made 60 members, .* in [\d.]+ s")],
    "scripts/bench-search": [(["--database-url", "{db}", "--posts", "200", "--members", "50", "--runs", "1",
                               "--reseed"], rf"worst page p95: {FIGURE}")],
    "scripts/bench-export": [(["60", "20"], rf"docx : {FIGURE} to write")],
    "scripts/bench-markdown": [(["400", "2"], r"worst ratio: [\d.]+")],
    "scripts/bench-assist": [(["--method", "lexical", "--examples", "20", "--seeds", "1", "--scale", "40"],
                              r"first run over \d+ replies \(lexical\): [\d.]+ s")],
    "scripts/bench-http": [(["--redis-url", "{redis}", "--size", "tiny", "--duration", "1s", "--warm-up", "0s"],
                            r"thread \(30 posts\)\s+member\s+\d+"),
                           (["--database-url", "{seeded}", "--no-seed", "--no-page-cache", "--duration", "1s"],
                            r"(?s)page cache off;.*thread page 1\s+visitor\s+\d+.*search prospectiva\s+member\s+\d+")],
    "scripts/bench": [(["--size", "tiny"], r"weekly digest, 3,200 members \(\d+ s\)\s+\| weekly digest: [\d.]+ s")],
}


def documented() -> dict[str, set[str]]:
    """Each script in the README's benchmark table, with the options its usage shows."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    scripts = {}
    for usage in re.findall(r"^\| `(scripts/bench[^`]*)`", section, flags=re.M):
        name, *rest = usage.split()
        scripts[name] = set(re.findall(r"--[a-z-]+", " ".join(rest)))
    return scripts


def test_every_documented_benchmark_and_option_has_a_run_below():
    scripts = documented()
    assert len(scripts) >= 10 and set(scripts) == set(INVOCATIONS)
    for name, options in scripts.items():
        used = {arg for args, _ in INVOCATIONS[name] for arg in args}
        assert options <= used, (name, options - used)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A tiny bench-seed data set, for bench-http --no-seed."""
    url = f"sqlite:///{tmp_path_factory.mktemp('seeded')}/bench.sqlite3"
    done = run(["scripts/bench-seed", "--scale", "tiny", "--database-url", url])
    assert done.returncode == 0, done.stderr[-2000:]
    return url


def run(command: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env["BENCH_REDIS_URL"] = REDIS
    return subprocess.run(["bash", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("script", "index"), [(s, i) for s, runs in INVOCATIONS.items() for i in range(len(runs))])
def test_a_documented_benchmark_runs_with_its_arguments_and_prints_its_figures(script, index, tmp_path, request):
    args, expected = INVOCATIONS[script][index]
    if script in ("scripts/bench-http", "scripts/bench") and not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk)")
    seeded = request.getfixturevalue("seeded") if "{seeded}" in args else ""
    args = [a.format(db=f"sqlite:///{tmp_path}/bench.sqlite3", seeded=seeded, redis=REDIS) for a in args]
    done = run([script, *args])
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(expected, done.stdout), done.stdout[-3000:]
