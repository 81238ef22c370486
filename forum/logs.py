"""Structured logs: one line per request (status, duration) and one per job run.

`LOG_FORMAT=json` writes one JSON object per line, for a log collector;
the default writes `key=value` pairs that read well in journalctl.
"""
from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from flask import Flask, g, request

REQUESTS = logging.getLogger("forum.requests")


class StructuredFormatter(logging.Formatter):
    def __init__(self, style_name: str = "text"):
        super().__init__()
        self.json = style_name == "json"

    def format(self, record: logging.LogRecord) -> str:
        fields = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname.lower(),
                  "logger": record.name, "message": record.getMessage()}
        fields.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        if self.json:
            return json.dumps(fields, ensure_ascii=False, default=str)
        return " ".join(f"{key}={_quote(value)}" for key, value in fields.items())


def _quote(value) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or any(c in text for c in ' "=\n')) else text


def configure(level: str = "INFO", style_name: str = "text") -> None:
    """Once per process (web worker, scheduler, CLI): our handler on the root logger."""
    root = logging.getLogger()
    if any(getattr(h, "_forum", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(StructuredFormatter(style_name))
    handler._forum = True
    root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    if not app.testing:
        configure(app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FORMAT", "text"))

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex[:12]

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        if started is not None and request.endpoint != "static":
            from flask_login import current_user

            REQUESTS.info("request", extra={"fields": {
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user": current_user.id if current_user and current_user.is_authenticated else "-",
                "ip": request.remote_addr or "-", "request_id": g.get("request_id")}})
        response.headers.setdefault("X-Request-ID", g.get("request_id", ""))
        return response


def job_line(name: str, outcome: str, duration: float, **fields) -> None:
    logging.getLogger("forum.jobs").info("job", extra={"fields": {
        "job": name, "outcome": outcome, "duration_ms": round(duration * 1000, 1), **fields}})
