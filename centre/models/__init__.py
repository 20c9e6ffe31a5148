"""All models, re-exported so that `from centre.models import X` works for every table."""
from centre.models.assistance import (
    AssistanceDocument,
    AssistanceKind,
    AssistanceMessage,
    AssistanceRequest,
    AssistanceStatus,
)
from centre.models.attendance import AttendanceMark, MarkStatus
from centre.models.audit import AuditEntry
from centre.models.certificates import Certificate, CertificateSequence, Signatory, VerificationHit
from centre.models.evaluation import (
    Answer,
    Invitation,
    Purpose,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    QuestionnaireTemplate,
    QuestionTarget,
    RecipientKind,
    Response,
)
from centre.models.experts import Expert
from centre.models.files import StoredFile
from centre.models.institutions import Agreement, Association, Institution, InstitutionKind, institution_association
from centre.models.joining import PRACTICAL_FIELDS, JoiningNotice, NoticeKind, PracticalInfo
from centre.models.jobs import FINISHED_STATUSES, Job, JobStatus, ScheduleRun
from centre.models.mail import MailStatus, OutboxMail
from centre.models.partners import FocalPoint, InstitutionContact
from centre.models.materials import Material, Visibility
from centre.models.registrations import (
    LIVE_STATUSES,
    DocumentLanguage,
    Gender,
    InvitationLetter,
    Registration,
    RegistrationStatus,
    Trainee,
)
from centre.models.reviews import Recommendation, Review
from centre.models.signatures import AttendanceSignature, SlotCountersignature
from centre.models.sessions import SessionKind, SessionStatus, Slot, SlotPart, Trainer, TrainingSession
from centre.models.users import FailedLogin, MailRequest, Role, User

__all__ = [
    "Answer", "Invitation", "Purpose", "Question", "QuestionKind", "Questionnaire", "QuestionnaireStatus",
    "QuestionnaireTemplate", "QuestionTarget", "RecipientKind", "Response",
    "AssistanceDocument", "AssistanceKind", "AssistanceMessage", "AssistanceRequest", "AssistanceStatus",
    "Agreement", "Association", "AttendanceMark", "AttendanceSignature",
    "JoiningNotice", "NoticeKind", "PRACTICAL_FIELDS", "PracticalInfo", "SlotCountersignature", "AuditEntry", "Certificate",
    "CertificateSequence", "DocumentLanguage", "Expert", "FailedLogin", "FINISHED_STATUSES", "Gender",
    "FocalPoint", "Institution", "InstitutionContact", "InstitutionKind", "InvitationLetter", "Job", "JobStatus",
    "LIVE_STATUSES", "MailRequest", "MailStatus", "Material", "Visibility",
    "MarkStatus", "OutboxMail", "Recommendation", "Registration", "RegistrationStatus", "Review", "Role",
    "ScheduleRun", "SessionKind", "StoredFile",
    "SessionStatus", "Signatory", "Slot", "SlotPart", "Trainee", "Trainer", "TrainingSession", "User",
    "VerificationHit", "institution_association",
]
