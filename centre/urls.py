"""Addresses on this site for messages and documents (mails' links, the certificate's QR code)."""
from flask import current_app, has_request_context, request


def absolute_url(endpoint: str, **values) -> str:
    """An address on this site for a message or a document, on PUBLIC_BASE_URL.

    Production refuses to start without it (config.py), so that no link in a mail follows the
    Host header a client sent. Development and the tests without it fall back to the current
    request's host (the CLI to the development server's)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    base = current_app.config["PUBLIC_BASE_URL"] or (
        request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    )
    return base.rstrip("/") + path


def links_need_public_address() -> bool:
    """Whether mail written now, outside a request, would carry links to this machine to real readers:
    no PUBLIC_BASE_URL while mail leaves through an SMTP server or the app runs in production. The
    commands that send mail refuse to run then (absolute_url's fallback suits only the development
    server's own mail folder)."""
    config = current_app.config
    return not config["PUBLIC_BASE_URL"] and (config["ENV_NAME"] == "production" or bool(config.get("MAIL_SERVER")))
