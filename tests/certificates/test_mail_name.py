"""The certificate's mail greets its reader by the name in their language (issue 19)."""
from centre.certificates.services import issue_certificate
from centre.models import DocumentLanguage, SessionStatus
from centre.sessions.services import change_status


def test_the_certificate_mail_greets_an_arabic_reader_with_the_arabic_name(ctx, create_session, create_registration,
                                                                           create_trainee, mark_all):
    """It greeted them with the Latin name while the other mails used the Arabic one (issue 19)."""
    from centre.certificates.delivery import email_certificate

    training_session = create_session(SessionStatus.IN_PROGRESS)
    registration = create_registration(training_session, trainee=create_trainee(
        given_name="Zeinabou", full_name_ar="زينب ديالو", certificate_language=DocumentLanguage.AR))
    mark_all(registration, present=10)
    change_status(training_session, SessionStatus.COMPLETED)
    mail = email_certificate(issue_certificate(registration, DocumentLanguage.AR, None), None)
    assert mail.language == "ar" and "زينب ديالو" in mail.body and "Zeinabou" not in mail.body
