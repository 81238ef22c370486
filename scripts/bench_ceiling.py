"""The ceiling for scripts/bench-http: a bare Flask + SQLAlchemy + Jinja page rendering the same
30 posts as the forum's thread page, with nothing else (no sessions, i18n, permissions, layout)."""
import os

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

from config import normalise_db_url

app = Flask(__name__)
engine = create_engine(normalise_db_url(os.environ["DATABASE_URL"]), pool_pre_ping=True)
PAGE = """<!doctype html><html><head><title>{{ title }}</title></head><body><h1>{{ title }}</h1>
{% for post in posts %}<article><p>{{ post.display_name }} · {{ post.created_at }}</p>{{ post.body_html|safe }}</article>
{% endfor %}</body></html>"""


@app.get("/threads/<int:thread_id>")
def thread(thread_id: int):
    with engine.connect() as connection:
        title = connection.execute(text("SELECT title FROM threads WHERE id = :id"), {"id": thread_id}).scalar()
        posts = connection.execute(text(
            "SELECT posts.body_html, posts.created_at, users.display_name FROM posts "
            "JOIN users ON users.id = posts.author_id WHERE posts.thread_id = :id ORDER BY posts.number LIMIT 30"),
            {"id": thread_id}).mappings().all()
    return render_template_string(PAGE, title=title, posts=posts)
