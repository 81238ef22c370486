"""Shared resources of a community: documents and links, with files checked by content."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from forum.extensions import db
from forum.models import Community, Resource, User, utcnow
from forum.policy import can
from forum.services import DomainError, like_pattern
from forum.services.atomic import atomic
from forum.text import fit, shorten
from forum.uploads import storage

# What may be uploaded, by what the bytes are (not what the name says).
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
PER_PAGE = 20


def path_of(resource: Resource) -> Path:
    return storage() / resource.file_key


def clean_tags(raw: str | None) -> str:
    tags = []
    for tag in re.split(r"[,;\n]", raw or ""):
        tag = shorten(" ".join(tag.split()).lower(), 40)
        if tag and tag not in tags:
            tags.append(tag)
    return fit(Resource.tags, ", ".join(tags[:12]))


def _safe_file_name(name: str, extension: str) -> str:
    stem = os.path.splitext(os.path.basename(name or ""))[0]
    stem = shorten(re.sub(r"[^\w\-. ]+", "", stem, flags=re.UNICODE).strip(" ."), 100) or "document"
    return f"{stem}.{extension}"


@atomic
def add_resource(user: User, community: Community, *, title: str, summary: str, language: str,
                 tags: str, url: str | None, upload=None) -> Resource:
    """`upload` is a werkzeug FileStorage or None; a link or a file (or both) is needed."""
    if not can(user, "resource.add", community):
        raise DomainError(_l("Only members of the community can share resources."))
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(_l("Give the resource a title."), field="title")
    if len(title) > 300:
        raise DomainError(_l("A title can be at most %(n)d characters.", n=300), field="title")
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose a language from the list."), field="language")
    url = (url or "").strip() or None
    if url and (not re.match(r"^https?://[^\s/$.?#].[^\s]*$", url) or len(url) > 1000):
        raise DomainError(_l("Enter a web address that starts with http:// or https://."), field="url")
    has_file = upload is not None and getattr(upload, "filename", "")
    if not url and not has_file:
        raise DomainError(_l("Add a file or a link."), field="upload")

    resource = Resource(community_id=community.id, title=title, summary=(summary or "").strip()[:5000],
                        language=language, tags=clean_tags(tags), url=url, added_by_id=user.id,
                        created_at=utcnow())
    if has_file:
        data = upload.read(current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024 + 1)
        if len(data) > current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024:
            raise DomainError(_l("The file is larger than %(n)d MB.", n=current_app.config["MAX_UPLOAD_MB"]),
                              field="upload")
        if not data:
            raise DomainError(_l("The file is empty."), field="upload")
        kind = filetype.guess(data)
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise DomainError(_l("This kind of file is not accepted. Use PDF, Word, Excel, PowerPoint, "
                                 "OpenDocument or an image."), field="upload")
        resource.file_key = secrets.token_hex(16)
        resource.file_type = kind.mime
        resource.file_size = len(data)
        resource.file_name = _safe_file_name(upload.filename, ALLOWED_TYPES[kind.mime])
        path_of(resource).write_bytes(data)
    db.session.add(resource)
    return resource


@atomic
def delete_resource(user: User, resource: Resource) -> None:
    """Soft: the entry leaves the lists; the file stays on disk (nothing is lost)."""
    if not can(user, "resource.delete", resource):
        raise DomainError(_l("You cannot remove this resource."))
    resource.deleted_at = utcnow()


def browse(community: Community, *, query: str = "", tag: str = "", language: str = "",
           page: int = 1) -> tuple[list[Resource], bool]:
    conditions = [Resource.community_id == community.id, Resource.deleted_at.is_(None)]
    for word in (query or "").split()[:8]:
        like = like_pattern(word)
        conditions.append(or_(func.lower(Resource.title).like(like, escape="\\"),
                              func.lower(Resource.summary).like(like, escape="\\"),
                              func.lower(Resource.tags).like(like, escape="\\")))
    if tag:
        tag = tag.lower()
        conditions.append(or_(Resource.tags == tag, Resource.tags.startswith(f"{tag}, ", autoescape=True),
                              Resource.tags.endswith(f", {tag}", autoescape=True),
                              Resource.tags.contains(f", {tag}, ", autoescape=True)))
    if language in current_app.config["LANGUAGES"]:
        conditions.append(Resource.language == language)
    rows = list(db.session.execute(
        select(Resource).where(*conditions).order_by(Resource.created_at.desc(), Resource.id.desc())
        .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).scalars())
    return rows[:PER_PAGE], len(rows) > PER_PAGE

