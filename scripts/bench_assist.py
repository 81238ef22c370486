"""Quality and cost of the offline assistance on the coded corpus; see scripts/bench-assist."""
import argparse
import random
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import delete

from forum import create_app
from forum.extensions import db
from forum.models import PostTheme
from forum.services import assist, posting
from tests.corpus import OPENING, load_corpus


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--method", default="auto", choices=["auto", "use-m3", "lexical"])
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--seeds", default="1", help="comma-separated; one database per seed")
    parser.add_argument("--scale", type=int, default=0)
    return parser.parse_args()


def run(method: str, examples: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp)}/bench.sqlite3",
                         ASSIST_METHOD=method)
        with app.app_context():
            db.create_all()
            corpus = load_corpus(db.session, OPENING)
            coded = sorted(r.id for r in corpus.data.replies if r.themes)
            kept = {corpus.post_ids[r] for r in random.Random(seed).sample(coded, examples)}
            db.session.execute(delete(PostTheme).where(PostTheme.post_id.not_in(kept)))
            db.session.commit()
            started = time.perf_counter()
            result = assist.refresh(corpus.pair)
            seconds = time.perf_counter() - started
            code_of = {theme.id: code for code, theme in corpus.themes.items()}
            post_ids = [corpus.post_ids[r.id] for r in corpus.data.replies]
            suggested = assist.suggestions(post_ids)
            siblings = assist.similar_in_sibling(post_ids)
            status = assist.status(corpus.pair)
            stats = _score(corpus, kept, suggested, siblings, code_of)
            stats.update(seconds=seconds, method=result["method"], ready=status.ready, total=status.total)
            again = time.perf_counter()
            stats["second_run"] = assist.refresh(corpus.pair)
            stats["second_seconds"] = time.perf_counter() - again
            return stats


def _score(corpus, kept, suggested, siblings, code_of) -> dict:
    hits, truth, shown = Counter(), Counter(), Counter()
    found = total = 0
    for reply in corpus.data.replies:
        post_id = corpus.post_ids[reply.id]
        if reply.themes and post_id not in kept:
            top = {code_of[s.theme_id] for s in suggested[post_id]}
            for code in top:
                shown[code] += 1
                hits[code] += code in reply.themes
            for code in reply.themes:
                truth[code] += 1
        if reply.counterparts:
            total += 1
            near = {corpus.reply_ids[other] for other, _ in siblings[post_id]}
            found += bool(near & set(reply.counterparts))
    return {"hits": hits, "truth": truth, "shown": shown, "counterparts": (found, total)}


def main() -> None:
    args = parse()
    for seed in [int(s) for s in args.seeds.split(",")]:
        stats = run(args.method, args.examples, seed)
        print(f"method {stats['method']}, {args.examples} coded examples, seed {seed}: first run "
              f"{stats['seconds']:.1f} s for {stats['total']} replies (ready {stats['ready']}); second run "
              f"{stats['second_seconds']:.2f} s, {stats['second_run']['encoded']} encoded")
        hits, truth, shown = stats["hits"], stats["truth"], stats["shown"]
        print(f"  {'theme':22} {'recall':>7} {'precision':>9}")
        for code in sorted(truth):
            print(f"  {code:22} {hits[code] / truth[code]:7.2f} {hits[code] / max(shown[code], 1):9.2f}")
        print(f"  {'overall':22} {sum(hits.values()) / sum(truth.values()):7.3f} "
              f"{sum(hits.values()) / max(sum(shown.values()), 1):9.3f}")
        found, total = stats["counterparts"]
        print(f"  counterpart in the top 3: {found}/{total} = {found / total:.3f}")
    if args.scale:
        _scale(args.method, args.scale)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS) {peak:.0f} MB")


def _scale(method: str, count: int) -> None:
    """A first run end to end over `count` replies: the corpus, then its texts again (with a
    number, so each is new) spread over the same threads; 20 coded examples, then one tag more."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp)}/scale.sqlite3",
                         ASSIST_METHOD=method)
        with app.app_context():
            db.create_all()
            corpus = load_corpus(db.session, OPENING)
            replies = list(corpus.data.replies)
            coded = sorted(r.id for r in replies if r.themes)
            kept = random.Random(1).sample(coded, 20)
            db.session.execute(delete(PostTheme).where(PostTheme.post_id.not_in(
                [corpus.post_ids[r] for r in kept])))
            for n in range(count - len(replies)):
                reply = replies[n % len(replies)]
                posting.add_post(corpus.thread_of(reply.id), corpus.users[reply.author],
                                 f"{reply.body}\n\n({n})")
            db.session.commit()
            started = time.perf_counter()
            result = assist.refresh(corpus.pair)
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"first run over {result['total']} replies ({result['method']}): {seconds:.1f} s, "
                  f"peak memory (max RSS) so far {peak:.0f} MB")
            started = time.perf_counter()
            newly = next(r for r in replies if r.themes and r.id not in kept)
            db.session.add(PostTheme(post_id=corpus.post_ids[newly.id], theme_id=corpus.themes[newly.themes[0]].id))
            db.session.commit()
            again = assist.refresh(corpus.pair)
            print(f"re-score after one more tag: {time.perf_counter() - started:.1f} s "
                  f"({again['encoded']} encoded, {again['scored']} scored)")


if __name__ == "__main__":
    main()
