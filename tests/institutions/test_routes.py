from datetime import date

import pytest
import sqlalchemy as sa

from centre.extensions import db
from centre.institutions.services import add_agreement
from centre.models import Institution
from tests.conftest import post

NEW = {"name_fr": "Médiateur du Faso", "name_ar": "", "name_en": "Ombudsman of Burkina Faso",
       "country": "BF", "kind": "mediator"}


def test_coordinator_adds_a_partner_with_its_memberships(app, client, login_as, create_association):
    with app.app_context():
        aomf = create_association("AOMF").id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = post(client, "/partners/new", {**NEW, "association_ids": [str(aomf)]}, form_url="/partners/new")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The partner Ombudsman of Burkina Faso is added." in page
    assert "Burkina Faso" in page and ">AOMF</bdi>" in page
    with app.app_context():
        institution = db.session.scalar(sa.select(Institution))
        assert [a.code for a in institution.associations] == ["AOMF"]


def test_partner_form_explains_what_is_missing(client, login_as):
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = post(client, "/partners/new", {**NEW, "name_fr": "", "country": "QQ"}, form_url="/partners/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This field is required." in html and "Not a valid choice." in html
    assert 'value="Ombudsman of Burkina Faso"' in html


def test_duplicate_partner_is_refused_next_to_the_form(app, client, login_as, create_institution):
    with app.app_context():
        create_institution(name_fr=NEW["name_fr"], country="BF")
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    response = post(client, "/partners/new", NEW, form_url="/partners/new")
    assert response.status_code == 400
    assert "A partner named Médiateur du Faso already exists in this country." in response.get_data(as_text=True)


def test_edit_form_shows_the_partner_and_saves_it(app, client, login_as, create_institution, create_association):
    with app.app_context():
        aom = create_association("AOM")
        institution = create_institution(associations=[aom])
        institution_id, aom_id = institution.id, aom.id
        db.session.commit()
    login_as("coordinator")
    url = f"/partners/{institution_id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'value="Médiateur de la République du Sénégal"' in html
    assert f'<input checked id="association_ids-0" name="association_ids" type="checkbox" value="{aom_id}">' in html
    response = post(client, url, {"name_fr": "Médiateur de la République", "name_en": "Ombudsman of Senegal",
                                  "country": "SN", "kind": "mediator"}, form_url=url)
    assert response.status_code == 302
    with app.app_context():
        institution = db.session.get(Institution, institution_id)
        assert institution.name_fr == "Médiateur de la République" and institution.associations == []


def test_agreements_are_added_listed_with_their_state_edited_and_removed(app, client, login_as, create_institution):
    with app.app_context():
        institution_id = create_institution().id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    page = f"/partners/{institution_id}"
    response = post(client, f"{page}/agreements", {"title": "Convention de coopération", "signed_on": "2023-05-02",
                                                   "ends_on": "2024-05-01"}, form_url=page)
    assert response.status_code == 302
    post(client, f"{page}/agreements", {"title": "Mémorandum", "signed_on": "2024-06-01"}, form_url=page)
    html = client.get(page).get_data(as_text=True)
    assert "Convention de coopération" in html and "Expired" in html and "In force" in html
    with app.app_context():
        agreement = db.session.get(Institution, institution_id).agreements[0]
        agreement_id = agreement.id
    edit = f"{page}/agreements/{agreement_id}/edit"
    assert 'value="2023-05-02"' in client.get(edit).get_data(as_text=True)
    assert post(client, edit, {"title": "Convention", "signed_on": "2023-05-02", "ends_on": "2099-01-01"},
                form_url=edit).status_code == 302
    assert post(client, f"{page}/agreements/{agreement_id}/remove", form_url=page).status_code == 302
    with app.app_context():
        assert [a.title for a in db.session.get(Institution, institution_id).agreements] == ["Mémorandum"]


def test_agreement_ending_before_it_is_signed_is_refused_with_a_message(app, client, login_as, create_institution):
    with app.app_context():
        institution_id = create_institution().id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    page = f"/partners/{institution_id}"
    response = post(client, f"{page}/agreements", {"title": "Convention", "signed_on": "2024-05-02",
                                                   "ends_on": "2024-05-01"}, form_url=page)
    assert response.status_code == 400
    assert "An agreement cannot end before it is signed." in response.get_data(as_text=True)
    response = post(client, f"{page}/agreements", {"title": "Convention", "signed_on": "2 May"}, form_url=page)
    assert response.status_code == 400 and "Not a valid date value." in response.get_data(as_text=True)


def test_another_partners_agreement_is_not_found(app, client, login_as, create_institution):
    with app.app_context():
        mine, other = create_institution(), create_institution(country="TN")
        agreement = add_agreement(other, title="Convention", signed_on=date(2024, 1, 1))
        urls = [f"/partners/{mine.id}/agreements/{agreement.id}/edit",
                f"/partners/{mine.id}/agreements/{agreement.id}/remove"]
        db.session.commit()
    login_as("coordinator")
    assert client.get(urls[0]).status_code == 404
    assert post(client, urls[1]).status_code == 404
    assert client.get("/partners/999").status_code == 404


def test_list_filters_and_rejects_an_unknown_filter_value(app, client, login_as, create_institution):
    with app.app_context():
        create_institution()
        create_institution(name_fr="Défenseur des droits", name_en="Defender of Rights", country="FR")
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    html = client.get("/partners/?country=FR").get_data(as_text=True)
    assert "Defender of Rights" in html and "Ombudsman of Senegal" not in html
    html = client.get("/partners/?q=senegal").get_data(as_text=True)
    assert "Defender of Rights" not in html and "Ombudsman of Senegal" in html
    response = client.get("/partners/?kind=club")
    assert response.status_code == 400 and "Not a valid choice." in response.get_data(as_text=True)


def test_arabic_page_names_countries_in_arabic(app, client, login_as, create_institution):
    with app.app_context():
        institution_id = create_institution().id
        db.session.commit()
    login_as("coordinator")
    client.set_cookie("centre_lang", "ar")
    html = client.get("/partners/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "السنغال" in html and "وسيط الجمهورية السنغالية" in html
    assert "السنغال" in client.get(f"/partners/{institution_id}").get_data(as_text=True)
    form = client.get("/partners/new").get_data(as_text=True)
    assert '<option value="MA">المغرب</option>' in form


def test_staff_navigation_leads_to_partners_and_experts(client, login_as):
    login_as("admin")
    html = client.get("/partners/").get_data(as_text=True)
    assert 'href="/partners/"' in html and 'href="/experts/"' in html


@pytest.fixture
def populate_partner(app, create_institution, create_trainee, create_registration, create_session,
                     create_association):
    """A partner with `n` trainees, each accepted in a session, and `n` other partners."""

    def populate(n):
        with app.app_context():
            association = create_association(f"A{n}")
            partner = create_institution(associations=[association])
            for k in range(n):
                add_agreement(partner, title=f"Convention {k}", signed_on=date(2024, 1, 1))
                create_registration(create_session(), trainee=create_trainee(institution=partner))
                create_institution(country="TN", name_fr=f"Partenaire {n}-{k}", associations=[association])
            db.session.commit()
            return partner.id

    return populate


@pytest.mark.parametrize("page", ["/partners/", "/partners/{id}", "/partners/{id}/edit"])
def test_partner_pages_queries_do_not_grow_with_rows(client, login_as, populate_partner, count_queries, page):
    login_as("coordinator")
    small = populate_partner(2)
    few = count_queries(lambda: client.get(page.format(id=small)))
    large = populate_partner(6)
    many = count_queries(lambda: client.get(page.format(id=large)))
    assert many == few, f"{page}: {few} queries with 2 rows, {many} with 6"
