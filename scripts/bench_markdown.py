"""Time the Markdown renderer on pathological inputs at N and 4N characters (see scripts/bench-markdown).

A renderer whose time grows linearly shows a ratio near 4; a quadratic one near 16. The
families are also rendered at 100 KB by tests/test_markup_speed.py, as a safety bound.
"""
import multiprocessing
import sys
import time
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "forum" / "demo" / "concept_note_es.md"


def _repeat(unit: str, size: int, head: str = "") -> str:
    """`head`, then `unit` repeated: `size` characters in all."""
    return (head + unit * (size // len(unit) + 1))[:max(size, len(head) + len(unit))]


FAMILIES = {
    # name: (what it is, a function of the size in characters)
    "brackets": ("a run of [", lambda n: "[" * n),
    "link openers": ("[a]( repeated", lambda n: _repeat("[a](", n)),
    "emphasis": ("*a **a _a __a repeated", lambda n: _repeat("*a **a _a __a ", n)),
    "backticks": ("`a`` repeated, no closer", lambda n: _repeat("`a``", n)),
    "quote nesting": ("> repeated on one line", lambda n: _repeat("> ", n) + "a"),
    "list nesting": ("- repeated on one line", lambda n: _repeat("- ", n) + "a"),
    "quote lines": ("> a, one more > per line", lambda n: "".join(_lines(n, lambda i: ">" * (i % 60) + " a\n"))),
    "table rows": ("a two-column table", lambda n: _repeat("| x | y |\n", n, "| a | b |\n|---|---|\n")),
    "table columns": ("a table one row wide", lambda n: _repeat("|a", n // 2) + "\n" + _repeat("|-", n // 2) + "\n"
                      + _repeat("|x", n // 2)),
    "raw html": ("<a unclosed, repeated", lambda n: _repeat("<a ", n)),
    "mentions": ("@handle repeated", lambda n: _repeat("@handle ", n)),
    "bare urls": ("https://a.b/ repeated", lambda n: _repeat("https://a.b/c ", n)),
    "word debris": ("[footnoteRef:1] and [1: unclosed", lambda n: _repeat("x[footnoteRef:1] [1: y [bookmark: z", n)),
    "footnotes": ("[^1] and definitions", lambda n: _repeat("a[^1] ", n // 2) + "\n\n" + _repeat("[^1]: b\n", n // 2)),
    "a real concept note": ("the demo's concept note, repeated", lambda n: _repeat(DEMO.read_text("utf-8") + "\n\n", n)),
}


def _lines(size: int, line):
    total, i = 0, 0
    while total < size:
        text = line(i)
        total += len(text)
        i += 1
        yield text


def render_source(source: str) -> str:
    """What a save does: clean the pasted source, then render it."""
    from forum import markup

    clean = getattr(markup, "clean_source", None)
    return markup.render(clean(source) if clean else source)


def _best_time(source: str, budget: float = 1.0) -> float:
    """The fastest of a few runs (fewer when one run is slow): less noise from other processes."""
    best, spent = float("inf"), 0.0
    while spent < budget or best == float("inf"):
        started = time.process_time()  # CPU time: other processes on the machine add no noise
        render_source(source)
        took = time.process_time() - started
        best, spent = min(best, took), spent + took
        if spent > budget or took > budget / 3:
            break
    return best


def _child(source: str, queue, budget: float) -> None:
    try:
        queue.put(_best_time(source, budget))
    except Exception as error:  # the old renderer ran out of stack on deep nesting
        queue.put(f"{type(error).__name__}")


def timed(source: str, timeout: float) -> float | str | None:
    """Seconds to render, the error's name when it failed, or None when it took longer than
    `timeout` (the child is stopped)."""
    queue = multiprocessing.get_context("fork").Queue()
    # Runs for up to a 60th of the timeout (1 s by default): a short timeout makes a quick check.
    child = multiprocessing.get_context("fork").Process(target=_child, args=(source, queue, min(1.0, timeout / 60)))
    child.start()
    try:
        child.join(timeout)
        return queue.get(timeout=1) if child.exitcode == 0 else None
    finally:
        if child.is_alive():
            child.terminate()
            child.join(5)
            if child.is_alive():
                child.kill()
                child.join()


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 25_000
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    render_source("warm *up* [x](https://example.org)")
    print(f"Markdown rendering, N = {size:,} and 4N = {4 * size:,} characters; CPU time, best of a few runs; "
          f"stopped after {timeout:.0f} s. Linear growth: ratio near 4; quadratic: near 16.")
    print(f"{'family':22} {'time at N':>11} {'time at 4N':>11} {'ratio':>7}   input")
    worst = 0.0
    for name, (what, make) in FAMILIES.items():
        small = timed(make(size), timeout)
        large = timed(make(4 * size), timeout) if _number(small) else None
        ratio = large / small if _number(small) and _number(large) else None
        if ratio:
            worst = max(worst, ratio)
        print(f"{name:22} {_seconds(small, timeout):>11} {_seconds(large, timeout) if _number(small) else '-':>11} "
              f"{f'{ratio:.1f}' if ratio else '-':>7}   {what}")
    print(f"worst ratio: {worst:.1f}" if worst else "no ratio measured")


def _number(value) -> bool:
    return isinstance(value, float) and value > 0


def _seconds(value, timeout: float) -> str:
    if value is None:
        return f"> {timeout:.0f} s"
    if isinstance(value, str):
        return value
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


if __name__ == "__main__":
    main()
