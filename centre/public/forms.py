from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class PdfCheckForm(FlaskForm):
    """The verification page's file check: a certificate's PDF, read and forgotten."""

    document = FileField(_l("Certificate file (PDF)"), validators=[
        FileRequired(_l("Choose the PDF file to check.")),
        FileAllowed(["pdf"], _l("Only a PDF file can be checked.")),
    ], render_kw={"accept": ".pdf,application/pdf"})
