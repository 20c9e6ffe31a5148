from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from centre.forms import options
from centre.models import Recommendation
from centre.sessions.forms import expert_options


class ReviewForm(FlaskForm):
    """An expert's review of a session's theme and programme."""

    score_relevance = IntegerField(_l("Relevance (1–5)"), validators=[InputRequired(), NumberRange(1, 5)])
    score_methodology = IntegerField(_l("Methodology (1–5)"), validators=[InputRequired(), NumberRange(1, 5)])
    score_audience = IntegerField(_l("Fit for the audience (1–5)"), validators=[InputRequired(), NumberRange(1, 5)])
    recommendation = SelectField(_l("Recommendation"), choices=options((r.value, r.label) for r in Recommendation))
    comments = TextAreaField(_l("Comments"), validators=[Optional(), Length(max=10000)])

    def answers(self) -> dict:
        return {
            "score_relevance": self.score_relevance.data,
            "score_methodology": self.score_methodology.data,
            "score_audience": self.score_audience.data,
            "recommendation": Recommendation(self.recommendation.data),
            "comments": (self.comments.data or "").strip(),
        }


class ReviewRecordForm(ReviewForm):
    """A coordinator records a review an expert handed in."""

    # Its own id: the session page also shows the assignment form, with an expert_id of its own.
    expert_id = SelectField(_l("Expert"), id="record-expert_id", coerce=int, validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expert_id.choices = expert_options()


class AssignForm(FlaskForm):
    expert_id = SelectField(_l("Expert"), coerce=int, validators=[DataRequired()])
    due_on = DateField(_l("Review due on"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expert_id.choices = expert_options()


class ConflictForm(FlaskForm):
    note = TextAreaField(_l("What is the conflict of interest?"),
                         validators=[DataRequired(), Length(max=2000)])
