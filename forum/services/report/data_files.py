"""The data behind the report, for researchers: one CSV row per post and per participant (column
names in English, cells safe to open in a spreadsheet), and the whole structure as JSON."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import date, datetime

from forum.services import safe_cell
from forum.services.synthesis_model import PostItem, Report

POST_COLUMNS = ("post_id", "url", "forum_language", "question", "thread_title", "created_at_utc", "author",
                "author_number", "named", "country", "institution", "sector", "highlight", "useful_marks",
                "themes", "reply_to", "text")
PARTICIPANT_COLUMNS = ("author_number", "author", "named", "country", "institution", "sector", "languages",
                       "posts", "highlighted_posts", "useful_marks", "first_post_utc", "last_post_utc")


def _all_posts(report: Report) -> list[PostItem]:
    seen, items = set(), []
    for section in report.questions:
        for item in section.highlights + [p for g in section.themes for p in g.posts] + section.remaining:
            if item.id not in seen:
                seen.add(item.id)
                items.append(item)
    items.extend(i for i in report.other_threads if i.id not in seen)
    return sorted(items, key=lambda i: (i.created_at, i.id))


def posts_csv(report: Report) -> str:
    """One row per post, every field a researcher would want; column names stay in English."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(POST_COLUMNS)
    for item in _all_posts(report):
        a = item.author
        writer.writerow([item.id, item.url, item.language, item.question or "", safe_cell(item.thread_title),
                         item.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), safe_cell(a.label), a.number, int(a.named),
                         a.country or "", safe_cell(a.institution or ""), a.sector or "", int(item.highlight),
                         item.useful, ";".join(item.themes), item.reply_to or "", safe_cell(item.text)])
    return out.getvalue()


def participants_csv(report: Report) -> str:
    people: dict[int, dict] = {}
    for item in _all_posts(report):
        a = item.author
        row = people.setdefault(a.number, {"author": a, "languages": set(), "posts": 0, "highlighted": 0,
                                           "useful": 0, "first": item.created_at, "last": item.created_at})
        row["languages"].add(item.language)
        row["posts"] += 1
        row["highlighted"] += int(item.highlight)
        row["useful"] += item.useful
        row["first"], row["last"] = min(row["first"], item.created_at), max(row["last"], item.created_at)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PARTICIPANT_COLUMNS)
    for number in sorted(people):
        row, a = people[number], people[number]["author"]
        writer.writerow([a.number, safe_cell(a.label), int(a.named), a.country or "", safe_cell(a.institution or ""),
                         a.sector or "",
                         ";".join(sorted(row["languages"])), row["posts"], row["highlighted"], row["useful"],
                         row["first"].strftime("%Y-%m-%dT%H:%M:%SZ"), row["last"].strftime("%Y-%m-%dT%H:%M:%SZ")])
    return out.getvalue()


def to_json(report: Report) -> str:
    """The whole structure (schema in the README), with ISO dates."""
    def default(value):
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        raise TypeError(type(value))

    data = dataclasses.asdict(report)
    data.pop("findings", None)  # the organizer's review list quotes what may identify people: never shared
    return json.dumps(data, default=default, ensure_ascii=False, indent=1)
