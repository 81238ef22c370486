"""Attacks on the secrecy of a sealed anonymous round, as someone with full read access to the
database (system columns, row order, raw pages and files, every table, the outbox) and to the logs.

Each attack returns its guess of who cast each ballot of the round, {ballot id: user id}; the
tests compare the guesses with the truth. Attacks that need something the database does not
offer (xmin on SQLite, pageinspect without superuser) return no guess.

- xmin: a ballot's or answer's transaction id next to the transaction that wrote a row carrying
  a user id (a named answer, a read mark, a sign-in).
- order: the k-th ballot by physical position (ctid, natural scan order), transaction id or id
  is the k-th voter in the logs' order of answers, or in a "who answered" table's order.
- raw bytes: the application's key gives each member's voter key; any copy of it left in the
  table's pages (dead row versions) or the SQLite file or its log, next to a ballot id.
- logs: a log line showing a ballot's id or content, followed by the voter's request line.
- outbox: a message carrying a ballot's id or content, and its recipient.
- timestamps: any time column of the ballot tables, in the order of the voters.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

REQUEST = re.compile(r"message=request .*?method=(\w+) path=(\S+) .*?user=(\S+)")


@dataclass
class Scene:
    """What the attacker can read."""

    conn: Connection
    round_id: int
    member_ids: list[int]
    log_lines: list[str] = field(default_factory=list)
    ballot_key: bytes | None = None   # the application's BALLOT_KEY (or SECRET_KEY): an administrator has it
    raw_pages: bool = True            # PostgreSQL: pageinspect is there (it needs a superuser)


def attacks(scene: Scene) -> dict[str, dict[str, int]]:
    """Every attack's guess, by name (empty when it learns nothing)."""
    ballots = _ballots(scene)
    guesses = {"logs": logs(scene, ballots), "outbox": outbox(scene, ballots), "raw bytes": raw_bytes(scene)}
    guesses.update(orders(scene))
    if scene.conn.dialect.name == "postgresql":
        guesses["xmin"] = xmin(scene)
    return guesses


def _ballots(scene: Scene) -> dict[str, list[str]]:
    """Each ballot id with what identifies its content (comments)."""
    rows = scene.conn.execute(text(
        "SELECT b.id, a.comment FROM ballots b LEFT JOIN answers a ON a.ballot_id = b.id WHERE b.round_id = :r"),
        {"r": scene.round_id}).all()
    found: dict[str, list[str]] = {}
    for ballot_id, comment in rows:
        found.setdefault(ballot_id, [])
        if comment:
            found[ballot_id].append(comment)
    return found


def voter_order(scene: Scene) -> list[int]:
    """Who answered the round, in the order of the request log (first answer of each)."""
    order: list[int] = []
    for line in scene.log_lines:
        match = REQUEST.search(line)
        if match and match.group(1) == "POST" and match.group(2).endswith(f"/rounds/{scene.round_id}/answer"):
            user = int(match.group(3)) if match.group(3).isdigit() else None
            if user is not None and user not in order:
                order.append(user)
    return order


def orders(scene: Scene) -> dict[str, dict[str, int]]:
    """The k-th ballot in some order of the tables is the k-th voter, in the order of the logs or
    of a "who answered" table (any round's, e.g. a named round answered just before)."""
    postgres = scene.conn.dialect.name == "postgresql"
    ballot_orders = {"natural order": "", "id order": "ORDER BY id"}
    answer_orders = {"answers natural order": "", "answers id order": "ORDER BY id"}
    if postgres:
        ballot_orders.update({"ctid order": "ORDER BY ctid", "xmin order": "ORDER BY xmin::text::bigint, ctid",
                              "cmin order": "ORDER BY cmin::text::bigint, ctid"})
        answer_orders.update({"answers ctid order": "ORDER BY ctid",
                              "answers xmin order": "ORDER BY xmin::text::bigint, ctid"})
    sequences = {}
    for name, order_by in ballot_orders.items():
        sequences[name] = scene.conn.execute(text(f"SELECT id FROM ballots WHERE round_id = :r {order_by}"),
                                             {"r": scene.round_id}).scalars().all()
    for name, order_by in answer_orders.items():
        sequences[name] = list(dict.fromkeys(scene.conn.execute(text(
            "SELECT ballot_id FROM answers WHERE ballot_id IN (SELECT id FROM ballots WHERE round_id = :r) "
            + order_by), {"r": scene.round_id}).scalars()))
    for table, column in _time_columns(scene):
        key = "ballot_id" if table == "answers" else "id"
        rows = scene.conn.execute(text(f"SELECT {key} FROM {table} ORDER BY {column}")).scalars().all()
        sequences[f"timestamps {table}.{column}"] = list(dict.fromkeys(rows))
    guesses = {}
    for source, voters in voter_orders(scene).items():
        for name, ballot_ids in sequences.items():
            guesses[f"{name} ~ {source}"] = dict(zip(ballot_ids, voters, strict=False))
    return guesses


def voter_orders(scene: Scene) -> dict[str, list[int]]:
    """Orders in which people answered: the request log's, and each "who answered" table's
    (a user id and a round id), by id, by time and, on PostgreSQL, by position."""
    found = {"logs": voter_order(scene)}
    inspector = inspect(scene.conn)
    for table in inspector.get_table_names():
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        if not {"user_id", "round_id"} <= set(columns) or table == "ballots":
            continue
        keys = ["id", *(n for n, c in columns.items() if any(w in str(c["type"]).lower() for w in ("time", "date")))]
        if scene.conn.dialect.name == "postgresql":
            keys.append("ctid")
        for key in keys:
            users = scene.conn.execute(text(
                f"SELECT user_id FROM {table} WHERE user_id IS NOT NULL ORDER BY {key}")).scalars()
            found[f"{table} by {key}"] = list(dict.fromkeys(users))
    return {name: voters for name, voters in found.items() if voters}


def _time_columns(scene: Scene) -> list[tuple[str, str]]:
    inspector = inspect(scene.conn)
    return [(table, c["name"]) for table in ("ballots", "answers") for c in inspector.get_columns(table)
            if any(word in str(c["type"]).lower() for word in ("time", "date"))]


def xmin(scene: Scene) -> dict[str, int]:
    """PostgreSQL: the voter is whoever wrote a user-id row in the transaction just before the
    ballot's (transaction ids shared by several ballots tell nothing and are ignored)."""
    events = sorted(_user_events(scene))
    rows = scene.conn.execute(text(
        "SELECT b.id, b.xmin::text::bigint FROM ballots b WHERE b.round_id = :r UNION ALL "
        "SELECT a.ballot_id, a.xmin::text::bigint FROM answers a JOIN ballots b ON b.id = a.ballot_id "
        "WHERE b.round_id = :r"), {"r": scene.round_id}).all()
    holders: dict[int, set[str]] = {}
    for ballot_id, xid in rows:
        holders.setdefault(xid, set()).add(ballot_id)
    guesses: dict[str, tuple[int, int]] = {}
    for xid, ballot_ids in holders.items():
        before = [e for e in events if e[0] < xid]
        if len(ballot_ids) != 1 or not before:
            continue
        gap, user = xid - before[-1][0], before[-1][1]
        ballot_id = next(iter(ballot_ids))
        if ballot_id not in guesses or gap < guesses[ballot_id][0]:
            guesses[ballot_id] = (gap, user)
    return {ballot_id: user for ballot_id, (_gap, user) in guesses.items()}


def _user_events(scene: Scene) -> list[tuple[int, int]]:
    """(transaction id, user id) of every live row, in every table, that names a user."""
    inspector = inspect(scene.conn)
    events = [tuple(r) for r in scene.conn.execute(text("SELECT xmin::text::bigint, id FROM users"))]
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] != "users":
                continue
            column = fk["constrained_columns"][0]
            events.extend(tuple(r) for r in scene.conn.execute(text(
                f'SELECT xmin::text::bigint, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')))
    return events


def raw_bytes(scene: Scene) -> dict[str, int]:
    """With the application's key: each member's voter key, found in the stored bytes next to a ballot id."""
    if scene.ballot_key is None or (scene.conn.dialect.name == "postgresql" and not scene.raw_pages):
        return {}
    data = _stored_bytes(scene)
    guesses = {}
    for user_id in scene.member_ids:
        key = hmac.new(scene.ballot_key, f"ballot:{scene.round_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
        for match in re.finditer(rb"([0-9a-f]{32}).{0,12}?" + key.encode(), data, re.DOTALL):
            guesses[match.group(1).decode()] = user_id
    return guesses


def _stored_bytes(scene: Scene) -> bytes:
    """Every byte of the ballot table as stored: PostgreSQL's pages (dead row versions included,
    through pageinspect), or SQLite's file and its write-ahead log."""
    if scene.conn.dialect.name == "sqlite":
        path = Path(scene.conn.engine.url.database)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    pages = scene.conn.execute(text(
        "SELECT get_raw_page('ballots', n) FROM generate_series(0, "
        "(pg_relation_size('ballots') / current_setting('block_size')::int)::int - 1) AS n")).scalars().all()
    return b"".join(bytes(p) for p in pages)


def leftover_row_versions(conn: Connection) -> int:
    """PostgreSQL: row versions in the ballot tables' pages that a plain SELECT does not show."""
    total = 0
    for table in ("ballots", "answers"):
        total += conn.execute(text(
            f"SELECT count(*) FROM generate_series(0, (pg_relation_size('{table}') / "
            "current_setting('block_size')::int)::int - 1) AS n, "
            f"LATERAL heap_page_items(get_raw_page('{table}', n)) AS i "
            # Not a live row (1), or deleted or replaced (an xmax that is not just a lock, 0x80, nor void, 0x800).
            "WHERE i.lp_flags <> 1 OR (i.t_xmax <> '0' AND i.t_infomask & 2176 = 0)")).scalar_one()
    return total


def logs(scene: Scene, ballots: dict[str, list[str]]) -> dict[str, int]:
    """A line showing a ballot's id or comment, then the next request line names the voter."""
    guesses = {}
    for ballot_id, comments in ballots.items():
        marks = [ballot_id, *comments]
        for index, line in enumerate(scene.log_lines):
            if any(mark in line for mark in marks):
                following = (REQUEST.search(later) for later in scene.log_lines[index:])
                user = next((m.group(3) for m in following if m and m.group(3).isdigit()), None)
                if user is not None:
                    guesses[ballot_id] = int(user)
                    break
    return guesses


def outbox(scene: Scene, ballots: dict[str, list[str]]) -> dict[str, int]:
    """A queued message that carries a ballot's id or comment, and whom it was for."""
    rows = scene.conn.execute(text("SELECT * FROM outbox")).mappings().all()
    people = dict(scene.conn.execute(text("SELECT lower(email), id FROM users")).all())
    guesses = {}
    for row in rows:
        blob = " ".join(str(v) for v in row.values())
        user = people.get((row["to_address"] or "").lower())
        for ballot_id, comments in ballots.items():
            if user and any(mark in blob for mark in [ballot_id, *comments]):
                guesses[ballot_id] = int(user)
    return guesses


def linked(guesses: dict[str, int], truth: dict[str, int]) -> int:
    """How many ballots an attack tied to their real voter."""
    return sum(1 for ballot_id, user in guesses.items() if truth.get(ballot_id) == user)


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.forensics DATABASE_URL ROUND_ID [LOG_FILE] [--key KEY]`: what each attack
    finds against a real database (how many ballots it would attribute; 0 is what a sealed round gives
    for xmin, raw bytes, logs and outbox; orders always guess, by chance)."""
    import argparse

    from sqlalchemy import create_engine

    from config import normalise_db_url

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("database_url")
    parser.add_argument("round_id", type=int)
    parser.add_argument("log_file", nargs="?")
    parser.add_argument("--key", help="the application's BALLOT_KEY (or SECRET_KEY)")
    args = parser.parse_args(argv)
    lines = Path(args.log_file).read_text(errors="replace").splitlines() if args.log_file else []
    engine = create_engine(normalise_db_url(args.database_url), hide_parameters=True)
    with engine.connect() as conn:
        members = conn.execute(text("SELECT id FROM users")).scalars().all()
        scene = Scene(conn, args.round_id, members, lines, args.key.encode() if args.key else None)
        if conn.dialect.name == "postgresql":
            scene.raw_pages = bool(conn.execute(text(
                "SELECT count(*) FROM pg_extension WHERE extname = 'pageinspect'")).scalar_one())
        for name, guess in attacks(scene).items():
            print(f"{name}: attributes {len(guess)} ballot(s)")
        if conn.dialect.name == "postgresql":
            xids = conn.execute(text("SELECT count(DISTINCT xmin::text) FROM ballots WHERE round_id = :r"),
                                {"r": args.round_id}).scalar_one()
            print(f"distinct transaction ids among the round's ballots: {xids}")
            try:
                print(f"row versions left in the ballot tables' pages: {leftover_row_versions(conn)}")
            except Exception as error:  # pageinspect missing, or not a superuser
                print(f"row versions left: not readable ({error.__class__.__name__})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
