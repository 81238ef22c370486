"""The demo content: the Planning Network and its forum pair on territorial resilience.

Idempotent: every piece is looked up before it is made, so a second run
changes nothing.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from forum.demo import texts
from forum.extensions import db
from forum.models import Community, Forum, ForumPair, Theme, Thread, User, Webinar, utcnow
from forum.services import posting, rendering
from forum.services.membership import add_member
from forum.timezones import to_local

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


@dataclass(frozen=True)
class DemoAccount:
    key: str
    email: str
    password: str
    display_name: str
    handle: str
    role: str
    country: str
    institution: str
    sector: str
    gender: str
    locale: str
    is_admin: bool = False
    listed: bool = True  # printed by seed-demo as an account to try


DEMO_ACCOUNTS = (
    DemoAccount("member", "miembro@demo.example.org", "demo-miembro-2026", "Ana Morales", "ana_morales",
                "member", "CL", "Municipalidad de Valparaíso", "subnational_government", "woman", "es"),
    DemoAccount("moderator", "moderador@demo.example.org", "demo-moderador-2026", "Carlos Pérez",
                "carlos_perez", "moderator", "MX", "Universidad Nacional Autónoma de México",
                "academia", "man", "es"),
    DemoAccount("organizer", "organizer@demo.example.org", "demo-organizer-2026", "Marcia Charles",
                "marcia_charles", "organizer", "TT", "Ministry of Planning and Development",
                "national_government", "woman", "en"),
    DemoAccount("admin", "admin@demo.example.org", "demo-admin-2026", "Admin", "admin",
                "organizer", "CL", "ILPES", "international_organization", "prefer_not_to_say", "es",
                is_admin=True),
    DemoAccount("participant_dm", "daniel.joseph@demo.example.org", "demo-participant-2026",
                "Daniel Joseph", "daniel_joseph", "member", "DM", "Ministry of Planning, Dominica",
                "national_government", "man", "en", listed=False),
    DemoAccount("participant_pe", "rosa.quispe@demo.example.org", "demo-participant-2026",
                "Rosa Quispe", "rosa_quispe", "member", "PE", "Gobierno Regional de Cusco",
                "subnational_government", "woman", "es", listed=False),
    DemoAccount("participant_uy", "martin.silva@demo.example.org", "demo-participant-2026",
                "Martín Silva", "martin_silva", "member", "UY", "Universidad de la República",
                "academia", "man", "es", listed=False),
)


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _account(spec: DemoAccount, now: datetime) -> tuple[User, bool]:
    user = db.session.execute(db.select(User).filter_by(email=spec.email)).scalar_one_or_none()
    if user is not None:
        return user, False
    user = User(email=spec.email, display_name=spec.display_name, handle=spec.handle,
                country=spec.country, institution=spec.institution, sector=spec.sector,
                gender=spec.gender, locale=spec.locale, is_admin=spec.is_admin,
                email_confirmed_at=now)
    user.set_password(spec.password)
    db.session.add(user)
    db.session.flush()
    return user, True


def seed_demo(now: datetime | None = None) -> dict[str, int]:
    """Create what is missing of the demo; returns how many of each thing it created."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    created = {"users": 0, "communities": 0, "forums": 0, "threads": 0, "posts": 0}

    users = {}
    for spec in DEMO_ACCOUNTS:
        users[spec.key], new = _account(spec, now)
        created["users"] += new

    c = texts.COMMUNITY
    community = db.session.execute(db.select(Community).filter_by(slug=c["slug"])).scalar_one_or_none()
    if community is None:
        community = Community(slug=c["slug"], name_es=c["name_es"], name_en=c["name_en"],
                              description_es=c["description_es"], description_en=c["description_en"],
                              visibility="public", join_policy="open", timezone="America/Santiago")
        db.session.add(community)
        db.session.flush()
        created["communities"] += 1
    for spec in DEMO_ACCOUNTS:
        add_member(users[spec.key], community, role=spec.role)

    p = texts.FORUM_PAIR
    pair = db.session.execute(
        db.select(ForumPair).filter_by(community_id=community.id, slug=p["slug"])
    ).scalar_one_or_none()
    if pair is None:
        pair = ForumPair(community_id=community.id, slug=p["slug"], opens_at=now,
                         closes_at=add_months(now, 2), allow_member_threads=False)
        db.session.add(pair)
        db.session.flush()

    if not pair.themes:
        for position, theme in enumerate(texts.THEMES):
            pair.themes.append(Theme(code=theme["code"], label_es=theme["es"], label_en=theme["en"],
                                     position=position))

    slugs = {"es": p["slug"], "en": "territorial-resilience"}
    for language in ("es", "en"):
        forum = db.session.execute(
            db.select(Forum).filter_by(pair_id=pair.id, language=language)
        ).scalar_one_or_none()
        if forum is None:
            note = (DEMO_DIR / f"concept_note_{language}.md").read_text(encoding="utf-8")
            forum = Forum(pair_id=pair.id, community_id=community.id, language=language,
                          slug=slugs[language], title=p[f"title_{language}"],
                          summary=p[f"summary_{language}"], concept_note_md=note, created_at=now)
            rendering.cook(forum)
            db.session.add(forum)
            db.session.flush()
            created["forums"] += 1
        _seed_questions(forum, users, created)
    created["webinars"] = _seed_webinar(community, pair, users)
    created["consultations"] = _seed_consultation(community, pair, users, now)
    db.session.commit()
    return created


def _seed_consultation(community: Community, pair: ForumPair, users: dict[str, User], now: datetime) -> int:
    """A questionnaire round open for two weeks, whose results join the forum's synthesis."""
    from forum.models import Process
    from forum.services import committees

    if db.session.execute(db.select(Process.id).filter_by(community_id=community.id)).first():
        return 0
    c = texts.CONSULTATION
    process = committees.save_process(users["organizer"], community, title_es=c["title_es"], title_en=c["title_en"],
                                      description_es=c["description_es"], description_en=c["description_en"],
                                      pair_id=pair.id)
    committees.save_round(users["organizer"], process, committees.RoundInput(
        kind="questionnaire", title_es=c["round_es"], title_en=c["round_en"],
        opens_at=to_local(now - timedelta(hours=1), community.timezone), closes_at=to_local(now + timedelta(days=14), community.timezone),
        questions=[committees.QuestionInput(**question) for question in c["questions"]]))
    return 1


def _seed_webinar(community: Community, pair: ForumPair, users: dict[str, User]) -> int:
    """The forum's closing webinar, the day after it closes, at 10:00 in Santiago."""
    from forum.services import webinar_registrations, webinars

    if db.session.execute(db.select(Webinar.id).filter_by(pair_id=pair.id)).first():
        return 0
    w = texts.WEBINAR
    start = to_local(pair.closes_at + timedelta(days=1), "America/Santiago").replace(hour=10, minute=0)
    data = webinars.WebinarInput(
        title_es=w["title_es"], title_en=w["title_en"], description_es=w["description_es"],
        description_en=w["description_en"], starts_at=start, timezone="America/Santiago", duration_minutes=120,
        interpretation=True, capacity=500, join_url="https://meet.example.org/resiliencia-territorial",
        pair_id=pair.id, speakers=[webinars.SpeakerInput(**speaker) for speaker in w["speakers"]])
    webinar = webinars.save_webinar(users["organizer"], community, data)
    for key in ("member", "participant_dm", "participant_pe", "participant_uy"):
        webinar_registrations.register_member(users[key], webinar)
    return 1


def _seed_questions(forum: Forum, users: dict[str, User], created: dict[str, int]) -> None:
    lang = forum.language
    for position, question in enumerate(texts.GUIDING_QUESTIONS, start=1):
        exists = db.session.execute(
            db.select(Thread.id).filter_by(forum_id=forum.id, kind="guiding_question", position=position)
        ).first()
        if exists:
            continue
        thread = posting.create_thread(forum, users["organizer"], title=question[lang],
                                       body=question[f"body_{lang}"], kind="guiding_question",
                                       position=position)
        created["threads"] += 1
        created["posts"] += 1
        replies = [r for r in texts.SAMPLE_REPLIES
                   if r["question"] == position - 1 and r["language"] == lang]
        for sample in replies:
            posting.add_post(thread, users[sample["author"]], sample["body"].strip())
            created["posts"] += 1
