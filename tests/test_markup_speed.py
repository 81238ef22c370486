"""A safety bound, not a benchmark (that is scripts/bench-markdown): a 100 KB pathological body
of each family renders in seconds. The earlier renderer took over a minute on 20,000 "[" and
ran out of stack on deep lists."""
import importlib.util
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench_markdown.py"
_spec = importlib.util.spec_from_file_location("bench_markdown", BENCH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

SIZE = 100_000
BOUND_SECONDS = 10  # generous: about 3 s of CPU at worst on the project's machine


@pytest.mark.parametrize("family", sorted(bench.FAMILIES))
def test_a_100_kb_pathological_body_renders_within_a_safety_bound(family):
    source = bench.FAMILIES[family][1](SIZE)
    assert len(source) >= SIZE - 10
    started = time.process_time()  # CPU time: other processes on the machine do not count
    html = bench.render_source(source)
    assert time.process_time() - started < BOUND_SECONDS, family
    assert html
