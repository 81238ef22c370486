"""Uploaded files on disk: where they live, images checked by their bytes, and served so that
they cannot run. Below the services (resources, communities' logos, speakers' photos) and the
views that serve them."""
from __future__ import annotations

import secrets
from pathlib import Path

import filetype
from flask import current_app, send_file
from flask_babel import lazy_gettext as _l

from forum.errors import ValidationErrors

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
IMAGE_MAX_BYTES = 2 * 1024 * 1024


def storage() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_image(upload, field: str) -> tuple[str, str]:
    """A logo or a speaker's photo: checked by its bytes, at most 2 MB; returns (key, mime type)."""
    data = upload.read(IMAGE_MAX_BYTES + 1)
    if len(data) > IMAGE_MAX_BYTES:
        raise ValidationErrors({field: _l("The file is larger than %(n)d MB.", n=IMAGE_MAX_BYTES // 1024 // 1024)})
    kind = filetype.guess(data) if data else None
    if kind is None or kind.mime not in IMAGE_TYPES:
        raise ValidationErrors({field: _l("Use a PNG, JPEG, GIF or WebP image.")})
    key = secrets.token_hex(16)
    (storage() / key).write_bytes(data)
    return key, kind.mime


def send_image(key: str, mime: str):
    """An uploaded image as a response that cannot run anything, even if a browser sniffed it."""
    response = send_file(storage() / key, mimetype=mime, max_age=3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
