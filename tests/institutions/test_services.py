from datetime import date

import pytest

from centre import audit
from centre.errors import DomainError
from centre.institutions.services import (
    add_agreement,
    create_institution,
    list_institutions,
    remove_agreement,
    trainees_and_sessions,
    update_agreement,
    update_institution,
)
from centre.models import InstitutionKind, RegistrationStatus

FIELDS = {"name_fr": "  Médiateur du Faso ", "name_ar": "", "name_en": "Ombudsman of Burkina Faso",
          "country": "BF", "kind": "mediator"}


def test_partner_is_created_with_its_memberships_and_audited(ctx, create_association):
    aomf, aom = create_association("AOMF"), create_association("AOM")
    institution = create_institution(**FIELDS, association_ids=[aomf.id, aom.id])
    assert institution.name_fr == "Médiateur du Faso"
    assert institution.kind == InstitutionKind.MEDIATOR
    assert [a.code for a in institution.associations] == ["AOM", "AOMF"]
    entry, = audit.history(institution)
    assert entry.action == "create" and entry.details["associations"] == "AOM,AOMF"


@pytest.mark.parametrize("change, message", [
    ({"name_fr": "  "}, "Give the name in French."),
    ({"name_en": ""}, "Give the name in English."),
    ({"country": "QQ"}, "Choose the country from the list."),
    ({"country": ""}, "Choose the country from the list."),
    ({"kind": "club"}, "Choose the kind of institution from the list."),
])
def test_partner_needs_names_a_country_and_a_kind(ctx, change, message):
    with pytest.raises(DomainError) as refused:
        create_institution(**{**FIELDS, **change})
    assert str(refused.value) == message


def test_unknown_association_is_refused(ctx):
    with pytest.raises(DomainError, match="associations from the list"):
        create_institution(**FIELDS, association_ids=[999])


def test_same_name_twice_in_one_country_is_refused_but_not_in_another(ctx):
    create_institution(**FIELDS)
    with pytest.raises(DomainError, match="already exists in this country"):
        create_institution(**{**FIELDS, "name_fr": "médiateur du faso"})
    assert create_institution(**{**FIELDS, "country": "ML"}).country == "ML"


def test_edit_changes_memberships_and_records_what_changed(ctx, create_institution, create_association):
    institution = create_institution()
    aomf = create_association("AOMF")
    update_institution(institution, name_fr=institution.name_fr, name_ar=institution.name_ar,
                       name_en="Mediator of Senegal", country="SN", kind="mediator", association_ids=[aomf.id])
    assert institution.name_en == "Mediator of Senegal" and institution.associations == [aomf]
    entry = audit.history(institution)[-1]
    assert entry.action == "edit" and entry.details["changed"] == "name_en,kind,associations"
    update_institution(institution, name_fr=institution.name_fr, name_ar=institution.name_ar,
                       name_en="Mediator of Senegal", country="SN", kind="mediator", association_ids=[])
    assert institution.associations == []


def test_editing_a_partner_keeps_its_own_name_free(ctx, create_institution):
    institution = create_institution()
    update_institution(institution, name_fr=institution.name_fr, name_en=institution.name_en,
                       country="SN", kind="ombudsman")  # not a duplicate of itself


def test_agreement_in_force_until_its_end_then_expired(ctx, create_institution):
    institution = create_institution()
    agreement = add_agreement(institution, title=" Convention de coopération ", signed_on=date(2024, 3, 1),
                              ends_on=date(2027, 2, 28), on=date(2026, 1, 1))
    open_ended = add_agreement(institution, title="Mémorandum", signed_on=date(2020, 1, 1), on=date(2026, 1, 1))
    assert agreement.title == "Convention de coopération"
    assert agreement.is_in_force(date(2027, 2, 28)) and not agreement.is_in_force(date(2027, 3, 1))
    assert open_ended.is_in_force(date(2040, 1, 1))
    assert [e.action for e in audit.history(institution)] == ["agreement_add", "agreement_add"]


@pytest.mark.parametrize("signed_on, ends_on, message", [
    (date(2025, 6, 1), date(2025, 5, 31), "An agreement cannot end before it is signed."),
    (date(2026, 1, 2), None, "The signing date cannot be in the future."),
])
def test_agreement_dates_are_checked(ctx, create_institution, signed_on, ends_on, message):
    with pytest.raises(DomainError) as refused:
        add_agreement(create_institution(), title="Convention", signed_on=signed_on, ends_on=ends_on,
                      on=date(2026, 1, 1))
    assert str(refused.value) == message


def test_agreement_needs_a_title(ctx, create_institution):
    with pytest.raises(DomainError, match="title"):
        add_agreement(create_institution(), title="  ", signed_on=date(2024, 1, 1))


def test_agreement_edited_and_removed_stays_in_the_partners_history(ctx, create_institution):
    institution = create_institution()
    agreement = add_agreement(institution, title="Convention", signed_on=date(2024, 1, 1))
    update_agreement(agreement, title="Convention-cadre", signed_on=date(2024, 1, 1), ends_on=date(2028, 1, 1))
    with pytest.raises(DomainError):
        update_agreement(agreement, title="Convention-cadre", signed_on=date(2024, 1, 1), ends_on=date(2023, 1, 1))
    remove_agreement(agreement)
    assert institution.agreements == []
    assert [(e.action, e.details["title"]) for e in audit.history(institution)] == [
        ("agreement_add", "Convention"), ("agreement_edit", "Convention-cadre"),
        ("agreement_remove", "Convention-cadre")]


def test_list_filters_by_country_association_kind_and_name(ctx, create_institution, create_association):
    aomf, arab = create_association("AOMF"), create_association("ARAB")
    senegal = create_institution(associations=[aomf])
    tunisia = create_institution(name_fr="Médiateur administratif", name_ar="الموفق الإداري",
                                 name_en="Administrative Mediator", country="TN",
                                 kind=InstitutionKind.MEDIATOR, associations=[arab])
    assert list_institutions(country="TN") == [tunisia]
    assert list_institutions(association_id=aomf.id) == [senegal]
    assert list_institutions(kind="mediator") == [tunisia]
    assert list_institutions(search="SENEGAL") == [senegal]  # the English name, any case
    assert list_institutions(search="الموفق") == [tunisia]
    assert list_institutions(search="100%") == []
    assert list_institutions() == [tunisia, senegal]  # by the name in the page's language (English)


def test_partner_page_lists_trainees_with_their_accepted_sessions(
        ctx, create_institution, create_trainee, create_registration, create_session):
    institution = create_institution()
    first, second = create_trainee(institution=institution, family_name="A"), create_trainee(
        institution=institution, family_name="B")
    create_trainee()  # another partner's
    accepted = create_registration(create_session(), trainee=first)
    create_registration(create_session(), trainee=first, status=RegistrationStatus.REJECTED)
    page, listed = trainees_and_sessions(institution)
    assert listed == [(first, [accepted]), (second, [])]
    assert (page.number, page.pages, page.total) == (1, 1, 2)


def test_partner_page_lists_its_trainees_a_page_at_a_time(ctx, create_institution, create_trainee):
    from centre.pagination import PER_PAGE

    institution = create_institution()
    trainees = [create_trainee(institution=institution, family_name=f"T{n:03d}") for n in range(PER_PAGE + 3)]
    first_page, listed = trainees_and_sessions(institution)
    assert [t for t, _ in listed] == trainees[:PER_PAGE] and first_page.has_next
    last_page, listed = trainees_and_sessions(institution, page=99)  # past the end: the last page
    assert [t for t, _ in listed] == trainees[PER_PAGE:]
    assert (last_page.number, last_page.pages, last_page.has_next) == (2, 2, False)
