"""The outbox: queued in the request's transaction, delivered by a job over real SMTP."""
import threading

from forum.mail import deliver_due, queue_email
from forum.models import OutboxMessage
from tests.conftest import outbox, text_part


def test_a_dedupe_key_is_queued_once(db, make_user):
    user = make_user()
    assert queue_email(to=user, template="confirm_email", token="t", dedupe_key="k:1") is not None
    assert queue_email(to=user, template="confirm_email", token="t", dedupe_key="k:1") is None
    db.session.commit()
    assert len(outbox()) == 1


def test_delivery_over_smtp_marks_sent_and_the_message_reads_back(db, smtp, make_user):
    user = make_user("Marcia", email="marcia@example.org", locale="en")
    queue_email(to=user, template="confirm_email", token="abc", dedupe_key="k:2")
    db.session.commit()
    assert deliver_due() == {"sent": 1, "retrying": 0, "failed": 0}
    [message] = smtp.messages
    assert message["To"] == "marcia@example.org"
    assert "Hello Marcia," in text_part(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'style="' in html and "<style>" not in html  # CSS inlined for mail clients
    [row] = outbox()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    assert deliver_due()["sent"] == 0  # never twice


def test_a_failing_server_is_retried_later_with_the_error_kept(db, smtp, make_user):
    user = make_user()
    queue_email(to=user, template="confirm_email", token="abc", dedupe_key="k:3")
    db.session.commit()
    smtp.fail_next = 1
    assert deliver_due()["retrying"] == 1
    [row] = outbox()
    assert row.status == "queued" and row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at > row.created_at
    row.next_attempt_at = row.created_at
    db.session.commit()
    assert deliver_due()["sent"] == 1
    assert len(smtp.messages) == 1


def test_two_deliverers_at_once_send_each_message_once(app, db, smtp, make_user):
    users = [make_user() for _ in range(12)]
    for u in users:
        queue_email(to=u, template="confirm_email", token="t", dedupe_key=f"race:{u.id}")
    db.session.commit()

    def run():
        with app.app_context():
            deliver_due()
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m["To"] for m in smtp.messages) == sorted(u.email for u in users)
    assert {r.status for r in outbox()} == {"sent"}


def test_development_backend_writes_eml_files_and_prints_the_path(app, db, make_user, capsys, tmp_path):
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_DIR=str(tmp_path))
    try:
        queue_email(to=make_user(), template="confirm_email", token="t", dedupe_key="k:file")
        db.session.commit()
        deliver_due()
    finally:
        app.config["MAIL_BACKEND"] = "smtp"
    [path] = tmp_path.glob("*.eml")
    assert str(path) in capsys.readouterr().out
    assert b"Subject:" in path.read_bytes()


def test_mail_deliver_command_reports_counts(runner, db, smtp, make_user):
    queue_email(to=make_user(), template="confirm_email", token="t", dedupe_key="k:cli")
    db.session.commit()
    result = runner.invoke(args=["mail", "deliver"])
    assert "sent 1" in result.output
    assert db.session.execute(db.select(OutboxMessage.status)).scalar() == "sent"
