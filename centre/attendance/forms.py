import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from centre.attendance.services import NOTE_MAX
from centre.attendance.signatures import MAX_DATA_URL
from centre.forms import options
from centre.models import MarkStatus

_CELL = re.compile(r"^(mark|note)-(\d+)-(\d+)$")


class GridForm(FlaskForm):
    """The attendance grid: per trainee and slot a select mark-<registration>-<slot> and a
    text note-<registration>-<slot>; a reason when correcting a completed session."""

    reason = StringField(_l("Reason for the correction"), validators=[Optional(), Length(max=500)])

    def cells(self, formdata) -> tuple[dict[tuple[int, int], MarkStatus], dict[tuple[int, int], str]] | None:
        """The marks and notes posted, or None if a mark's value is not one the grid shows."""
        marks, notes = {}, {}
        for name, value in formdata.items():
            match = _CELL.match(name)
            if not match:
                continue
            key = int(match[2]), int(match[3])
            if match[1] == "note":
                notes[key] = value
            elif value:  # a blank mark: not marked yet
                try:
                    marks[key] = MarkStatus(value)
                except ValueError:
                    return None
        # A blank note of a cell left unmarked says nothing.
        notes = {key: note for key, note in notes.items() if key in marks or note.strip()}
        return marks, notes


class MarkForm(FlaskForm):
    """One cell of the grid, saved on its own by the page's script."""

    registration_id = IntegerField(validators=[InputRequired()])
    slot_id = IntegerField(validators=[InputRequired()])
    status = SelectField(_l("Mark"), choices=options([("", "—"), *((s.value, s.label) for s in MarkStatus)]),
                         validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    reason = StringField(_l("Reason for the correction"), validators=[Optional(), Length(max=500)])


class ReasonForm(FlaskForm):
    """A bulk change of the grid ("everyone present"): only the reason, when correcting."""

    reason = StringField(_l("Reason for the correction"), validators=[Optional(), Length(max=500)])


class CheckInForm(FlaskForm):
    """The trainee's confirmation that they are in the room."""


class SignatureForm(FlaskForm):
    """A signature drawn on the page's canvas, sent by its script as a PNG data URL."""

    registration_id = IntegerField(validators=[Optional()])  #: the trainee's registration; none for a trainer
    signature = HiddenField(_l("Signature"), validators=[Length(max=MAX_DATA_URL)])
