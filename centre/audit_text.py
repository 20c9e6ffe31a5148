"""Reading the audit log: what each entry says, in words of the reader's language.

Entries store machine words (`entity`, `action`, states, details); the audit-log page and the
records' histories show them through these tables. An action or a detail not listed here is
shown as stored, so that a new kind of entry is never hidden.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms.fields.core import UnboundField

from centre.experts.forms import ExpertForm
from centre.i18n import LANGUAGE_NAMES
from centre.institutions.forms import InstitutionForm
from centre.joining.forms import PracticalInfoForm
from centre.models import (
    AssistanceKind,
    AssistanceStatus,
    AuditEntry,
    MailStatus,
    MarkStatus,
    Purpose,
    QuestionKind,
    QuestionnaireStatus,
    Recommendation,
    RegistrationStatus,
    Role,
    SessionStatus,
    Visibility,
)
from centre.models.certificates import CERTIFICATE_STATE_LABELS
from centre.partners.forms import ContactForm
from centre.sessions.forms import SessionForm

#: The kinds of record the audit log is filtered by, and how each is named.
RECORD_LABELS = {
    "training_session": _l("Session"),
    "registration": _l("Registration"),
    "certificate": _l("Certificate"),
    "user": _l("Account"),
    "trainee": _l("Trainee"),
    "expert": _l("Expert"),
    "institution": _l("Partner"),
    "review": _l("Review"),
    "attendance_mark": _l("Attendance mark"),
    "signatory": _l("Signatory"),
    "outbox_mail": _l("E-mail"),
    "failed_login": _l("Sign-in attempt"),
    "mail_request": _l("Mail request"),
    "assistance_request": _l("Technical-assistance request"),
    "questionnaire": _l("Questionnaire"),
    "questionnaire_template": _l("Questionnaire template"),
    "questionnaire_invitation": _l("Questionnaire invitation"),
    "session_material": _l("Training material"),
    "attendance_signature": _l("Signature on the sign-in sheet"),
    "slot_countersignature": _l("Trainer's countersignature"),
}

#: What an action means, whatever the record.
ACTION_LABELS = {
    "create": _l("Created"),
    "edit": _l("Edited"),
    "duplicate": _l("Created as a copy"),
    "status": _l("Status changed"),
    "slot_add": _l("Slot added"),
    "slot_change": _l("Slot hours changed"),
    "slot_remove": _l("Slot removed"),
    "trainer": _l("Trainer added or changed"),
    "trainer_remove": _l("Trainer removed"),
    "register": _l("Registered"),
    "registration_attempt": _l("Registration with an address already known"),
    "decide": _l("Registration decided"),
    "promote": _l("Accepted from the waiting list"),
    "cancel": _l("Registration cancelled"),
    "import": _l("Imported from a list"),
    "confirm_email": _l("E-mail address confirmed"),
    "correct": _l("Corrected"),
    "anonymise": _l("Personal data erased"),
    "generate_letter": _l("Invitation letter generated"),
    "regenerate_letter": _l("Invitation letter generated again"),
    "mark": _l("Attendance marked"),
    "check_in": _l("Checked in"),
    "issue": _l("Certificate issued"),
    "issue_all": _l("Certificates issued for the session"),
    "replace": _l("Certificate replaced"),
    "revoke": _l("Certificate revoked"),
    "erase": _l("Certificate's personal data erased"),
    "email": _l("Certificate e-mailed"),
    "assign": _l("Review assigned"),
    "conflict": _l("Conflict of interest declared"),
    "submit": _l("Review submitted"),
    "remind": _l("Reminder sent"),
    "invite": _l("Invitation sent"),
    "invite_again": _l("Invitation sent again"),
    "account_opened": _l("Account opened"),
    "disable": _l("Account disabled"),
    "enable": _l("Account enabled again"),
    "role": _l("Role changed"),
    "login_failure": _l("Failed sign-in"),
    "login_lock": _l("Sign-in locked"),
    "address_lock": _l("Sign-in closed for an address"),
    "mail_throttled": _l("Mail request refused (too many)"),
    "sign_in_link_sent": _l("Sign-in link sent"),
    "sign_in_link_used": _l("Signed in with a link"),
    "password_reset_sent": _l("Password-reset link sent"),
    "password_reset": _l("Password reset"),
    "signed_out_everywhere": _l("Signed out everywhere"),
    "withdraw": _l("Signatory withdrawn"),
    "agreement_add": _l("Agreement added"),
    "agreement_edit": _l("Agreement edited"),
    "agreement_remove": _l("Agreement removed"),
    "resend": _l("E-mail sent again"),
    "export_registrations": _l("Registrations exported"),
    "export_attendance": _l("Attendance exported"),
    "export_certificates": _l("Certificates exported"),
    "export_partners": _l("Partners exported"),
    # partners: focal points, contacts, nominations, certificates
    "focal_point_invite": _l("Focal point invited"),
    "focal_point_invite_again": _l("Focal point invited again"),
    "focal_point_opened": _l("Focal point's account opened"),
    "contact_add": _l("Contact added"),
    "contact_edit": _l("Contact edited"),
    "contact_remove": _l("Contact removed"),
    "nominate": _l("Candidate nominated"),
    "nominated": _l("Trainee record created by the partner's nomination"),
    "partner_download": _l("Certificate downloaded by the partner"),
    "certificates_archive": _l("Certificates downloaded by the partner (ZIP)"),
    # technical-assistance requests
    "message": _l("Message written"),
    "document_remove": _l("Document removed"),
    "report": _l("Report recorded"),
    "evaluation": _l("Partner's evaluation sent"),
    # evaluation questionnaires
    "template_load": _l("Template installed"),
    "template_create": _l("Template created"),
    "template_version": _l("New version of the template"),
    "question_add": _l("Question added"),
    "question_remove": _l("Question removed"),
    "send": _l("Sent"),
    "close": _lp("audit action", "Closed"),
    "anonymous_answer": _l("Anonymous answer received"),
    "answer_save": _l("Answers saved, not yet sent"),
    "answer_submit": _l("Answers sent"),
    "export_answers": _l("Named answers exported"),
    # joining instructions, materials, signed sign-in
    "practical_info": _l("Practical information edited"),
    "joining_convocation": _l("Convocation sent"),
    "joining_reminder": _l("Reminder before the session sent"),
    "joining_eve": _l("Reminder of the day before sent"),
    "joining_change": _l("Notice of a change sent"),
    "joining_change_notices": _l("Trainees told of a change (dates, venue or hours)"),
    "upload": _l("File added"),
    "remove": _l("Removed"),
    "sign_in": _l("Attendance marked by the trainee's signature"),
    "sign": _l("Sign-in sheet signed"),
    "countersign": _l("Sign-in countersigned by the trainer"),
}

#: Where an action means something else for one kind of record.
RECORD_ACTION_LABELS = {
    ("training_session", "create"): _l("Session created"),
    ("training_session", "cancel"): _l("Session cancelled"),
    ("user", "create"): _l("Account created"),
    ("trainee", "create"): _l("Trainee record created"),
    ("trainee", "correct"): _l("Trainee's details corrected"),
    ("expert", "create"): _l("Expert added"),
    ("expert", "edit"): _l("Expert edited"),
    ("institution", "create"): _l("Partner added"),
    ("institution", "edit"): _l("Partner edited"),
    ("signatory", "create"): _l("Signatory added"),
    ("attendance_mark", "correct"): _l("Attendance corrected"),
    ("assistance_request", "submit"): _l("Request submitted"),
    ("questionnaire", "create"): _l("Questionnaire planned"),
    ("questionnaire", "send"): _l("Questionnaire sent"),
    ("questionnaire", "invite"): _l("Sent to a trainee accepted later"),
    ("questionnaire", "close"): _l("Questionnaire closed"),
    ("session_material", "upload"): _l("Material added"),
    ("session_material", "remove"): _l("Material removed"),
}

#: The names of details an entry may carry.
DETAIL_LABELS = {
    "reason": _l("Reason"),
    "override_reason": _l("Approved despite a rejecting review"),
    "email": _l("E-mail"),
    "to": _l("Sent to"),
    "recipient": _l("Recipient"),
    "ip": _l("Address"),
    "until": _l("Until"),
    "number": _l("Number"),
    "replaced_by": _l("Replaced by"),
    "session": _l("Session"),
    "code": _l("Code"),
    "source": _l("Copied from"),
    "language": _l("Language"),
    "name": _l("Name"),
    "expert": _l("Expert"),
    "days": _l("Days"),
    "fields": _l("Fields"),
    "changed": _l("Fields"),
    "title": _l("Title"),
    "note": _l("Note"),
    "password": _l("Password"),
    "job": _l("Job"),
    "kind": _l("Kind"),
    "format": _l("Format"),
    "before": _l("Before"),
    "starts_at": _l("Starts"),
    "due_on": _l("Due on"),
    "after": _l("After"),
    "marks": _l("Attendance marks removed"),
    "nationality": _l("Nationality"),
    "country": _l("Country"),
    "associations": _l("Member of"),
    "signed_on": _l("Signed on"),
    "ends_on": _l("Ends on"),
    "document": _l("Document"),
    "documents": _l("Documents"),
    "error": _l("Error"),
    "start": _l("From"),
    "end": _l("To"),
    "institution": _l("Partner no."),
    "experts": _l("Experts"),
    "questionnaire": _l("Questionnaire no."),
    "invitations": _l("Invitations sent"),
    "version": _l("Version"),
    "position": _l("Question no."),
    "purpose": _l("Purpose"),
    "template": _l("Template"),
    "anonymous": _l("Anonymous"),
    "closes_on": _l("Closes on"),
    "reminder": _l("Reminder no."),
    "recipients": _l("Recipients"),
    "count": _l("Certificates"),
    "told": _l("Trainees told"),
    "size": _l("Size (bytes)"),
    "address": _l("Address"),
    "signatures": _l("Signatures"),
}

#: The fields a correction names (details before_<field> / after_<field>).
FIELD_LABELS = {
    "given_name": _l("Given name (Latin script)"),
    "family_name": _l("Family name (Latin script)"),
    "full_name_ar": _l("Full name in Arabic script"),
    "passport_number": _l("Passport number"),
    "institution": _l("Institution"),
}



def _form_labels(*forms) -> dict:
    """Field name -> the label its form shows: the words for the names an edit stores."""
    return {name: field.args[0] for form in forms for name, field in vars(form).items()
            if isinstance(field, UnboundField) and field.args}


#: The fields an edit lists (details `fields`, `changed`: names joined by commas), by kind of record.
EDITED_FIELD_LABELS = {
    # a change told to the trainees names the venue's address and the half-days' hours as a whole
    "training_session": {**_form_labels(SessionForm, PracticalInfoForm), "address": _l("Venue address"),
                         "hours": _l("Hours")},
    "institution": {**_form_labels(ContactForm), **_form_labels(InstitutionForm), "associations": _l("Member of")},
    "expert": _form_labels(ExpertForm),
}
LISTS_OF_FIELDS = {"fields", "changed"}

#: Details kept for the record but not worth a reader's line.
HIDDEN_DETAILS = {"sha256", "slot", "agreement_id", "contact_id", "message_id", "mail"}

_YES_NO = {"True": _l("Yes"), "False": _l("No")}

#: Details whose values are machine words, in words: by (record kind, detail), else by detail.
DETAIL_VALUE_LABELS = {
    ("assistance_request", "kind"): {k.value: k.label for k in AssistanceKind},
    ("questionnaire_template", "kind"): {k.value: k.label for k in QuestionKind},
    ("mail_request", "kind"): {"sign_in_link": _l("Sign-in link"), "password_reset": _l("Password reset"),
                               "registration": _l("Registration")},
    "purpose": {p.value: p.label for p in Purpose},
    "anonymous": _YES_NO,
    "language": LANGUAGE_NAMES,
}

_ACCOUNT_STATES = {"active": _l("Active"), "disabled": _l("Disabled"), "locked": _l("Locked")}
_REVIEW_STATES = {"assigned": _l("Assigned"), "conflict": _l("Conflict of interest"),
                  **{r.value: r.label for r in Recommendation}}

#: How each kind of record names its states.
STATE_LABELS = {
    "registration": {s.value: s.label for s in RegistrationStatus},
    "training_session": {s.value: s.label for s in SessionStatus},
    "certificate": CERTIFICATE_STATE_LABELS,
    "attendance_mark": {s.value: s.label for s in MarkStatus},
    "user": {**{r.value: r.label for r in Role}, **_ACCOUNT_STATES},
    "review": _REVIEW_STATES,
    "signatory": {"active": _l("Active"), "withdrawn": _lp("signatory", "Withdrawn")},
    "outbox_mail": {s.value: s.label for s in MailStatus},
    "failed_login": _ACCOUNT_STATES,
    # the statuses' own labels share a msgid with other records' ("Submitted", "Closed"), which
    # French writes in another gender: the states a request and a questionnaire take, in context
    "assistance_request": {**{s.value: s.label for s in AssistanceStatus},
                           "submitted": _lp("assistance request", "Submitted")},
    "questionnaire": {**{s.value: s.label for s in QuestionnaireStatus},
                      "planned": _lp("questionnaire", "Planned"), "closed": _lp("questionnaire", "Closed")},
    "session_material": {v.value: v.label for v in Visibility},
    "attendance_signature": {s.value: s.label for s in MarkStatus},
}


def action_label(entity: str, action: str):
    return RECORD_ACTION_LABELS.get((entity, action)) or ACTION_LABELS.get(action, action)


def detail_value(entity: str, key: str, value: str):
    if key in LISTS_OF_FIELDS and entity in EDITED_FIELD_LABELS:
        labels = EDITED_FIELD_LABELS[entity]
        return ", ".join(str(labels.get(name.strip(), name.strip())) for name in value.split(","))
    words = DETAIL_VALUE_LABELS.get((entity, key)) or DETAIL_VALUE_LABELS.get(key) or {}
    return str(words.get(value, value))


def state_label(entity: str, state: str | None):
    if state is None:
        return None
    return STATE_LABELS.get(entity, {}).get(state, state)


@dataclass
class Description:
    """An entry in words: what happened, the change of state, the corrections and the details."""

    action: str
    record: str
    from_state: str | None = None
    to_state: str | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  #: (field, before, after)
    details: list[tuple[str, str]] = field(default_factory=list)  #: (name, value)


def describe(entry: AuditEntry) -> Description:
    details = entry.details or {}
    changes = []
    for key in details:
        if key.startswith("before_"):
            name = key.removeprefix("before_")
            changes.append((FIELD_LABELS.get(name, name), details[key] or "", details.get(f"after_{name}") or ""))
    shown = [(DETAIL_LABELS.get(key, key), detail_value(entry.entity, key, value)) for key, value in details.items()
             if value not in (None, "") and key not in HIDDEN_DETAILS
             and not key.startswith(("before_", "after_"))]
    return Description(
        action=str(action_label(entry.entity, entry.action)),
        record=str(RECORD_LABELS.get(entry.entity, entry.entity)),
        from_state=state_label(entry.entity, entry.from_state),
        to_state=state_label(entry.entity, entry.to_state),
        changes=changes, details=shown,
    )


class RecordActionLabels(dict):
    """The action labels of one kind of record, as the history macro reads them (`.get`)."""

    def __init__(self, entity: str):
        super().__init__()
        self.entity = entity

    def get(self, action, default=None):
        return action_label(self.entity, action)


def labels_for(entity: str) -> RecordActionLabels:
    return RecordActionLabels(entity)
