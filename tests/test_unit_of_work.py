"""One unit of work: a service call is saved whole or not at all, and only services decide.

A change refused half-way (a DomainError after something was written) must leave the database as
it was, on SQLite and PostgreSQL, whatever the service called on the way; and no view commits or
rolls back, so no page can make a half-done change permanent.
"""
import ast
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.models import Membership
from forum.services import DomainError, membership
from forum.services.atomic import atomic

VIEWS = Path(__file__).resolve().parent.parent / "forum" / "views"


def test_no_view_commits_or_rolls_back():
    """Only the error handlers (errors.py) may roll back, to render the error page from a clean
    session after a failure outside any service (a lost connection in a view's own query)."""
    found = [f"{path.name}:{node.lineno} {node.attr}"
             for path in sorted(VIEWS.glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Attribute) and node.attr in ("commit", "rollback")
             and path.name != "errors.py"]
    assert found == []


@atomic
def _promote_then_join(organizer, community, member):
    """A service that changes a role, then calls one that refuses (already a member)."""
    membership.set_role(organizer, community, member.id, "moderator")
    membership.join(member, community)


def _role(db, community_id: int, user_id: int) -> str:
    db.session.remove()  # a new session: what the database holds, not what the old one remembers
    return db.session.execute(select(Membership.role).filter_by(
        community_id=community_id, user_id=user_id)).scalar_one()


def test_a_refusal_inside_a_service_leaves_nothing_half_written(db, make_user, make_community):
    organizer, member = make_user(), make_user()
    community = make_community(members={organizer: "organizer", member: "member"})
    ids, organizer_id = (community.id, member.id), organizer.id
    with pytest.raises(DomainError):
        _promote_then_join(organizer, community, member)
    assert _role(db, *ids) == "member"  # the nested set_role did not commit on its own

    community, organizer = db.session.get(type(community), ids[0]), db.session.get(type(organizer), organizer_id)
    membership.set_role(organizer, community, ids[1], "moderator")  # the session goes on, and saves
    assert _role(db, *ids) == "moderator"


def test_a_commit_inside_a_unit_is_refused_and_undone(db, make_user, make_community):
    organizer, member = make_user(), make_user()
    community = make_community(members={organizer: "organizer", member: "member"})
    ids = community.id, member.id

    @atomic
    def commits_half_way():
        membership.set_role(organizer, community, member.id, "moderator")
        db.session.commit()

    with pytest.raises(RuntimeError, match="unit of work"):
        commits_half_way()
    assert _role(db, *ids) == "member"


def test_the_generations_move_last_not_at_a_savepoint(db, make_user, make_community):
    """The page cache's generations are the last rows a transaction writes: moving them when a
    savepoint was released (a side effect inside a service) kept their row locked while the
    transaction went on, and on PostgreSQL a reply notifying a member deadlocked with that
    member's own thread view (two 503s in the fifty-clients load test)."""
    from sqlalchemy import event, update

    from forum.models import User
    from forum.services.atomic import side_effect

    organizer, member = make_user(), make_user()
    community = make_community(members={organizer: "organizer", member: "member"})
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement.lstrip().upper())

    @atomic
    def promote_then_notify():
        membership.set_role(organizer, community, member.id, "moderator")
        with side_effect("a notification"):
            db.session.execute(update(User).where(User.id == member.id)
                               .values(unread_notification_count=User.unread_notification_count + 1))
        db.session.execute(update(User).where(User.id == organizer.id)
                           .values(unread_notification_count=User.unread_notification_count + 1))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        promote_then_notify()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    moved = [i for i, s in enumerate(writes) if "CACHE_GENERATIONS" in s]
    assert moved == list(range(len(writes) - len(moved), len(writes)))  # at the end, together
    assert len(moved) == 2  # the content (a role) and the private (a notification count) generations
