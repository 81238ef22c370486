"""`flask --app forum ...` commands: each a thin call into a service."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale

ROOT = Path(__file__).resolve().parent.parent


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(scheduler)
    app.cli.add_command(mail_group)
    app.cli.add_command(translate)
    app.cli.add_command(members_group)
    app.cli.add_command(digests_command)
    app.cli.add_command(export_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(markup_group)
    app.cli.add_command(search_group)
    app.cli.add_command(assist_group)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed a database that has no accounts yet.")
def seed_demo(if_empty: bool):
    """Create the demo community, forum pair and accounts (safe to run twice)."""
    from forum.extensions import db
    from forum.models import User
    from forum.services.demo import DEMO_ACCOUNTS
    from forum.services.demo import seed_demo as run

    if if_empty and db.session.execute(db.select(User.id).limit(1)).first():
        click.echo("The database already has accounts: demo not seeded.")
        return
    created = run()
    made = ", ".join(f"{n} {what}" for what, n in created.items() if n) or "nothing (already there)"
    click.echo(f"Demo content created: {made}.")
    click.echo("Demo accounts (email / password / role):")
    for spec in (s for s in DEMO_ACCOUNTS if s.listed):
        role = "admin" if spec.is_admin else spec.role
        click.echo(f"  {spec.email:32} {spec.password:22} {role}")


@click.command("scheduler")
def scheduler():
    """Run the job scheduler in the foreground (production: its own process)."""
    from forum.jobs import run_blocking

    run_blocking(current_app._get_current_object())


@click.group("mail")
def mail_group():
    """The outbox."""


@mail_group.command("deliver")
def mail_deliver():
    """Deliver the due messages of the outbox once, and say how it went."""
    from forum.mail import deliver_due

    counts = deliver_due()
    click.echo(f"sent {counts['sent']}, will retry {counts['retrying']}, failed {counts['failed']}")


@click.group("markup")
def markup_group():
    """Members' Markdown and the HTML stored beside it."""


@markup_group.command("rerender")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000),
              help="Bodies per transaction.")
def markup_rerender(batch_size: int):
    """Re-render every stored body made by an older renderer, in batches, with progress.

    Safe to stop and run again: each batch is committed, and a body that fails keeps its
    earlier HTML and is tried again next time. Exits 1 when any failed."""
    from forum.markup import RENDER_VERSION
    from forum.services.rendering import Outcome, rerender

    outcome = Outcome()
    click.echo(f"Re-rendering bodies older than render version {RENDER_VERSION}, {batch_size} at a time.")
    for line in rerender(batch_size, outcome):
        click.echo(line)
    parts = ", ".join(f"{name} {count}" for name, count in outcome.rendered.items())
    click.echo(f"Re-rendered {outcome.total} ({parts}); {len(outcome.failed)} failed.")
    for name, ident, why in outcome.failed:
        click.echo(f"  failed: {name} #{ident}: {why}", err=True)
    if outcome.failed:
        sys.exit(1)


@click.group()
def translate():
    """Extract, update, compile and start the catalogs in translations/."""


def _pybabel(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), *args], check=True, cwd=ROOT)


def _extract() -> None:
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
             "-o", "translations/messages.pot", ".")


@translate.command()
def update():
    """Extract every string and merge it into every catalog."""
    _extract()
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching")
    from forum.translations import fill_english

    fill_english(ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po")


@translate.command()
@click.argument("lang")
def init(lang: str):
    """Start the catalog of a new language (then translate it, compile, and add it to LANGUAGES)."""
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", lang):
        raise click.BadParameter("a language code such as pt or pt_BR", param_hint="LANG")
    if (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").exists():
        raise click.ClickException(f"translations/{lang} already exists: `flask translate update` keeps it current.")
    _extract()
    _pybabel("init", "-i", "translations/messages.pot", "-d", "translations", "-l", lang)
    click.echo(f"Created translations/{lang}/LC_MESSAGES/messages.po: translate it, run `flask translate "
               f"compile`, then add {lang} to LANGUAGES.")


@translate.command()
def compile():
    """Compile the catalogs (.po -> .mo)."""
    _pybabel("compile", "-d", "translations")


@click.group("members")
def members_group():
    """Members of communities."""


@members_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--community", "slug", required=True, help="Slug of the community to add them to.")
def members_import(csv_file: str, slug: str):
    """Import members from CSV: email, name, country, institution, sector, language."""
    from forum.extensions import db
    from forum.models import Community
    from forum.services import DomainError
    from forum.services.imports import import_members

    community = db.session.execute(db.select(Community).filter_by(slug=slug)).scalar_one_or_none()
    if community is None:
        raise click.ClickException(f"No community with slug {slug!r}.")
    data = Path(csv_file).read_bytes()
    state = {"bar": None}

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label="Importing", file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(1)

    with force_locale("en"):  # operators read the command's report in English
        try:
            report = import_members(community, data, progress=progress)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        finally:
            if state["bar"] is not None:
                state["bar"].__exit__(None, None, None)
        refused = [(line, str(reason)) for line, reason in report.refused]
    for line, reason in refused:
        click.echo(f"line {line}: refused: {reason}")
    click.echo(f"created {report.created}, added {report.added}, unchanged {report.unchanged}, "
               f"refused {len(report.refused)} (of {report.total} rows)")


@click.command("digests")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), required=True)
def digests_command(frequency: str):
    """Queue this period's digests now (the scheduler does it daily and weekly); safe to repeat."""
    from forum.services.digests import send_digests

    counts = send_digests(frequency)
    click.echo(f"{counts['members']} members: queued {counts['queued']}, nothing new for {counts['empty']}, "
               f"already queued this period {counts['already']}")


@click.command("export")
@click.argument("slug")
@click.option("--community", "community_slug", help="The community's slug, when several use this forum address.")
@click.option("--format", "fmt", type=click.Choice(["docx", "md", "csv", "json", "quotes-md", "quotes-csv"]),
              required=True, help="quotes-md and quotes-csv: the quotes sheet (the moderators' chosen quotes).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write (CSV also writes FILE-participants.csv beside it).")
@click.option("--language", default="es", show_default=True,
              help="Language of the report's headings and labels: one of the LANGUAGES setting.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day of posts included.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day of posts included.")
@click.option("--anonymise", is_flag=True, help="Participant 12 — country, sector, instead of names.")
@click.option("--highlights-only", is_flag=True, help="Only the posts moderators highlighted.")
@click.option("--forum-language", help="Only the pair's forum in this language (es, en...).")
@click.option("--question", type=click.IntRange(1, 999), help="Only one guiding question (its number).")
@click.option("--theme", help="Only the posts of one theme (its code in the codebook).")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True,
              help="Page size of the Word file.")
def export_command(slug, community_slug, fmt, output, language, start, end, anonymise, highlights_only,
                   forum_language, question, theme, paper):
    """Export a forum pair's synthesis report (Word, Markdown, CSV or JSON)."""
    import time

    from forum.services import DomainError, report_files, synthesis

    started = time.monotonic()
    try:
        with force_locale("en"):  # operators read the command's messages in English
            pair = synthesis.find_pair(slug, community_slug)
        forum_id = next((f.id for f in pair.forums if f.language == forum_language), None) if forum_language else None
        if forum_language and forum_id is None:
            raise click.ClickException(f"The pair has no forum in {forum_language!r}.")
        options = synthesis.ExportOptions(language=language, start=start.date() if start else None,
                                          end=end.date() if end else None, anonymise=anonymise,
                                          highlights_only=highlights_only, forum_id=forum_id,
                                          question=question, theme=theme, paper=paper)
        report = synthesis.build(None, pair, options, progress=lambda step: click.echo(f"... {step}", err=True))
        click.echo(f"... writing {fmt}", err=True)
        files = report_files.render(report, fmt, paper=options.paper)
    except DomainError as error:
        with force_locale("en"):
            raise click.ClickException(str(error.message)) from None
    target = Path(output)
    written = []
    for suffix, content in files.items():
        path = target.with_name(f"{target.stem}{suffix}{target.suffix}") if suffix else target
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(content)
        partial.replace(path)  # whole or not at all: a killed export leaves no half-written report
        written.append(path)
    stats = report.statistics
    left = ", ".join(f"{n} {why}" for why, n in sorted(report.left_out.items())) or "nothing"
    click.echo(f"wrote {', '.join(str(p) for p in written)}: {stats.posts} posts by {stats.participants} "
               f"participants, {len(report.questions)} guiding questions; left out: {left} "
               f"({time.monotonic() - started:.1f}s)")
    if report.findings:
        click.echo(f"review before sharing: {len(report.findings)} things may still identify someone:", err=True)
        for finding in report.findings[:50]:
            click.echo(f"  post {finding.post_id}: {finding.kind}: {finding.text}", err=True)


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write: a SQLite database file, or a pg_dump custom-format archive.")
def backup_command(output: str):
    """Back up the database while the site runs (SQLite online backup, or pg_dump)."""
    import time

    from forum.services import backups

    started = time.monotonic()
    state = {"shown": 0}

    def progress(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if percent >= state["shown"] + 10:
            state["shown"] = percent
            click.echo(f"... {percent}%", err=True)

    try:
        size = backups.backup(Path(output), progress=progress)
    except (backups.BackupError, OSError) as error:
        raise click.ClickException(f"backup failed: {error}") from None
    click.echo(f"wrote {output}: {size / 1024 / 1024:.1f} MB in {time.monotonic() - started:.1f}s; "
               f"copy UPLOAD_DIR ({current_app.config['UPLOAD_DIR']}) as well")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(backup_file: str, yes: bool):
    """Replace the database with a backup (stop the web and scheduler processes first)."""
    from forum.services import backups

    if not yes:
        click.confirm(f"Replace everything in the database with {backup_file}?", abort=True)
    try:
        backups.restore(Path(backup_file))
    except (backups.BackupError, OSError) as error:
        raise click.ClickException(f"restore failed: {error}") from None
    click.echo(f"restored {backup_file}; run `flask --app forum db upgrade` if it came from an older release")


@click.group("search")
def search_group():
    """The search index."""


@search_group.command("reindex")
def search_reindex():
    """Write every document's stems (SQLite) or stored vector (PostgreSQL) and the vocabulary again,
    e.g. after PyStemmer changed or after upgrading past migration 0025."""
    from forum.services import search, search_match

    search_match.clear_words()
    total = search.rebuild(progress=lambda done: click.echo(f"... {done} documents", err=True))
    click.echo(f"reindexed {total} documents")


@click.group("assist")
def assist_group():
    """Offline assistance for curation: theme suggestions and sibling replies."""


@assist_group.command("refresh")
@click.option("--pair", "pair_id", type=int, help="Only this forum pair (its id); by default every pair.")
def assist_refresh(pair_id: int | None):
    """Compute suggestions for new and edited replies now (the scheduler does it every minute)."""
    from forum.extensions import db
    from forum.models import ForumPair
    from forum.services import assist

    if pair_id is not None:
        pair = db.session.get(ForumPair, pair_id)
        if pair is None:
            raise click.ClickException(f"No forum pair with id {pair_id}.")
        pairs = [pair]
    else:
        pairs = list(db.session.execute(db.select(ForumPair).where(ForumPair.themes.any())
                                        .order_by(ForumPair.id)).scalars())
    for pair in pairs:
        def progress(done: int, total: int, slug=pair.slug) -> None:
            click.echo(f"{slug}: encoded {done} of {total} new or edited replies", err=True)

        result = assist.refresh(pair, progress=progress)
        state = assist.status(pair)
        click.echo(f"{pair.slug}: {result['encoded']} encoded, {result['removed']} removed, "
                   f"{'re-scored' if result['scored'] else 'unchanged'} ({result['method']}); "
                   f"suggestions for {state.ready} of {state.total} replies are ready")
