from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from centre.forms import options
from centre.models import Purpose, QuestionKind, QuestionTarget


class AnswerForm(FlaskForm):
    """The answering page: its questions are read by services.parse_answers (they depend on the
    questionnaire); this form carries the CSRF token and which button was pressed."""

    action = SelectField(choices=options((("save", "save"), ("submit", "submit"))), validators=[DataRequired()])


class QuestionnaireForm(FlaskForm):
    """A questionnaire for a session from a template version."""

    template_id = SelectField(_l("Template"), coerce=int, validators=[DataRequired()])
    is_anonymous = BooleanField(_l("Anonymous (answers tied to nobody)"))
    open_days = IntegerField(_l("Open for (days)"), default=21, validators=[InputRequired(), NumberRange(1, 365)])
    remind_after_days = IntegerField(_l("First reminder after (days)"), default=7,
                                     validators=[InputRequired(), NumberRange(0, 364)])
    remind_again_after_days = IntegerField(_l("Second reminder after (days)"), default=14,
                                           validators=[InputRequired(), NumberRange(0, 364)])
    follow_up_days = IntegerField(_l("Follow-up: days after the session's last day"), default=90,
                                  validators=[Optional(), NumberRange(1, 730)])


class TemplateForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40),
                                               Regexp(r"^[a-z0-9_-]+$", message=_l("Letters a-z, digits, - and _ only."))])
    purpose = SelectField(_l("Purpose"), choices=options((p.value, p.label) for p in Purpose))
    is_anonymous = BooleanField(_l("Anonymous by default"))
    title_fr = StringField(_l("Title in French"), validators=[DataRequired(), Length(max=300)])
    title_ar = StringField(_l("Title in Arabic"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title in English"), validators=[DataRequired(), Length(max=300)])
    intro_fr = TextAreaField(_l("Introduction in French"), validators=[Optional(), Length(max=2000)])
    intro_ar = TextAreaField(_l("Introduction in Arabic"), validators=[Optional(), Length(max=2000)])
    intro_en = TextAreaField(_l("Introduction in English"), validators=[Optional(), Length(max=2000)])

    def fields(self) -> dict:
        return {"code": self.code.data, "purpose": Purpose(self.purpose.data), "is_anonymous": self.is_anonymous.data,
                **{f"{name}_{lang}": (getattr(self, f"{name}_{lang}").data or "").strip()
                   for name in ("title", "intro") for lang in ("fr", "ar", "en")}}


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options((k.value, k.label) for k in QuestionKind))
    target = SelectField(_l("Asked about"), choices=options((t.value, t.label) for t in QuestionTarget))
    text_fr = StringField(_l("Question in French"), validators=[DataRequired(), Length(max=500)])
    text_ar = StringField(_l("Question in Arabic"), validators=[DataRequired(), Length(max=500)])
    text_en = StringField(_l("Question in English"), validators=[DataRequired(), Length(max=500)])
    is_required = BooleanField(_l("Required"), default=True)
    scale_max = IntegerField(_l("Top of the rating scale"), default=5, validators=[Optional(), NumberRange(2, 10)])
    choices = TextAreaField(_l("Choices, one a line: French | Arabic | English"),
                            validators=[Optional(), Length(max=5000)])

    def validate_choices(self, field):
        for line in (field.data or "").splitlines():
            if line.strip() and len(line.split("|")) != 3:
                raise ValidationError(_l("Write each choice as: French | Arabic | English."))

    def fields(self) -> dict:
        choices = [dict(zip(("fr", "ar", "en"), (part.strip() for part in line.split("|"))))
                   for line in (self.choices.data or "").splitlines() if line.strip()]
        return {"kind": QuestionKind(self.kind.data), "target": QuestionTarget(self.target.data),
                "is_required": self.is_required.data, "scale_max": self.scale_max.data or 5, "choices": choices,
                **{f"text_{lang}": self[f"text_{lang}"].data.strip() for lang in ("fr", "ar", "en")}}


class ResultsDownloadForm(FlaskForm):
    """?language= of a results PDF."""

    class Meta:
        csrf = False

    language = SelectField(choices=options((("fr", "fr"), ("ar", "ar"))), default="fr")
