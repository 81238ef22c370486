"""The corpus loaded once per test module, for modules that only read it (or undo what they change).

In a test module: `corpus, _clean_database = corpus_fixtures.module_fixtures()`.
`_clean_database` replaces the suite's per-test emptying of the tables (tests/conftest.py) with a
rollback, so the corpus stays for the module's tests; the tables are emptied after the last one."""
from __future__ import annotations

import pytest

from forum.extensions import db, limiter
from tests.conftest import PASSWORD
from tests.corpus import OPENING, load_corpus


@pytest.fixture(scope="module")
def corpus(app):
    """Loaded once (it takes seconds); the tables are emptied after the module's last test."""
    ctx = app.app_context()
    ctx.push()
    try:
        yield load_corpus(db.session, OPENING, password=PASSWORD)
    finally:
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()
        ctx.pop()


@pytest.fixture(autouse=True)
def _clean_database(corpus):
    yield
    db.session.rollback()


def module_fixtures():
    """`corpus, _clean_database = module_fixtures()` in a test module uses both."""
    return corpus, _clean_database
