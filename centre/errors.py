"""The domain's refusal, and the error pages."""
from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError

from centre.extensions import db
from centre.logs import request_id


class DomainError(Exception):
    """A rule refused the action; `message` is translatable and shown to the user."""

    def __init__(self, message, **params):
        super().__init__(str(message))
        self.message = message
        self.params = params

    def __str__(self):
        return str(self.message) % self.params if self.params else str(self.message)


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you sent.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Already done"), _l("This was done already.")),
    410: (_l("No longer available"), _l("This page is no longer available.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("Please wait a moment before trying again.")),
    503: (_l("Unavailable"), _l("This service is unavailable at the moment. Please try again later.")),
    500: (_l("Server error"), _l("Something went wrong on our side. The team has been told.")),
}


def error_page(code, text=None):
    """The error page for `code`, with its standard text or a more precise one."""
    title, default_text = ERROR_TEXTS[code]
    return render_template("errors/error.html", code=code, title=title, text=text or default_text), code


def register_error_handlers(app):
    for code in (c for c in ERROR_TEXTS if c not in (500, 503)):
        app.register_error_handler(code, lambda e, code=code: error_page(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _l("The form has expired or was sent from elsewhere. Please reload the page and try again."))

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        """A Host header that is not one of TRUSTED_HOSTS: no address can be built for it, so the
        answer is plain text rather than the page (whose links need one)."""
        title, _ = ERROR_TEXTS[400]
        text = _l("This site does not answer to the host name in your request.")
        return f"{title}\n\n{text}\n", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(500)
    def server_error(error):
        app.logger.exception("Server error on %s %s", request.method, request.path,
                             extra={"request_id": request_id()})
        db.session.rollback()
        return error_page(500)
