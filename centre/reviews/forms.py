import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from centre.forms import options
from centre.extensions import db
from centre.i18n import country_name
from centre.models import Expert, Recommendation


class ReviewRecordForm(FlaskForm):
    """A coordinator records a review an expert handed in."""

    expert_id = SelectField(_l("Expert"), coerce=int, validators=[DataRequired()])
    score_relevance = IntegerField(_l("Relevance (1–5)"), validators=[DataRequired(), NumberRange(1, 5)])
    score_methodology = IntegerField(_l("Methodology (1–5)"), validators=[DataRequired(), NumberRange(1, 5)])
    score_audience = IntegerField(_l("Fit for the audience (1–5)"), validators=[DataRequired(), NumberRange(1, 5)])
    recommendation = SelectField(_l("Recommendation"), choices=options((r.value, r.label) for r in Recommendation))
    comments = TextAreaField(_l("Comments"), validators=[Optional(), Length(max=10000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        experts = db.session.scalars(sa.select(Expert).order_by(Expert.family_name, Expert.given_name)).all()
        self.expert_id.choices = options(
            (e.id, f"{e.name} — {country_name(e.nationality)}") for e in experts
        )
