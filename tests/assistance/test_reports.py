"""Technical assistance in the figures: the dashboard and the activity report (fr/ar)."""
import subprocess
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from centre.assistance import services
from centre.clock import today
from centre.extensions import db
from centre.models import AssistanceKind, AssistanceRequest, AssistanceStatus, Role
from centre.models.types import utcnow
from centre.reports.services import Period, activity_report, assistance_figures

S = AssistanceStatus


def _delivered_mission(institution, coordinator, experts, submitted_days_ago=10):
    start = today() + timedelta(days=20)
    request = services.submit_request(institution, coordinator, kind="expert_mission", subject="Mission",
                                      objectives="Aider", preferred_from=start, preferred_to=start + timedelta(days=9))
    request.submitted_at = utcnow() - timedelta(days=submitted_days_ago)
    services.change_status(request, S.ACCEPTED, coordinator)
    services.plan_request(request, coordinator, code=f"MIS-{request.id}", start_on=start,
                          end_on=start + timedelta(days=4), venue="Dakar", experts=experts)
    services.change_status(request, S.DELIVERED, coordinator)
    return request


def test_requests_are_counted_by_kind_status_country_and_association_with_their_delays_and_days_abroad(
        ctx, create_institution, create_association, create_user, create_expert):
    coordinator = create_user(Role.COORDINATOR)
    senegal = create_institution(associations=[create_association("AOMF")])
    tunisia = create_institution(name_fr="Médiateur administratif", country="TN")
    first, second = create_expert(), create_expert()
    _delivered_mission(senegal, coordinator, [(first, 5), (second, 4.5)], submitted_days_ago=10)
    start = today() + timedelta(days=30)
    services.submit_request(tunisia, coordinator, kind="immersion", subject="Immersion", objectives="Apprendre",
                            preferred_from=start, preferred_to=start + timedelta(days=5))
    year = Period(today().replace(month=1, day=1), today().replace(month=12, day=31))
    figures = assistance_figures(year)
    assert figures.requests == 2
    assert figures.by_kind == [(AssistanceKind.IMMERSION, 1), (AssistanceKind.EXPERT_MISSION, 1)]
    assert figures.by_status == [(S.SUBMITTED, 1), (S.DELIVERED, 1)]
    assert sorted(figures.by_country) == [("SN", 1), ("TN", 1)]
    assert [(a.code if a else None, n) for a, n in figures.by_association] == [("AOMF", 1), (None, 1)]
    assert round(figures.days_to_decision) == 10 and round(figures.days_to_delivery) == 10
    # The mission starts in 20 days: it counts in the year that holds its first day.
    mission_year = Period(today() + timedelta(days=20), today() + timedelta(days=20))
    held = activity_report(mission_year)
    assert held.assistance.missions == 1 and held.assistance.expert_days_abroad == Decimal("9.5")
    assert held.headline.expert_days == Decimal("9.5")


def test_the_dashboard_and_the_arabic_report_show_the_expert_days_abroad(app, client, login_as, create_institution,
                                                                       create_user, create_expert):
    with app.app_context():
        coordinator = create_user(Role.COORDINATOR)
        request = _delivered_mission(create_institution(), coordinator, [(create_expert(), 3), (create_expert(), 2)])
        first_day = request.training_session.start_on
        db.session.commit()
        assert db.session.scalar(sa.select(AssistanceRequest.status)) == S.DELIVERED
    period = {"from": first_day.replace(month=1, day=1).isoformat(), "to": first_day.replace(month=12, day=31).isoformat()}
    login_as("coordinator")
    client.set_cookie("centre_lang", "en")
    html = client.get("/reports/", query_string=period).get_data(as_text=True)
    assert 'Expert days abroad</dt><dd class="expert-days-abroad">5</dd>' in html
    pdf = client.get("/reports/activity.pdf", query_string={**period, "language": "ar"}).data
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "المساعدة التقنية" in text and "بالخارج" in text
