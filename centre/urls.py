"""Addresses on this site for messages and documents (mails' links, the certificate's QR code)."""
from flask import current_app, has_request_context, request


def absolute_url(endpoint: str, **values) -> str:
    """An address on this site for a message or a document: PUBLIC_BASE_URL if set, else the
    current request's host (the CLI without it falls back to the development server)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    base = current_app.config["PUBLIC_BASE_URL"] or (
        request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    )
    return base.rstrip("/") + path
