from datetime import timedelta

from flask import Response as HttpResponse
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from centre.errors import DomainError, error_page
from centre.evaluation import answering, bp, figures, questionnaires, recipients
from centre.evaluation import results as results_view
from centre.evaluation import templates as questionnaire_templates  # `templates` is the templates page's view
from centre.evaluation.forms import AnswerForm, QuestionForm, QuestionnaireForm, ResultsDownloadForm, TemplateForm
from centre.exports.writers import MIMETYPES, xlsx_bytes
from centre.extensions import db
from centre.forms import ConfirmForm
from centre.i18n import current_language, localized, text_direction
from centre.models import Purpose, Role
from centre.pdf import render_pdf, require_arabic_font
from centre.permissions import get_question, get_questionnaire, get_questionnaire_template, get_training_session
from centre.web import perform


def _chosen_language() -> str | None:
    """The language chosen with the switch; else the answering pages speak the recipient's."""
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    return chosen if chosen in current_app.config["LANGUAGES"] else None


# Answering, by personal link: no account


@bp.route("/q/<link>", methods=["GET", "POST"])
def answer(link):
    try:
        invitation = answering.invitation_of(link)
    except answering.LinkRefused as refused:
        with force_locale(_chosen_language() or refused.language or current_language()):
            return error_page(refused.status, str(refused))
    language = _chosen_language() or invitation.language
    questionnaire = invitation.questionnaire
    form = AnswerForm()
    error, values, status = None, answering.saved_answers(invitation), 200
    with force_locale(language):
        if request.method == "POST":
            if not form.validate_on_submit():
                error, status = _("The form has expired. Please reload the page and try again."), 400
            else:
                submit = form.action.data == "submit"
                values = _form_values(questionnaire, language)
                try:
                    parsed = answering.parse_answers(questionnaire, request.form, language, complete=submit)
                except DomainError as refused:
                    db.session.rollback()
                    error, status = str(refused), 400
                else:
                    outcome = perform(lambda: answering.answer(invitation, parsed, submit=submit), show_error=False,
                                      success=None)
                    if outcome:
                        if submit:
                            return redirect(url_for("evaluation.thanks", language=language))
                        flash(_("Your answers are saved. Come back with the same link to finish."), "success")
                        return redirect(url_for("evaluation.answer", link=link))
                    error, status = str(outcome.error), 400
        return render_template("evaluation/answer.html", invitation=invitation, questionnaire=questionnaire,
                               s=questionnaire.training_session, items=answering.items(questionnaire, language),
                               values=values, form=form, error=error, language=language), status


def _form_values(questionnaire, language) -> dict:
    """What was typed, to show it again next to a refusal."""
    values = {}
    for item in answering.items(questionnaire, language):
        if item.question.kind.value == "multiple":
            values[item.field] = [int(v) for v in request.form.getlist(item.field) if v.isascii() and v.isdigit()]
        else:
            raw = request.form.get(item.field, "")
            values[item.field] = int(raw) if item.question.kind.value in ("rating", "single") and raw.isascii() \
                and raw.isdigit() and len(raw) < 3 else raw[: answering.MAX_TEXT]
    return values


@bp.route("/thanks")
def thanks():
    language = request.args.get("language")
    with force_locale(_chosen_language() or (language if language in current_app.config["LANGUAGES"]
                                             else current_language())):
        return render_template("evaluation/thanks.html")


# A session's questionnaires (staff)


@bp.route("/session/<int:session_id>")
def session(session_id):
    training_session = get_training_session(session_id)
    return _session_page(training_session, QuestionnaireForm(formdata=None))


def _session_page(training_session, form, status=200):
    _template_choices(form)
    return render_template("evaluation/session.html", s=training_session,
                           questionnaires=questionnaires.session_questionnaires(training_session), form=form,
                           confirm=ConfirmForm(), positioning=figures.positioning_results(
                               training_session, current_language())), status


def _template_choices(form):
    form.template_id.choices = [(t.id, f"{localized(t, 'title')} · v{t.version} ({t.purpose.label})")
                                for t in questionnaire_templates.templates()]


@bp.route("/session/<int:session_id>/create", methods=["POST"])
def create(session_id):
    training_session = get_training_session(session_id)
    form = QuestionnaireForm()
    _template_choices(form)
    if form.validate_on_submit():
        template = get_questionnaire_template(form.template_id.data)
        send_on = None
        if template.purpose == Purpose.FOLLOW_UP and form.follow_up_days.data:
            send_on = training_session.end_on + timedelta(days=form.follow_up_days.data)
        if perform(lambda: questionnaires.create_questionnaire(
                training_session, template, current_user, is_anonymous=form.is_anonymous.data,
                open_days=form.open_days.data, remind_after_days=form.remind_after_days.data,
                remind_again_after_days=form.remind_again_after_days.data, send_on=send_on),
                success=_("The questionnaire is created."), errors=form.form_errors):
            return redirect(url_for("evaluation.session", session_id=session_id))
    return _session_page(training_session, form, 400)


@bp.route("/questionnaire/<int:questionnaire_id>/send", methods=["POST"])
def send(questionnaire_id):
    questionnaire = get_questionnaire(questionnaire_id)
    if ConfirmForm().validate_on_submit():
        perform(lambda: questionnaires.send_questionnaire(questionnaire, current_user),
                success=lambda n: _("The questionnaire is sent to %(count)s recipients.", count=n))
    return redirect(url_for("evaluation.session", session_id=questionnaire.session_id))


@bp.route("/questionnaire/<int:questionnaire_id>/close", methods=["POST"])
def close(questionnaire_id):
    questionnaire = get_questionnaire(questionnaire_id)
    if ConfirmForm().validate_on_submit():
        perform(lambda: questionnaires.close_questionnaire(questionnaire, current_user),
                success=_("The questionnaire is closed."))
    return redirect(url_for("evaluation.session", session_id=questionnaire.session_id))


# Results


@bp.route("/questionnaire/<int:questionnaire_id>")
def results(questionnaire_id):
    questionnaire = get_questionnaire(questionnaire_id)
    language = current_language()
    found = figures.results(questionnaire, language)
    return render_template("evaluation/results.html", q=questionnaire, s=questionnaire.training_session,
                           results=found, charts=results_view.charts(found, language, text_direction(language)),
                           question_text=results_view.question_text, recipient_name=recipients.recipient_name)


@bp.route("/questionnaire/<int:questionnaire_id>/results.xlsx")
def results_xlsx(questionnaire_id):
    questionnaire = get_questionnaire(questionnaire_id)
    language = current_language()
    table = results_view.answers_table(questionnaire, figures.results(questionnaire, language), language)
    perform(lambda: results_view.record_export(questionnaire, current_user._get_current_object(), format="xlsx",
                                               language=language))
    return HttpResponse(xlsx_bytes(table), mimetype=MIMETYPES["xlsx"],
                        headers={"Content-Disposition": f'attachment; filename="{table.name}.xlsx"'})


@bp.route("/questionnaire/<int:questionnaire_id>/results.pdf")
def results_pdf(questionnaire_id):
    questionnaire = get_questionnaire(questionnaire_id)
    form = ResultsDownloadForm(request.args)
    if not form.validate():
        return error_page(400, _("Choose French or Arabic."))
    language = form.language.data
    try:
        if language == "ar":
            require_arabic_font()
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("evaluation.results", questionnaire_id=questionnaire_id))
    with force_locale(language):
        direction = text_direction(language)
        found = figures.results(questionnaire, language)
        pdf = render_pdf("pdf/questionnaire_results.html", q=questionnaire, s=questionnaire.training_session,
                         results=found, charts=results_view.charts(found, language, direction), language=language,
                         direction=direction, question_text=results_view.question_text,
                         bar_percent=results_view.bar_percent, recipient_name=recipients.recipient_name)
    name = f"questionnaire-{questionnaire.training_session.code}-{questionnaire.purpose.value}-{language}.pdf"
    return HttpResponse(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/session/<int:session_id>/positioning")
def positioning(session_id):
    """The positioning answers, for the staff and for the experts who teach the session."""
    training_session = get_training_session(session_id)
    if current_user.role == Role.EXPERT and not figures.trainer_may_see(training_session, current_user):
        abort(404)
    language = current_language()
    found = figures.positioning_results(training_session, language)
    if found is None:
        abort(404)
    return render_template("evaluation/results.html", q=found.questionnaire, s=training_session, results=found,
                           charts=results_view.charts(found, language, text_direction(language)),
                           question_text=results_view.question_text, recipient_name=recipients.recipient_name)


# Templates


@bp.route("/templates", methods=["GET", "POST"])
def templates():
    form = TemplateForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(lambda: questionnaire_templates.create_template(current_user, **form.fields()),
                          success=_("The template is created: add its questions."), errors=form.form_errors)
        if outcome:
            return redirect(url_for("evaluation.template", template_id=outcome.result.id))
    if form.is_submitted():
        status = 400
    return render_template("evaluation/templates.html", templates=questionnaire_templates.templates(), form=form,
                           confirm=ConfirmForm()), status


@bp.route("/templates/load-defaults", methods=["POST"])
def load_defaults():
    if ConfirmForm().validate_on_submit():
        perform(lambda: questionnaire_templates.load_default_templates(current_user),
                success=lambda created: _("%(count)s templates loaded.", count=len(created)))
    return redirect(url_for("evaluation.templates"))


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
def template(template_id):
    questionnaire_template = get_questionnaire_template(template_id)
    form = QuestionForm()
    status = 200
    if form.validate_on_submit():
        if perform(lambda: questionnaire_templates.add_question(questionnaire_template, current_user, **form.fields()),
                   success=_("The question is added."), errors=form.form_errors):
            return redirect(url_for("evaluation.template", template_id=template_id))
    if form.is_submitted():
        status = 400
    return render_template("evaluation/template.html", t=questionnaire_template, form=form, confirm=ConfirmForm(),
                           locked=questionnaire_templates.is_locked(questionnaire_template)), status


@bp.route("/templates/<int:template_id>/questions/<int:question_id>/remove", methods=["POST"])
def question_remove(template_id, question_id):
    question = get_question(template_id, question_id)
    if ConfirmForm().validate_on_submit():
        perform(lambda: questionnaire_templates.remove_question(question, current_user),
                success=_("The question is removed."))
    return redirect(url_for("evaluation.template", template_id=template_id))


@bp.route("/templates/<int:template_id>/new-version", methods=["POST"])
def new_version(template_id):
    questionnaire_template = get_questionnaire_template(template_id)
    if ConfirmForm().validate_on_submit():
        outcome = perform(lambda: questionnaire_templates.new_version(questionnaire_template, current_user),
                          success=_("A new version is made: change it here."))
        if outcome:
            return redirect(url_for("evaluation.template", template_id=outcome.result.id))
    return redirect(url_for("evaluation.template", template_id=template_id))
