import re

from flask_wtf import FlaskForm

from centre.models import MarkStatus

_CELL = re.compile(r"^mark-(\d+)-(\d+)$")


class GridForm(FlaskForm):
    """The attendance grid: one select per trainee and slot, named mark-<registration>-<slot>."""

    def marks(self, formdata) -> dict[tuple[int, int], MarkStatus] | None:
        """The marks posted, or None if a cell's name or value is not one the grid shows."""
        marks = {}
        for name, value in formdata.items():
            match = _CELL.match(name)
            if not match:
                continue
            if not value:
                continue  # left blank: not marked yet
            try:
                marks[int(match[1]), int(match[2])] = MarkStatus(value)
            except ValueError:
                return None
        return marks
