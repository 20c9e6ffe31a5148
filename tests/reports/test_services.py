"""The figures of the dashboard and the activity report, against the hand count of conftest.py."""
from datetime import date
from decimal import Decimal

import pytest

from centre.extensions import db
from centre.i18n import country_choices
from centre.models import Association, Gender, MarkStatus, SessionKind, SessionStatus, TrainingSession
from centre.reports import services
from centre.reports.regions import REGION_OF, Region, region_of
from centre.reports.services import Period

YEAR_2026 = Period(date(2026, 1, 1), date(2026, 12, 31))


def test_the_period_is_compared_with_the_same_span_a_year_earlier():
    assert Period.year_of(date(2026, 11, 25)) == YEAR_2026
    assert YEAR_2026.previous == Period(date(2025, 1, 1), date(2025, 12, 31))
    assert Period(date(2024, 2, 29), date(2024, 6, 30)).previous == Period(date(2023, 2, 28), date(2023, 6, 30))


def test_headline_figures_of_the_year_match_the_hand_count(app, activity):
    with app.app_context():
        h = services.headline(YEAR_2026)
    # Held in 2026: S1 (collective) and S2 (immersion); S4 is cancelled, S5 only open.
    assert h.sessions_by_kind == {SessionKind.COLLECTIVE: 1, SessionKind.IMMERSION: 1, SessionKind.EXPERT_MISSION: 0}
    assert h.sessions == 2
    # Accepted: S1 T1 T2 T3 + S2 T3 T4 T6 = 6; persons {T1, T2, T3, T4, T6} = 5.
    assert (h.participants, h.trainees) == (6, 5)
    # Nationalities {SN, MA, TN, BR} = 4; partners {Senegal, Morocco, Tunisia} = 3 (T6 has none).
    assert (h.countries, h.institutions) == (4, 3)
    # Valid certificates: T1 (French and Arabic: once), T2 (the correction), T6; T3's is revoked.
    assert h.certified == 3
    # Attended: S1 3 + 2 + 4 = 9, S2 2 + 2 + 4 = 8 → 17.
    # Counted: S1 3 × 4 = 12 (excused counts), S2 3 × 4 − 2 excused = 10 → 22.  17 / 22 = 77.27 %.
    assert (h.attendance.present, h.attendance.counted, h.attendance.excused) == (17, 22, 3)
    assert h.attendance.rate == pytest.approx(100 * 17 / 22)
    assert h.attendance.percent == 77
    # Four reviewers (two per session, S1 and S2) + trainers A and B = 6; days 2 + 1.5 + 2 = 5.5.
    assert h.experts == 6
    assert h.expert_days == Decimal("5.5")


def test_last_years_headline_and_the_change(app, activity):
    with app.app_context():
        report = services.activity_report(YEAR_2026, language="en", years=3)
    p = report.previous
    # 2025: S3 with T1 (SN, Senegal) and T5 (FR, France); T1's certificate; 4 + 2 of 8 slots.
    assert (p.sessions, p.participants, p.trainees, p.countries, p.institutions, p.certified) == (1, 2, 2, 2, 2, 1)
    assert (p.attendance.present, p.attendance.counted) == (6, 8)
    # Two reviewers of S3 and trainer C (2 days).
    assert (p.experts, p.expert_days) == (3, Decimal(2))
    # Participants 6 against 2: +4, +200 %; countries 4 against 2: +2, +100 %.
    assert (report.change("participants").delta, report.change("participants").percent) == (4, 200)
    assert report.change("countries").percent == 100
    # Attendance 77.27 % against 75 %: +2.27 points.
    assert report.change("attendance").delta == pytest.approx(100 * 17 / 22 - 75)
    assert services.Change(3, 0).percent is None
    # A period that does not touch the one before (March to June): the same figures.
    with app.app_context():
        spring = services.activity_report(Period(date(2026, 3, 1), date(2026, 6, 30)), language="en", years=3)
    assert (spring.headline.attendance.present, spring.headline.attendance.counted) == (17, 22)
    assert (spring.previous.attendance.present, spring.previous.attendance.counted) == (6, 8)


def test_breakdowns_match_the_hand_count(app, activity):
    with app.app_context():
        report = services.activity_report(YEAR_2026, language="en", years=3)
        associations = {a.code: a for a in db.session.scalars(db.select(Association))}
        # SN: T1, T2; MA: T3 twice (S1 and S2); TN: T4; BR: T6. Ties by the English name.
        assert report.by_country == [("MA", 2), ("SN", 2), ("BR", 1), ("TN", 1)]
        # Africa SN 2; MENA MA 2 + TN 1 = 3; Americas BR 1.
        assert report.by_region == [(Region.AFRICA, 2), (Region.MENA, 3), (Region.EUROPE, 0),
                                    (Region.AMERICAS, 1), (Region.ASIA, 0), (Region.OTHER, 0)]
        # AOM: T3 × 2; AOMF: T1, T2; ARAB: T3 × 2 + T4; none: T6.
        assert [(a.code if a else None, n) for a, n in report.by_association] == [
            ("AOM", 2), ("AOMF", 2), ("ARAB", 3), (None, 1)]
        assert report.by_association[0][0] is associations["AOM"]
        # Women: T1, T3, T3, T6 = 4; men: T2, T4 = 2.
        assert report.by_gender == [(Gender.FEMALE, 4), (Gender.MALE, 2)]
        # 2024 nothing; 2025 S3 with 2; 2026 S1 and S2 with 6.
        assert report.per_year == [(2024, 0, 0), (2025, 1, 2), (2026, 2, 6)]


def test_sessions_table_and_experts_of_the_period(app, activity):
    with app.app_context():
        report = services.activity_report(YEAR_2026, language="en")
        rows = [(r.session.code, r.participants, r.countries, r.attendance.percent) for r in report.sessions]
        # S1: SN, SN, MA → 2 countries, 9 / 12 = 75 %; S2: MA, TN, BR → 3, 8 / 10 = 80 %.
        assert rows == [("R-2026-A", 3, 2, 75), ("R-2026-B", 3, 3, 80)]
        experts = {r.expert.id: (r.reviewed, r.taught, r.days) for r in report.experts}
    ids = activity["experts"]
    assert experts.pop(ids["A"]) == (0, 2, Decimal(4))
    assert experts.pop(ids["B"]) == (0, 1, Decimal("1.5"))
    assert sorted(experts.values()) == [(1, 0, 0)] * 4  # the four reviewers of S1 and S2
    assert ids["C"] not in experts  # taught last year only


def test_attendance_is_the_attendance_areas_figure_for_every_session(app, activity, create_session,
                                                                   create_registration, mark_all):
    """Also for a session under way, where a slot not marked counts once it has ended."""
    from centre.attendance.services import session_figures, total
    from centre.registrations.services import accepted_registrations

    with app.app_context():
        running = create_session(SessionStatus.IN_PROGRESS, code="R-RUN", start_on=date(2026, 10, 5),
                                 end_on=date(2026, 10, 7), excused_left_out=True)
        for present in (1, 2, 0):
            mark_all(create_registration(running), present, rest=MarkStatus.EXCUSED)
        create_registration(running)  # not marked at all
        db.session.commit()
        now = running.slots[3].ends_at  # four of the six slots have ended
        figures = services.attendance_by_session(YEAR_2026, now)
        for session_id, result in figures.items():
            training_session = db.session.get(TrainingSession, session_id)
            expected = total(session_figures(training_session, [r.id for r in accepted_registrations(training_session)], now).values())
            assert result == expected, training_session.code


def test_a_period_without_activity_has_zero_figures(app, activity):
    with app.app_context():
        report = services.activity_report(Period(date(2010, 1, 1), date(2010, 3, 31)), language="en")
    assert report.headline.sessions == report.headline.participants == report.headline.experts == 0
    assert report.headline.attendance.rate == 0
    assert report.sessions == report.experts == [] and report.by_country == []


def test_every_country_offered_has_a_region_and_the_regions_are_right(app):
    with app.app_context():
        codes = {code for code, _ in country_choices("en")}
    # Left to "other": the Pacific, Antarctica and the pseudo-territories XA and XB.
    assert codes - REGION_OF.keys() == {"AQ", "AS", "AU", "BV", "CC", "CK", "CP", "CX", "FJ", "FM", "GU", "HM", "KI",
                                        "MH", "MP", "NC", "NF", "NR", "NU", "NZ", "PF", "PG", "PN", "PW", "SB",
                                        "TF", "TK", "TO", "TV", "UM", "VU", "WF", "WS", "XA", "XB"}
    assert [region_of(c) for c in ("MA", "EG", "SA", "PS", "IR")] == [Region.MENA] * 5
    assert [region_of(c) for c in ("SN", "CI", "DJ", "KM", "ZA")] == [Region.AFRICA] * 5
    assert [region_of(c) for c in ("FR", "TR", "XK")] == [Region.EUROPE] * 3
    assert [region_of(c) for c in ("BR", "CA", "HT")] == [Region.AMERICAS] * 3
    assert [region_of(c) for c in ("CN", "IN", "ID")] == [Region.ASIA] * 3
    assert region_of("NZ") == region_of("ZZ") == region_of(None) == Region.OTHER


def test_queries_do_not_grow_with_rows(app, count_queries, create_session, create_registration, mark_all):
    """A fixed number of queries, whatever the number of sessions, participants and marks."""
    from centre.sessions.services import change_status

    def add(sessions, people):
        with app.app_context():
            for n in range(sessions):
                s = create_session(SessionStatus.IN_PROGRESS, start_on=date(2026, 3, 2), end_on=date(2026, 3, 3))
                for _ in range(people):
                    mark_all(create_registration(s), 3)
                change_status(s, SessionStatus.COMPLETED)
            db.session.commit()

    def run():
        with app.app_context():
            services.activity_report(YEAR_2026, language="en")

    add(1, 1)
    few = count_queries(run)
    add(5, 4)
    assert count_queries(run) == few
    assert few <= 30
