"""The history section shared by the partner and expert pages shows what each change says."""
from datetime import date

from centre.extensions import db


def test_partner_and_expert_pages_show_their_history(app, client, login_as, create_institution, create_expert,
                                                    create_user):
    from centre.experts.services import invite_expert
    from centre.institutions.services import add_agreement

    user_id = login_as("coordinator")
    with app.app_context():
        from centre.models import User

        actor = db.session.get(User, user_id)
        institution = create_institution()
        add_agreement(institution, actor, title="Convention de coopération 2024", signed_on=date(2024, 5, 2))
        expert = create_expert(email="amina.expert@example.org")
        invite_expert(expert, actor)
        db.session.commit()
        institution_id, expert_id, actor_name = institution.id, expert.id, actor.full_name
    partner = client.get(f"/partners/{institution_id}").get_data(as_text=True)
    assert '<q dir="auto">Convention de coopération 2024</q>' in partner and actor_name in partner
    expert_page = client.get(f"/experts/{expert_id}").get_data(as_text=True)
    assert '<bdi dir="ltr">amina.expert@example.org</bdi>' in expert_page
