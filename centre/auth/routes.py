import math

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from centre.auth import bp
from centre.auth import services
from centre.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignInLinkForm
from centre.auth.services import SignInLocked, authenticate
from centre.errors import DomainError
from centre.extensions import db
from centre.forms import ConfirmForm
from centre.i18n import current_language, format_time
from centre.models.types import utcnow
from centre.permissions import safe_next_url
from centre.web import perform, throttled_answer


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            user = authenticate(form.email.data, form.password.data, ip=request.remote_addr, now=now)
        except SignInLocked as locked:
            db.session.commit()  # the failure that locked, and its audit entries
            return locked_page(form, locked.until, now)
        except services.AddressNotProved as refusal:
            form.email.errors.append(str(refusal))
            return render_template("auth/login.html", form=form), 400
        if user is None:
            db.session.commit()  # the failure counts towards a lock
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.full_name or user.email), "success")
            return redirect(safe_next_url(request.args.get("next"), url_for("main.dashboard")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def locked_page(form, until, now):
    """429 with the time sign-in reopens, in words and in Retry-After."""
    seconds = max(math.ceil((until - now).total_seconds()), 1)
    minutes = math.ceil(seconds / 60)
    flash(ngettext("Too many failed sign-in attempts. Please try again in %(num)d minute, at %(time)s.",
                   "Too many failed sign-in attempts. Please try again in %(num)d minutes, at %(time)s.",
                   minutes, time=format_time(until)), "error")
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/logout/everywhere", methods=["POST"])
def logout_everywhere():
    """End every sign-in of the account: other browsers, a lost phone, a copied cookie, and this one."""
    user = current_user._get_current_object()
    if perform(lambda: services.sign_out_everywhere(user),
               success=_("You are signed out on every device. Sign in again to continue."), category="info"):
        logout_user()
    return redirect(url_for("main.index"))


@bp.route("/login/link", methods=["GET", "POST"])
def sign_in_link():
    """A trainee who forgot their password asks for a sign-in link by e-mail."""
    return _send_link(SignInLinkForm(), "sign_in_link", services.send_sign_in_link, "auth/sign_in_link.html",
                      _("If a trainee account uses this address, a sign-in link is on its way. It works "
                        "once, for one hour."))


def _send_link(form, kind, send, template, answer):
    """Mail a link to the address typed, with the same answer whether or not an account has it:
    the page tells nobody who is registered. Each request counts towards the mail throttle."""
    if form.validate_on_submit():
        try:
            services.count_mail_request(kind, form.email.data, request.remote_addr, utcnow())
        except services.MailThrottled as throttled:
            return throttled_answer(throttled.until, template, form=form)
        if perform(lambda: send(form.email.data, current_language()),
                   errors=form.email.errors, success=answer, category="info"):
            return redirect(url_for("auth.login"))
    return render_template(template, form=form), 400 if form.errors else 200


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def sign_in_with_link(token):
    """GET shows a button, POST signs in: mail scanners that open links do not use them up."""
    form = ConfirmForm()
    try:
        user = services.user_from_sign_in_token(token)  # only reads: is the link still good?
    except DomainError as error:
        return render_template("auth/sign_in_link_invalid.html", message=str(error)), 410
    if form.validate_on_submit():
        done = perform(lambda: _sign_in(services.sign_in_with_link(token)), show_error=False,
                       success=lambda user: _("Welcome, %(name)s.", name=user.full_name or user.email))
        if not done:
            return render_template("auth/sign_in_link_invalid.html", message=str(done.error)), 410
        return redirect(url_for("registrations.mine"))
    return render_template("auth/sign_in_with_link.html", form=form, user=user)


def _sign_in(user):
    login_user(user)
    return user


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Any account: ask for a link that lets you choose a new password."""
    return _send_link(ForgotPasswordForm(), "password_reset", services.send_password_reset,
                      "auth/forgot_password.html",
                      _("If an account uses this address, a link to choose a new password is on its way. "
                        "It works once, for one hour."))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    form = ResetPasswordForm()
    try:
        user = services.user_from_reset_token(token)
    except DomainError as error:
        return render_template("auth/reset_password_invalid.html", message=str(error)), 410
    if form.validate_on_submit() and perform(lambda: _sign_in(services.reset_password(token, form.password.data)),
                                             success=_("Your new password is saved; you are signed in.")):
        return redirect(url_for("main.dashboard"))
    return render_template("auth/reset_password.html", form=form, user=user), 400 if form.errors else 200


@bp.route("/account/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    """The link e-mailed to a new account's owner: GET shows the form (mail scanners change
    nothing), POST sets the password and signs in."""
    form = ResetPasswordForm()
    try:
        user = services.user_from_invitation(token)
    except DomainError as error:
        return render_template("auth/invitation_invalid.html", message=str(error)), 410
    if form.validate_on_submit():
        done = perform(lambda: _sign_in(services.accept_invitation(token, form.password.data)),
                       errors=form.password.errors,
                       success=lambda user: _("Your account is ready. Welcome, %(name)s.",
                                              name=user.full_name or user.email))
        if done:
            return redirect(url_for("main.dashboard"))
    return render_template("auth/accept_invitation.html", form=form, user=user), 400 if form.errors else 200
