"""Volume data: years of realistic activity, for measuring pages against a database the size of
production's after a decade.

Institutions, associations, the staff accounts and the named experts are demo.py's; the rest is
generated from a seeded random generator: about `sessions_per_year` sessions a year ending in the
current year (titles and themes in French, Arabic and English from a list of ombudsman training
topics), their slots, trainers and two submitted reviews (a national and a foreign expert), and
`trainees_per_session` accepted trainees each — named in Latin and, for Arab countries, Arabic
script; some come back in later years — with refused, waitlisted and cancelled registrations
besides, and attendance marks (mostly present). Sessions that ended are completed (a few
cancelled); the current year's later ones are at the stage their dates imply.

Everything but the certificates is written with Core bulk inserts (executemany), one transaction
a year, with the ids chosen here so that rows can refer to one another without a round trip; the
rules hold by construction (capacity and quota never exceeded, marks only for accepted
registrations, one live registration per trainee and session) and tests/test_seed_volume.py
checks them. The most recent year's certificates go through the certificates service
(issue_for_session: real PDFs, numbers, audit), session by session.

Audit entries: written for what the normal paths record per session (creation, status changes),
per registration (registered, decided, cancelled) and per review (assigned, submitted). Skipped,
as too many rows for what they would tell: one entry per attendance mark (save_marks writes one
per mark), trainees' account creation and e-mail confirmation (volume trainees have no account),
and trainer assignments.
"""
import io
import random
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from centre.auth.services import create_user
from centre.demo import ASSOCIATIONS, DEMO_PASSWORD, EXPERTS, INSTITUTIONS, STAFF_ACCOUNTS
from centre.extensions import db
from centre.i18n import centre_zone
from centre.models import (
    Agreement,
    Association,
    AttendanceMark,
    AuditEntry,
    DocumentLanguage,
    Expert,
    Gender,
    Institution,
    MarkStatus,
    Recommendation,
    Registration,
    RegistrationStatus,
    Review,
    Role,
    SessionKind,
    SessionStatus,
    Slot,
    Trainee,
    Trainer,
    TrainingSession,
    User,
)
from centre.models.types import utcnow
from centre.sessions.services import SLOT_HOURS, holidays_between

#: (French, Arabic, English) title and theme of the topics sessions are drawn from.
TOPICS = [
    (("Techniques de réception et de traitement des plaintes", "تقنيات تلقي ومعالجة الشكايات",
      "Techniques for receiving and handling complaints"),
     ("Recevabilité, orientation, instruction avec l'administration concernée, délais et suivi.",
      "شروط القبول، والتوجيه، والبحث مع الإدارة المعنية، والآجال، والتتبع.",
      "Admissibility, referral, investigation with the administration concerned, time limits, follow-up.")),
    (("Méthodes d'enquête de l'ombudsman", "مناهج البحث والتحري لدى مؤسسات الأمبودسمان",
      "Ombudsman investigation methods"),
     ("Plan d'enquête, demandes d'information, auditions, visites sur place et rapport.",
      "خطة البحث، وطلبات المعلومات، والاستماع، والزيارات الميدانية، والتقرير.",
      "Investigation plan, requests for information, hearings, site visits and the report.")),
    (("Techniques de médiation institutionnelle", "تقنيات الوساطة المؤسساتية",
      "Institutional mediation techniques"),
     ("Écoute active, reformulation, recherche de solutions en équité, rédaction de l'accord.",
      "الإنصات الفعال، وإعادة الصياغة، والبحث عن حلول منصفة، وتحرير الاتفاق.",
      "Active listening, reformulation, seeking fair solutions, drafting the agreement.")),
    (("L'accès aux droits des personnes migrantes", "ولوج الأشخاص المهاجرين إلى الحقوق",
      "Access to rights for migrants"),
     ("État civil, santé, scolarisation et titres de séjour : plaintes types et coopération.",
      "الحالة المدنية، والصحة، والتمدرس، وسندات الإقامة: نماذج من الشكايات والتعاون.",
      "Civil registration, health, schooling and residence permits: typical complaints, cooperation.")),
    (("Administration numérique et droits des usagers", "الإدارة الرقمية وحقوق المرتفقين",
      "Digital administration and users' rights"),
     ("Dématérialisation, inclusion numérique, décisions automatisées, données personnelles.",
      "رقمنة المساطر، والإدماج الرقمي، والقرارات الآلية، والمعطيات الشخصية.",
      "Online procedures, digital inclusion, automated decisions, personal data.")),
    (("Rédaction des recommandations et des rapports", "تحرير التوصيات والتقارير",
      "Writing recommendations and reports"),
     ("Motiver une recommandation, la rendre applicable et en suivre l'exécution ; le rapport annuel.",
      "تعليل التوصية وجعلها قابلة للتنفيذ وتتبع تنفيذها؛ التقرير السنوي.",
      "Reasoning a recommendation, making it workable and following it up; the annual report.")),
    (("Enquêtes systémiques et d'initiative", "الأبحاث التلقائية والأبحاث حول الاختلالات البنيوية",
      "Systemic and own-initiative investigations"),
     ("Repérer un dysfonctionnement récurrent, conduire l'enquête, proposer une réforme.",
      "رصد اختلال متكرر، وإجراء البحث، واقتراح الإصلاح.",
      "Spotting a recurring failure, investigating it, proposing a reform.")),
    (("Communication et relations avec les médias", "التواصل والعلاقة مع وسائل الإعلام",
      "Communication and media relations"),
     ("Faire connaître l'institution, communiquer un rapport, réagir à une crise médiatique.",
      "التعريف بالمؤسسة، وتقديم التقرير، والتفاعل مع الأزمات الإعلامية.",
      "Making the institution known, presenting a report, handling a media crisis.")),
    (("Droits de l'enfant et ombudsman", "حقوق الطفل والأمبودسمان", "Children's rights and the ombudsman"),
     ("Plaintes concernant les enfants, écoute adaptée, coopération avec les services sociaux.",
      "الشكايات المتعلقة بالأطفال، والإنصات الملائم، والتعاون مع المصالح الاجتماعية.",
      "Complaints about children, child-friendly hearings, cooperation with social services.")),
    (("Égalité entre les femmes et les hommes dans les services publics",
      "المساواة بين النساء والرجال في المرافق العمومية",
      "Gender equality in public services"),
     ("Discriminations, budgétisation sensible au genre, plaintes des usagères.",
      "التمييز، والميزانية المستجيبة للنوع، وشكايات المرتفقات.",
      "Discrimination, gender-responsive budgeting, complaints from women users.")),
    (("Éthique, déontologie et indépendance de l'ombudsman", "الأخلاقيات والاستقلالية لدى الأمبودسمان",
      "Ethics and independence of the ombudsman"),
     ("Impartialité, conflits d'intérêts, confidentialité, garanties d'indépendance.",
      "الحياد، وتضارب المصالح، والسرية، وضمانات الاستقلال.",
      "Impartiality, conflicts of interest, confidentiality, guarantees of independence.")),
    (("Gestion des dossiers et systèmes d'information", "تدبير الملفات ونظم المعلومات",
      "Case management and information systems"),
     ("Chaîne de traitement, indicateurs, statistiques et archivage des plaintes.",
      "سلسلة المعالجة، والمؤشرات، والإحصاءات، وأرشفة الشكايات.",
      "Processing chain, indicators, statistics and archiving of complaints.")),
    (("Médiation en matière fiscale et foncière", "الوساطة في المنازعات الجبائية والعقارية",
      "Mediation in tax and land disputes"),
     ("Litiges fiscaux et fonciers : cadre juridique, méthode, études de cas.",
      "المنازعات الجبائية والعقارية: الإطار القانوني، والمنهجية، ودراسة حالات.",
      "Tax and land disputes: legal framework, method, case studies.")),
    (("Accueil et orientation des requérants", "استقبال المشتكين وتوجيههم", "Receiving and guiding complainants"),
     ("Accueil physique et téléphonique, requérants vulnérables, orientation vers l'instance compétente.",
      "الاستقبال المباشر والهاتفي، والمشتكون في وضعية هشاشة، والتوجيه نحو الجهة المختصة.",
      "Front desk and telephone, vulnerable complainants, referral to the competent body.")),
    (("Suivi de l'exécution des décisions de justice par l'administration",
      "تتبع تنفيذ الإدارة للأحكام القضائية",
      "Following up the administration's compliance with court rulings"),
     ("Inexécution des jugements, intervention de l'ombudsman, dialogue avec l'administration.",
      "عدم تنفيذ الأحكام، وتدخل الأمبودسمان، والحوار مع الإدارة.",
      "Non-compliance with judgments, the ombudsman's intervention, dialogue with the administration.")),
    (("Prévention de la torture et lieux de privation de liberté", "الوقاية من التعذيب وأماكن الحرمان من الحرية",
      "Torture prevention and places of deprivation of liberty"),
     ("Visites de lieux de détention, entretiens confidentiels, recommandations aux autorités.",
      "زيارة أماكن الاحتجاز، والمقابلات السرية، والتوصيات إلى السلطات.",
      "Visits to places of detention, confidential interviews, recommendations to the authorities.")),
]

#: (French, Arabic, English) suffixes that vary a topic's title from one edition to the next.
VARIANTS = [
    ("", "", ""),
    (" — niveau avancé", " — مستوى متقدم", " — advanced level"),
    (" — module d'initiation", " — وحدة تمهيدية", " — introductory module"),
    (" : études de cas", ": دراسة حالات", ": case studies"),
    (" — atelier pratique", " — ورشة تطبيقية", " — practical workshop"),
]

VENUES = [("Rabat", "الرباط", "Rabat")] * 6 + [
    ("Marrakech", "مراكش", "Marrakesh"), ("Fès", "فاس", "Fez"), ("Tanger", "طنجة", "Tangier"),
]
#: Where expert missions go: the partner's capital, by country.
MISSION_VENUES = {
    "SN": ("Dakar", "داكار", "Dakar"), "TN": ("Tunis", "تونس", "Tunis"), "DJ": ("Djibouti", "جيبوتي", "Djibouti"),
    "BF": ("Ouagadougou", "واغادوغو", "Ouagadougou"), "CI": ("Abidjan", "أبيدجان", "Abidjan"),
    "ML": ("Bamako", "باماكو", "Bamako"), "BJ": ("Cotonou", "كوتونو", "Cotonou"),
    "MG": ("Antananarivo", "أنتاناناريفو", "Antananarivo"),
}

#: Latin and Arabic spellings of given names (female, male) and family names in Arab countries.
ARAB_FEMALE = [("Amina", "أمينة"), ("Fatima Zahra", "فاطمة الزهراء"), ("Khadija", "خديجة"), ("Salma", "سلمى"),
               ("Nadia", "نادية"), ("Leila", "ليلى"), ("Imane", "إيمان"), ("Houda", "هدى"), ("Samira", "سميرة"),
               ("Rania", "رانيا"), ("Mona", "منى"), ("Asmaa", "أسماء"), ("Nour", "نور"), ("Hanane", "حنان")]
ARAB_MALE = [("Youssef", "يوسف"), ("Omar", "عمر"), ("Karim", "كريم"), ("Hassan", "حسن"), ("Mehdi", "مهدي"),
             ("Rachid", "رشيد"), ("Ahmed", "أحمد"), ("Tarik", "طارق"), ("Anas", "أنس"), ("Khalid", "خالد"),
             ("Mohamed", "محمد"), ("Ibrahim", "إبراهيم"), ("Hamza", "حمزة"), ("Adil", "عادل")]
ARAB_FAMILY = [("Benali", "بنعلي"), ("El Idrissi", "الإدريسي"), ("Haddad", "حداد"), ("Mansouri", "المنصوري"),
               ("Ben Salem", "بن سالم"), ("Chraibi", "الشرايبي"), ("Bouzid", "بوزيد"), ("Tazi", "التازي"),
               ("Trabelsi", "الطرابلسي"), ("Abdel Rahman", "عبد الرحمن"), ("Osman", "عثمان"),
               ("Khoury", "خوري"), ("Odeh", "عودة"), ("El Fassi", "الفاسي"), ("Amrani", "العمراني"),
               ("Saidi", "السعيدي"), ("Nasser", "ناصر"), ("Hamdi", "حمدي")]
AFRICA_FEMALE = ["Aïssatou", "Fatoumata", "Rasmata", "Adjoua", "Mariam", "Awa", "Ndeye Fatou", "Voahangy",
                 "Aminata", "Clarisse", "Hodan", "Nafissatou"]
AFRICA_MALE = ["Mamadou", "Salif", "Moussa", "Cheikh Tidiane", "Gildas", "Serge", "Ibrahima", "Boubacar",
               "Issa", "Rija", "Abdoulaye", "Koffi"]
AFRICA_FAMILY = ["Diop", "Traoré", "Ouédraogo", "Kaboré", "Kouassi", "Kouamé", "Coulibaly", "Ndiaye", "Fall",
                 "Sarr", "Diallo", "Houngbédji", "Rasoanaivo", "Sawadogo", "Cissé", "Abdillahi Farah", "Konaté"]
EUROPE_FEMALE = ["Julie", "Claire", "Eleni", "Marta", "Sophie", "Lucía", "Anne", "Maria"]
EUROPE_MALE = ["Thomas", "Pierre", "Nikos", "Javier", "Luc", "Marc", "Georgios", "Antoine"]
EUROPE_FAMILY = ["Marchand", "Lemaire", "Papadaki", "García", "Dubois", "Lambert", "Martin", "Papadopoulos",
                 "Fernández", "Peeters"]
ARAB_COUNTRIES = {"MA", "TN", "EG", "SD", "PS", "DJ"}
EUROPE_COUNTRIES = {"FR", "BE", "ES", "GR"}
#: How often each partner country sends trainees (the host's own staff most).
COUNTRY_WEIGHTS = {"MA": 12, "TN": 6, "EG": 5, "SD": 4, "PS": 4, "DJ": 4, "SN": 6, "BF": 4, "BJ": 3, "CI": 5,
                   "ML": 4, "MG": 3, "FR": 2, "BE": 2, "ES": 1, "GR": 1}
#: Trainees from countries without a partner institution yet: (country, their institution).
NON_PARTNERS = [("DZ", "Médiateur de la République algérienne"), ("JO", "Integrity and Anti-Corruption Commission"),
                ("MR", "Médiateur de la République islamique de Mauritanie")]
POSITIONS = ["Chargée d'études", "Chargé de l'instruction des plaintes", "Médiateur délégué", "Juriste",
             "Chef de service des requêtes", "Conseiller technique", "Délégué régional", "Analyste",
             "Chargée de la communication", "Cadre au pôle médiation"]
SPECIALITIES = ["Instruction des plaintes", "Médiation institutionnelle", "Droits de l'homme",
                "Administration numérique", "Droit administratif", "Enquêtes systémiques",
                "Communication institutionnelle", "Droits de l'enfant", "Gestion des organisations"]
REFUSAL_REASONS = ["Profil sans lien avec le thème de la session.", "Dossier incomplet.",
                   "Candidature reçue après la date limite."]
QUOTA_REASON = "Quota de places par institution atteint."


@dataclass
class Volume:
    """What seed_volume wrote, for the CLI to print and the tests to check."""

    counts: Counter = field(default_factory=Counter)
    certificate_sessions: list[int] = field(default_factory=list)  #: sessions whose certificates were issued


class _Ids:
    """Ids given here, after the largest in each table, so rows can refer to one another at once."""

    def __init__(self, tables):
        self.next = {t.__tablename__: (db.session.scalar(sa.select(sa.func.max(t.id))) or 0) + 1 for t in tables}

    def __call__(self, table) -> int:
        value = self.next[table.__tablename__]
        self.next[table.__tablename__] = value + 1
        return value


def is_empty() -> bool:
    """No session and no trainee yet (accounts, partners and experts may already be there)."""
    return (db.session.scalar(sa.select(TrainingSession.id).limit(1)) is None
            and db.session.scalar(sa.select(Trainee.id).limit(1)) is None)


def seed_volume(years: int = 10, sessions_per_year: int = 100, trainees_per_session: int = 30, *,
                seed: int = 0, certificates: bool = True, today: date | None = None,
                progress: Callable[[str], None] = print) -> Volume:
    """Write `years` years of activity ending in `today`'s year; commits each year as it goes."""
    today = today or datetime.now(centre_zone()).date()
    rng = random.Random(seed)
    writer = _Writer(rng, today, trainees_per_session, progress)
    for year in range(today.year - years + 1, today.year + 1):
        writer.year(year, sessions_per_year)
        db.session.commit()
    writer.fix_sequences()
    db.session.commit()
    if certificates:
        writer.issue_certificates(today.year)
    return writer.volume


class _Writer:
    def __init__(self, rng, today, trainees_per_session, progress):
        self.rng, self.today, self.size, self.progress = rng, today, trainees_per_session, progress
        self.zone = centre_zone()
        self.now = utcnow()
        self.volume = Volume()
        self.coordinator = self._staff()
        self.institutions = self._institutions()
        self.ids = _Ids([TrainingSession, Slot, Review, Trainee, Registration, AttendanceMark, AuditEntry, Expert])
        self.experts = self._experts()
        self.trainees: list[dict] = []  #: every trainee written, for returning ones
        self.emails: set[str] = set(db.session.scalars(sa.select(Trainee.email)))
        self.codes: set[str] = set(db.session.scalars(sa.select(TrainingSession.code)))

    # Reference data, through the ORM: few rows -------------------------------------------------

    def _staff(self) -> User:
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        created = {}
        for email, role, name in STAFF_ACCOUNTS:
            created[role] = users.get(email) or create_user(email, DEMO_PASSWORD, role, full_name=name)
        db.session.flush()
        return created[Role.COORDINATOR]

    def _institutions(self) -> dict[str, int]:
        existing = {i.country: i.id for i in db.session.scalars(sa.select(Institution).order_by(Institution.id.desc()))}
        associations = {a.code: a for a in db.session.scalars(sa.select(Association))}
        for code, name_fr, name_ar, name_en in ASSOCIATIONS:
            if code not in associations:
                associations[code] = Association(code=code, name_fr=name_fr, name_ar=name_ar, name_en=name_en)
                db.session.add(associations[code])
        for country, name_fr, name_ar, name_en, kind, codes in INSTITUTIONS:
            if country not in existing:
                signed_on = date(self.today.year - self.rng.randrange(1, 12), self.rng.randrange(1, 13), 15)
                institution = Institution(
                    name_fr=name_fr, name_ar=name_ar, name_en=name_en, country=country, kind=kind,
                    associations=[associations[c] for c in codes],
                    agreements=[Agreement(title="Convention de coopération et de partenariat", signed_on=signed_on,
                                          ends_on=signed_on.replace(year=signed_on.year + 5)
                                          if self.rng.random() < 0.5 else None)])
                db.session.add(institution)
                db.session.flush()
                existing[country] = institution.id
        return existing

    def _experts(self) -> list[tuple[int, str]]:
        """(id, nationality) of every expert: demo.py's eight and about thirty more."""
        emails = set(db.session.scalars(sa.select(Expert.email)))
        rows = []

        def add(given, family, name_ar, nationality, speciality):
            email = _email(given, family, nationality, emails)
            rows.append({"id": self.ids(Expert), "given_name": given, "family_name": family,
                         "full_name_ar": name_ar, "email": email, "nationality": nationality,
                         "speciality": speciality, "institution_id": self.institutions.get(nationality)})

        for given, family, name_ar, nationality, speciality in EXPERTS.values():
            if _email(given, family, nationality, set()) not in emails:
                add(given, family, name_ar, nationality, speciality)
        for n in range(32):
            nationality = "MA" if n % 2 == 0 else self.rng.choice([c for c in COUNTRY_WEIGHTS if c != "MA"])
            given, family, name_ar, _ = self._name(nationality, Gender.FEMALE if n % 3 else Gender.MALE)
            add(given, family, name_ar, nationality, self.rng.choice(SPECIALITIES))
        _insert(Expert, rows)
        return db.session.execute(sa.select(Expert.id, Expert.nationality).order_by(Expert.id)).all()

    def _name(self, country, gender):
        """(given, family, full name in Arabic script or "", gender) for someone from `country`."""
        rng = self.rng
        if country in ARAB_COUNTRIES or country in {"DZ", "JO", "MR"}:
            given = rng.choice(ARAB_FEMALE if gender == Gender.FEMALE else ARAB_MALE)
            family = rng.choice(ARAB_FAMILY)
            return given[0], family[0], f"{given[1]} {family[1]}", gender
        if country in EUROPE_COUNTRIES:
            given = rng.choice(EUROPE_FEMALE if gender == Gender.FEMALE else EUROPE_MALE)
            return given, rng.choice(EUROPE_FAMILY), "", gender
        given = rng.choice(AFRICA_FEMALE if gender == Gender.FEMALE else AFRICA_MALE)
        return given, rng.choice(AFRICA_FAMILY), "", gender

    # One year ---------------------------------------------------------------------------------

    def year(self, year: int, count: int) -> None:
        rows = {t: [] for t in (TrainingSession, Slot, Trainer, Review, Trainee, Registration, AttendanceMark,
                                AuditEntry)}
        self.rows = rows
        numbers = Counter()
        for n in range(count):
            # Spread over weeks 2 to 50 (two a week at a hundred a year): in late November the last
            # ones are still open for registration.
            week = 2 + n * 49 // count
            monday = date.fromisocalendar(year, week, 1)
            start = monday + timedelta(days=self.rng.choice([0, 0, 0, 1, 2]))
            numbers[year] += 1
            self._session(year, numbers[year], start)
        for table, table_rows in rows.items():
            _insert(table, table_rows)
            self.volume.counts[table.__tablename__] += len(table_rows)
        self.progress(f"{year}: {len(rows[TrainingSession])} sessions, {len(rows[Registration])} registrations, "
                      f"{len(rows[AttendanceMark])} attendance marks, {len(rows[Trainee])} new trainees")

    def _at(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour, self.rng.randrange(60)), self.zone)

    def _audit(self, table, entity_id, action, at, *, from_state=None, to_state=None, actor=True, **details):
        self.rows[AuditEntry].append({
            "id": self.ids(AuditEntry), "at": min(at, self.now), "actor_id": self.coordinator.id if actor else None,
            "entity": table.__tablename__, "entity_id": entity_id, "action": action,
            "from_state": from_state, "to_state": to_state, "details": details,
        })

    def _status(self, start: date, end: date) -> SessionStatus:
        S, days = SessionStatus, (start - self.today).days
        if end < self.today:
            return S.CANCELLED if self.rng.random() < 0.03 else S.COMPLETED
        if start <= self.today:
            return S.IN_PROGRESS
        for limit, status in ((10, S.CLOSED), (120, S.OPEN), (160, S.APPROVED), (220, S.IN_REVIEW)):
            if days <= limit:
                return status
        return S.DRAFT

    def _session(self, year: int, number: int, start: date) -> None:
        rng = self.rng
        kind = rng.choices(list(SessionKind), weights=[75, 15, 10])[0]
        days = rng.choice([2, 3, 3, 4, 5, 5])
        end = start + timedelta(days=days - 1)
        while end.weekday() >= 5:
            end += timedelta(days=1)
        status = self._status(start, end)
        title, theme = rng.choice(TOPICS)
        variant = rng.choice(VARIANTS)
        if kind == SessionKind.EXPERT_MISSION:
            country = rng.choice(sorted(MISSION_VENUES))
            venue = MISSION_VENUES[country]
        else:
            venue = rng.choice(VENUES)
        code = f"{year}-{number:02d}"
        while code in self.codes:
            code += "b"
        self.codes.add(code)
        session_id = self.ids(TrainingSession)
        created_at = self._at(start - timedelta(days=rng.randrange(180, 260)))
        quota = max(2, self.size // 4) if rng.random() < 0.2 else None
        self.rows[TrainingSession].append({
            "id": session_id, "code": code, "kind": kind, "status": status,
            "title_fr": title[0] + variant[0], "title_ar": title[1] + variant[1], "title_en": title[2] + variant[2],
            "theme_fr": theme[0], "theme_ar": theme[1], "theme_en": theme[2],
            "programme_fr": "\n".join(f"Jour {d + 1} : {theme[0]}" for d in range(days)),
            "programme_ar": "\n".join(f"اليوم {d + 1}: {theme[1]}" for d in range(days)),
            "programme_en": "\n".join(f"Day {d + 1}: {theme[2]}" for d in range(days)),
            "venue_fr": venue[0], "venue_ar": venue[1], "venue_en": venue[2],
            "start_on": start, "end_on": end, "capacity": self.size, "institution_quota": quota,
            "registration_deadline": start - timedelta(days=7),
            "languages": rng.choice(["fr,ar", "fr,ar", "ar,fr", "fr", "fr,ar,en"]),
            "attendance_threshold": rng.choice([80, 80, 80, 75, 70]),
            "excused_left_out": rng.random() < 0.1, "created_at": created_at,
        })
        self._audit(TrainingSession, session_id, "create", created_at, to_state="draft", code=code)
        slots = self._slots(session_id, start, end)
        S = SessionStatus
        reached = [s for s in (S.IN_REVIEW, S.APPROVED, S.OPEN, S.CLOSED, S.IN_PROGRESS, S.COMPLETED)
                   if _rank(s) <= _rank(status)]
        if status == S.CANCELLED:
            reached = [S.IN_REVIEW, S.APPROVED, S.OPEN]
        self._trainers(session_id, start, end)
        self._reviews(session_id, code, start, submitted=2 if S.APPROVED in reached else len(reached))
        when = {S.IN_REVIEW: start - timedelta(days=150), S.APPROVED: start - timedelta(days=100),
                S.OPEN: start - timedelta(days=90), S.CLOSED: start - timedelta(days=7),
                S.IN_PROGRESS: start, S.COMPLETED: end + timedelta(days=1)}
        previous = S.DRAFT
        for target in reached:
            self._audit(TrainingSession, session_id, "status", self._at(when[target], 9),
                        from_state=previous.value, to_state=target.value)
            previous = target
        if status == S.CANCELLED:
            self._audit(TrainingSession, session_id, "status", self._at(start - timedelta(days=30), 9),
                        from_state=previous.value, to_state=status.value, reason="Report à une date ultérieure.")
        if S.OPEN in reached:
            self._registrations(session_id, code, start, end, status, quota, slots)

    def _slots(self, session_id, start, end) -> list[dict]:
        holidays = holidays_between(start, end)
        slots = []
        day = start
        while day <= end:
            if day.weekday() < 5 and day not in holidays:
                for part, (begins, ends) in SLOT_HOURS.items():
                    slots.append({"id": self.ids(Slot), "session_id": session_id, "part": part,
                                  "starts_at": datetime.combine(day, begins, self.zone),
                                  "ends_at": datetime.combine(day, ends, self.zone)})
            day += timedelta(days=1)
        self.rows[Slot] += slots
        return slots

    def _pick_experts(self, count):
        national = [e for e in self.experts if e[1] == "MA"]
        foreign = [e for e in self.experts if e[1] != "MA"]
        picked = [self.rng.choice(national), self.rng.choice(foreign)]
        while len(picked) < count:
            candidate = self.rng.choice(self.experts)
            if candidate not in picked:
                picked.append(candidate)
        return picked

    def _trainers(self, session_id, start, end) -> None:
        days = (end - start).days + 1
        for expert_id, _ in self._pick_experts(self.rng.choice([1, 2, 2, 3])):
            self.rows[Trainer].append({"session_id": session_id, "expert_id": expert_id,
                                       "days": self.rng.choice([days, max(1, days - 1), days / 2])})

    def _reviews(self, session_id, code, start, submitted) -> None:
        for index, (expert_id, _) in enumerate(self._pick_experts(2)):
            review_id = self.ids(Review)
            assigned_at = self._at(start - timedelta(days=self.rng.randrange(150, 170)))
            row = {"id": review_id, "session_id": session_id, "expert_id": expert_id, "assigned_at": assigned_at,
                   "due_on": start - timedelta(days=110), "assigned_by_id": self.coordinator.id,
                   "has_conflict": False, "conflict_note": "", "comments": "", "score_relevance": None,
                   "score_methodology": None, "score_audience": None, "recommendation": None,
                   "submitted_at": None, "recorded_by_id": None}
            self._audit(Review, review_id, "assign", assigned_at, to_state="assigned", session=code)
            if index < submitted:
                recommendation = self.rng.choice([Recommendation.APPROVE] * 3 + [Recommendation.APPROVE_WITH_CHANGES] * 2)
                submitted_at = assigned_at + timedelta(days=self.rng.randrange(5, 35))
                row.update(score_relevance=self.rng.randint(3, 5), score_methodology=self.rng.randint(3, 5),
                           score_audience=self.rng.randint(3, 5), recommendation=recommendation,
                           submitted_at=submitted_at, recorded_by_id=self.coordinator.id,
                           comments=self.rng.choice(["Programme équilibré.", "Thème utile aux partenaires.",
                                                     "Prévoir davantage d'études de cas.", ""]))
                self._audit(Review, review_id, "submit", submitted_at, from_state="assigned",
                            to_state=recommendation.value, session=code)
            self.rows[Review].append(row)

    def _trainee(self, submitted_at) -> dict:
        """A new trainee from a partner country (a few from countries without a partner yet)."""
        rng = self.rng
        if rng.random() < 0.03:
            country, other = rng.choice(NON_PARTNERS)
            institution_id = None
        else:
            country = rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]
            institution_id, other = self.institutions[country], ""
        given, family, name_ar, gender = self._name(country, rng.choice(list(Gender)))
        language = (rng.choice([DocumentLanguage.AR, DocumentLanguage.BILINGUAL]) if name_ar
                    else rng.choice([DocumentLanguage.FR] * 4 + [DocumentLanguage.BILINGUAL]))
        travels = country != "MA"
        trainee_id = self.ids(Trainee)
        row = {"id": trainee_id, "user_id": None, "given_name": given, "family_name": family,
               "full_name_ar": name_ar, "gender": gender, "nationality": country,
               "institution_id": institution_id, "institution_other": other,
               "position": rng.choice(POSITIONS), "email": _email(given, family, country, self.emails),
               "phone": f"+{rng.randrange(20, 400)} {rng.randrange(10**7, 10**8)}",
               "passport_number": f"P{trainee_id:08d}" if travels and rng.random() < 0.6 else None,
               "passport_expires_on": None, "certificate_language": language,
               "created_at": submitted_at - timedelta(minutes=5), "email_confirmed_at": submitted_at,
               "anonymised_at": None}
        if row["passport_number"]:
            row["passport_expires_on"] = submitted_at.date() + timedelta(days=rng.randrange(400, 3000))
        self.rows[Trainee].append(row)
        self.trainees.append(row)
        return row

    def _registrations(self, session_id, code, start, end, status, quota, slots) -> None:
        rng, S, R = self.rng, SessionStatus, RegistrationStatus
        decided = status != S.OPEN
        # Candidates: about a fifth come back from earlier sessions.
        wanted = self.size + rng.randrange(self.size // 5 + 1) + 1 if decided else rng.randrange(self.size // 2 + 1)
        chosen, candidates = set(), []
        while len(candidates) < wanted:
            submitted_at = self._at(start - timedelta(days=rng.randrange(30, 80)), rng.randrange(8, 20))
            if submitted_at >= self.now:  # an open session's registrations came in before today
                submitted_at = self.now - timedelta(hours=rng.randrange(1, 500))
            if self.trainees and rng.random() < 0.2:
                trainee = rng.choice(self.trainees)
                if trainee["id"] in chosen or trainee["created_at"] >= submitted_at:
                    continue
            else:
                trainee = self._trainee(submitted_at)
            chosen.add(trainee["id"])
            candidates.append((trainee, submitted_at))
        candidates.sort(key=lambda c: c[1])
        accepted, per_institution, waitlist = [], Counter(), 0
        for trainee, submitted_at in candidates:
            registration_id = self.ids(Registration)
            travels = trainee["nationality"] != "MA"
            row = {"id": registration_id, "trainee_id": trainee["id"], "session_id": session_id,
                   "submitted_at": submitted_at, "decided_at": None, "decided_by_id": None, "decision_reason": "",
                   "waitlist_position": None, "cancelled_at": None,
                   "arrival_on": start - timedelta(days=1) if travels else None,
                   "departure_on": end + timedelta(days=1) if travels else None,
                   "needs_visa_letter": bool(travels and trainee["passport_number"] and rng.random() < 0.5)}
            self._audit(Registration, registration_id, "register", submitted_at, to_state="pending", actor=False,
                        session=code)
            decided_at = submitted_at + timedelta(days=rng.randrange(1, 10), hours=rng.randrange(6))
            full = len(accepted) >= self.size
            over_quota = quota is not None and per_institution[trainee["institution_id"]] >= quota
            roll = rng.random()
            if (not decided and roll < 0.4) or decided_at >= self.now:
                outcome, reason = R.PENDING, ""
            elif roll < 0.07:
                outcome, reason = R.REJECTED, rng.choice(REFUSAL_REASONS)
            elif over_quota and trainee["institution_id"] is not None:
                outcome, reason = R.REJECTED, QUOTA_REASON
            elif full:
                outcome, reason = R.WAITLISTED, ""
            else:
                outcome, reason = R.ACCEPTED, ""
            row["status"] = outcome
            if outcome != R.PENDING:
                row.update(decided_at=decided_at, decided_by_id=self.coordinator.id, decision_reason=reason)
                self._audit(Registration, registration_id, "decide", decided_at, from_state="pending",
                            to_state=outcome.value, reason=reason or None)
            if outcome == R.WAITLISTED:
                waitlist += 1
                row["waitlist_position"] = waitlist
            if outcome == R.ACCEPTED:
                if decided and rng.random() < 0.04:  # the trainee withdrew; nobody was promoted
                    row.update(status=R.CANCELLED, cancelled_at=decided_at + timedelta(days=3))
                    self._audit(Registration, registration_id, "cancel", row["cancelled_at"], from_state="accepted",
                                to_state="cancelled", actor=False)
                else:
                    accepted.append(row)
                    per_institution[trainee["institution_id"]] += 1
            self.rows[Registration].append(row)
        if status in (S.IN_PROGRESS, S.COMPLETED):
            self._marks(accepted, slots, status)

    def _marks(self, accepted, slots, status) -> None:
        rng, P, L, E, A = self.rng, MarkStatus.PRESENT, MarkStatus.LATE, MarkStatus.EXCUSED, MarkStatus.ABSENT
        held = [s for s in slots if status == SessionStatus.COMPLETED or s["ends_at"] <= self.now]
        for registration in accepted:
            profile = rng.random()
            weights = [96, 2, 1, 1] if profile < 0.85 else [85, 7, 5, 3] if profile < 0.95 else [55, 5, 15, 25]
            marks = rng.choices([P, L, E, A], weights=weights, k=len(held))
            for slot, mark in zip(held, marks):
                self.rows[AttendanceMark].append({
                    "id": self.ids(AttendanceMark), "registration_id": registration["id"], "slot_id": slot["id"],
                    "status": mark, "note": "", "recorded_by_id": self.coordinator.id,
                    "recorded_at": min(slot["ends_at"], self.now)})

    # After the bulk inserts -------------------------------------------------------------------

    def fix_sequences(self) -> None:
        """PostgreSQL's id sequences do not see ids given explicitly: move them past the largest."""
        if db.engine.dialect.name != "postgresql":
            return
        for table in (TrainingSession, Slot, Review, Trainee, Registration, AttendanceMark, AuditEntry, Expert):
            name = table.__tablename__
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{name}\"), false)"))

    def issue_certificates(self, year: int) -> None:
        """The year's completed sessions' certificates, through the service (real PDFs), session by session."""
        import time

        from centre.certificates.bulk import issue_for_session
        from centre.certificates.signatories import active_signatories

        if not active_signatories():
            _add_signatory(self.coordinator)
            db.session.commit()
        sessions = db.session.scalars(
            sa.select(TrainingSession).where(TrainingSession.status == SessionStatus.COMPLETED,
                                             TrainingSession.start_on >= date(year, 1, 1))
            .order_by(TrainingSession.start_on, TrainingSession.id)).all()
        started, total = time.perf_counter(), 0
        for index, training_session in enumerate(sessions, 1):
            issued, plan = issue_for_session(training_session, None, self.coordinator)
            total += len(issued)
            self.volume.certificate_sessions.append(training_session.id)
            elapsed = time.perf_counter() - started
            self.progress(f"certificates: session {training_session.code} ({index}/{len(sessions)}): "
                          f"{len(issued)} issued, {len(plan.refused)} below the threshold; "
                          f"{total} in {elapsed:.0f} s ({total / elapsed:.1f}/s)")
        self.volume.counts["certificate"] = total


_RANKS = [SessionStatus.DRAFT, SessionStatus.IN_REVIEW, SessionStatus.APPROVED, SessionStatus.OPEN,
          SessionStatus.CLOSED, SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED]


def _rank(status: SessionStatus) -> int:
    return _RANKS.index(status) if status in _RANKS else -1


def _insert(table, rows: list[dict], batch: int = 5000) -> None:
    """Core executemany, in batches (the ORM's unit of work is far too slow for this)."""
    statement = sa.insert(table.__table__)
    for i in range(0, len(rows), batch):
        db.session.execute(statement, rows[i:i + batch])


def _email(given: str, family: str, country: str, taken: set[str]) -> str:
    """given.family@<country>.example.org, numbered when taken; added to `taken`."""

    def ascii_part(name):
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return "".join(ch for ch in plain.lower() if ch.isalnum())

    local, n = f"{ascii_part(given)}.{ascii_part(family)}", 1
    email = f"{local}@{country.lower()}.example.org"
    while email in taken:
        n += 1
        email = f"{local}{n}@{country.lower()}.example.org"
    taken.add(email)
    return email


def _add_signatory(actor) -> None:
    from PIL import Image, ImageDraw

    from centre.certificates.signatories import add_signatory

    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).line([(10, 180), (300, 20), (590, 170)], fill="navy", width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    add_signatory("Rachid Amrani", "Directeur du centre", buffer.getvalue(), actor,
                  name_ar="رشيد العمراني", title_ar="مدير المركز")


__all__ = ["Volume", "is_empty", "seed_volume"]
