"""E-mail goes out over SMTP in the recipient's language, or into the instance folder."""
from centre.extensions import db
from centre.mail import send


def test_message_goes_through_a_real_smtp_server_in_the_recipients_language(app, smtp_server):
    with app.app_context():
        send("amina@example.org", "test_message", "ar", name="أمينة")
        send("jean@example.org", "test_message", "fr", name="Jean")
        db.session.commit()  # the outbox's jobs send them (inline in the tests)
    arabic, = smtp_server.to("amina@example.org")
    french, = smtp_server.to("jean@example.org")
    assert arabic["Content-Language"] == "ar" and "أمينة" in arabic.get_content()
    assert arabic["Subject"] != french["Subject"]
    assert "Bonjour Jean" in french.get_content()


def test_without_a_server_messages_are_written_to_the_folder(app, tmp_path):
    app.config.update(MAIL_SERVER="", MAIL_FOLDER=str(tmp_path / "outbox"))
    with app.app_context():
        send("jean@example.org", "test_message", "en", name="Jean")
        db.session.commit()
    written, = (tmp_path / "outbox").glob("*.eml")
    text = written.read_text()
    assert "To: jean@example.org" in text and "Hello Jean," in text
