"""Demo data: real partner institutions, fictional people, sessions at every stage of the workflow.

The partners, staff accounts and named experts are common.py's; the people are fictional. Everything
a rule governs goes through the services the app uses, so the rules hold and the audit log tells
the story; associations, institutions, experts and trainers have no service yet and are rows.
Session dates are relative to today, so the open session is always ahead and the completed ones
behind. The caller commits.
"""
from datetime import date, timedelta

from centre import clock
from centre.attendance.services import eligibility, save_marks
from centre.certificates.services import issue_certificate
from centre.extensions import db
from centre.models import (
    DocumentLanguage,
    Expert,
    Gender,
    MarkStatus,
    Recommendation,
    RegistrationStatus,
    Role,
    SessionStatus,
    Trainer,
)
from centre.registrations.services import (
    accepted_registrations,
    cancel,
    create_trainee_account,
    decide,
    register,
)
from centre.reviews.services import assign_reviewer, record_review
from centre.seed.common import (
    ASSOCIATIONS,
    DEMO_PASSWORD,
    STAFF_ACCOUNTS,
    add_partners,
    email_address,
    named_experts,
    staff_users,
)
from centre.sessions.services import change_status, create_session

DEMO_TRAINEE_EMAIL = "amira.bensalem@tn.example.org"

#: The expert who signs in with the expert demo account.
EXPERT_ACCOUNT = "alaoui"

F, MALE = Gender.FEMALE, Gender.MALE
FR, AR, BI = DocumentLanguage.FR, DocumentLanguage.AR, DocumentLanguage.BILINGUAL

#: (given name, family name, name in Arabic script or "", gender, country, position,
#:  certificate language, passport number or None). The institution is the country's partner;
#:  the e-mail is given.family@<country>.example.org.
TRAINEES = [
    ("Omar", "Lahlou", "عمر لحلو", MALE, "MA", "Chargé de l'instruction des plaintes", AR, None),
    ("Imane", "Berrada", "إيمان برادة", F, "MA", "Cadre au pôle médiation", FR, None),
    ("Amira", "Ben Salem", "أميرة بن سالم", F, "TN", "Chargée d'études", BI, "Z4418306"),
    ("Mehdi", "Trabelsi", "مهدي الطرابلسي", MALE, "TN", "Médiateur régional adjoint", AR, None),
    ("Mona", "Abdel Rahman", "منى عبد الرحمن", F, "EG", "Chargée des plaintes", AR, "A27730154"),
    ("Ahmed", "Fathy Soliman", "أحمد فتحي سليمان", MALE, "EG", "Chercheur juriste", AR, None),
    ("Tarig", "Elsheikh", "طارق الشيخ", MALE, "SD", "Conseiller juridique", AR, "P05186243"),
    ("Nafisa", "Osman", "نفيسة عثمان", F, "SD", "Chargée de l'accueil des requérants", AR, None),
    ("Lina", "Khoury", "لينا خوري", F, "PS", "Avocate, unité des plaintes", AR, None),
    ("Yousef", "Odeh", "يوسف عودة", MALE, "PS", "Chercheur de terrain", AR, None),
    ("Hodan", "Abdillahi Farah", "", F, "DJ", "Assistante juridique", AR, "D0385172"),
    ("Ismaël", "Houssein Robleh", "إسماعيل حسين روبله", MALE, "DJ", "Chef de service des requêtes",
     FR, None),
    ("Aïssatou", "Diop", "", F, "SN", "Chargée de médiation", FR, "A02814377"),
    ("Cheikh Tidiane", "Fall", "", MALE, "SN", "Conseiller technique", FR, None),
    ("Ndeye Fatou", "Sarr", "", F, "SN", "Déléguée régionale", FR, None),
    ("Salif", "Ouédraogo", "", MALE, "BF", "Délégué régional", FR, "B1162940"),
    ("Rasmata", "Kaboré", "", F, "BF", "Chargée d'études", FR, None),
    ("Gildas", "Houngbédji", "", MALE, "BJ", "Chef du service des recours", FR, None),
    ("Adjoua", "Kouassi", "", F, "CI", "Juriste", FR, None),
    ("Serge", "Kouamé", "", MALE, "CI", "Chargé de la communication", FR, None),
    ("Fatoumata", "Traoré", "", F, "ML", "Chargée des requêtes", FR, "AA0671539"),
    ("Moussa", "Coulibaly", "", MALE, "ML", "Conseiller juridique", FR, None),
    ("Voahangy", "Rasoanaivo", "", F, "MG", "Chef de division des plaintes", FR, "11AR52274"),
    ("Julie", "Marchand", "", F, "FR", "Juriste, pôle accès aux droits", FR, None),
    ("Thomas", "Lemaire", "", MALE, "BE", "Conseiller traitant", FR, None),
    ("Eleni", "Papadaki", "", F, "GR", "Chargée d'enquêtes", FR, None),
]

P, L, E, A = MarkStatus.PRESENT, MarkStatus.LATE, MarkStatus.EXCUSED, MarkStatus.ABSENT
_MARKS = {"P": P, "L": L, "E": E, "A": A}

#: The sessions, oldest first. `offset`: days from today to the Monday on or after which the
#: session starts. `attendance`: the accepted trainees of a completed session (by e-mail) and
#: their marks, one letter per slot (Present, Late, Excused, Absent). `registrations`: the
#: others' outcome: a registration status, with the coordinator's reason after a colon, or
#: "cancelled" by the trainee.
SESSIONS = [
    {
        "status": SessionStatus.COMPLETED, "offset": -182, "days": 5, "capacity": 25,
        "threshold": 80, "languages": "fr,ar",
        "title": ("Techniques de réception et de traitement des plaintes",
                  "تقنيات تلقي ومعالجة الشكايات",
                  "Techniques for receiving and handling complaints"),
        "theme": ("De la réception de la plainte à la réponse motivée : recevabilité, orientation, "
                  "instruction avec l'administration concernée, délais et suivi des recommandations. "
                  "Études de cas tirées de la pratique des institutions partenaires.",
                  "من تلقي الشكاية إلى الجواب المعلل: شروط القبول، والتوجيه، والبحث مع الإدارة المعنية، "
                  "والآجال، وتتبع تنفيذ التوصيات. دراسة حالات مستقاة من ممارسة المؤسسات الشريكة.",
                  "From receiving a complaint to a reasoned reply: admissibility, referral, "
                  "investigation with the administration concerned, time limits and follow-up of "
                  "recommendations. Case studies from the practice of partner institutions."),
        "reviews": [("ouazzani", Recommendation.APPROVE, (5, 4, 5),
                     "Thème central pour les institutions partenaires ; programme équilibré."),
                    ("dumont", Recommendation.APPROVE_WITH_CHANGES, (5, 4, 4),
                     "Prévoir une demi-journée d'études de cas sur le suivi des recommandations.")],
        "trainers": [("benjelloun", 3), ("dumont", 2)],
        "attendance": {
            "omar.lahlou@ma.example.org": "PPPPPPPPPP",
            "aissatou.diop@sn.example.org": "PPPLPPPPPP",
            "mona.abdelrahman@eg.example.org": "PPPPPPPPEP",
            "hodan.abdillahifarah@dj.example.org": "PPPPPPPPPP",
            "lina.khoury@ps.example.org": "PPAPPPPPPP",
            "salif.ouedraogo@bf.example.org": "PPPPPPLPPP",
            "gildas.houngbedji@bj.example.org": "PPPPPPPPAA",
            "fatoumata.traore@ml.example.org": "PPPPPPPPPP",
            "tarig.elsheikh@sd.example.org": "PPPPPEEAAA",  # 50 %: below the threshold
        },
        "registrations": {"rasmata.kabore@bf.example.org": "cancelled"},
    },
    {
        "status": SessionStatus.COMPLETED, "offset": -63, "days": 4, "capacity": 20,
        "threshold": 75, "languages": "ar,fr",
        "title": ("Méthodes d'enquête de l'ombudsman",
                  "مناهج البحث والتحري لدى مؤسسات الأمبودسمان",
                  "Ombudsman investigation methods"),
        "theme": ("Conduire une enquête administrative : plan d'enquête, demandes d'information, "
                  "auditions, visites sur place, appréciation des preuves et rédaction du rapport. "
                  "Enquêtes d'initiative et enquêtes systémiques.",
                  "إجراء البحث الإداري: خطة البحث، وطلبات المعلومات، والاستماع، والزيارات الميدانية، "
                  "وتقدير وسائل الإثبات، وتحرير التقرير. الأبحاث التلقائية والأبحاث حول الاختلالات البنيوية.",
                  "Conducting an administrative investigation: investigation plan, requests for "
                  "information, hearings, site visits, weighing evidence and writing the report. "
                  "Own-initiative and systemic investigations."),
        "reviews": [("sqalli", Recommendation.APPROVE, (4, 5, 4),
                     "Programme solide ; les visites sur place gagneraient à être illustrées."),
                    ("lambert", Recommendation.APPROVE, (5, 5, 4),
                     "Très adapté aux institutions récentes.")],
        "trainers": [("alaoui", 2), ("lambert", 2)],
        "attendance": {
            DEMO_TRAINEE_EMAIL: "PPPPPPPP",
            "mehdi.trabelsi@tn.example.org": "PPPPPPLP",
            "ahmed.fathysoliman@eg.example.org": "PPPPPPPE",
            "ismael.housseinrobleh@dj.example.org": "PPPPPPPP",
            "yousef.odeh@ps.example.org": "PLPPPPPP",
            "nafisa.osman@sd.example.org": "PPPPPPAA",  # 75 %: the threshold exactly
            "adjoua.kouassi@ci.example.org": "PPPPPPPP",
            "imane.berrada@ma.example.org": "PPEPPPPP",
            "voahangy.rasoanaivo@mg.example.org": "PPPPPPPP",
        },
    },
    {
        "status": SessionStatus.OPEN, "offset": 56, "days": 5, "capacity": 24, "quota": 2,
        "threshold": 80, "languages": "fr,ar",
        "title": ("Techniques de médiation institutionnelle", "تقنيات الوساطة المؤسساتية",
                  "Institutional mediation techniques"),
        "theme": ("Préparer et conduire une médiation entre l'usager et l'administration : écoute "
                  "active, reformulation, recherche de solutions en équité, rédaction de l'accord. "
                  "Jeux de rôle et mises en situation.",
                  "التحضير للوساطة بين المرتفق والإدارة وإدارتها: الإنصات الفعال، وإعادة الصياغة، "
                  "والبحث عن حلول منصفة، وتحرير الاتفاق. لعب أدوار ومحاكاة لحالات عملية.",
                  "Preparing and conducting mediation between users and the administration: active "
                  "listening, reformulation, seeking fair solutions, drafting the agreement. Role "
                  "play and simulations."),
        "reviews": [("alaoui", Recommendation.APPROVE, (5, 4, 5),
                     "Les mises en situation répondent aux demandes des sessions précédentes."),
                    ("ndiaye", Recommendation.APPROVE_WITH_CHANGES, (4, 4, 5),
                     "Ajouter un module sur la médiation en contexte de crise.")],
        "trainers": [("benjelloun", 3), ("ndiaye", 3)],
        "registrations": {
            DEMO_TRAINEE_EMAIL: "accepted",
            "aissatou.diop@sn.example.org": "accepted",
            "cheikhtidiane.fall@sn.example.org": "accepted",
            "ndeyefatou.sarr@sn.example.org":
                "waitlisted:Quota de deux places par institution atteint.",
            "serge.kouame@ci.example.org": "accepted",
            "voahangy.rasoanaivo@mg.example.org": "accepted",
            "moussa.coulibaly@ml.example.org": "pending",
            "julie.marchand@fr.example.org": "pending",
            "thomas.lemaire@be.example.org": "pending",
            "rasmata.kabore@bf.example.org": "pending",
            "eleni.papadaki@gr.example.org": "pending",
        },
    },
    {
        "status": SessionStatus.IN_REVIEW, "offset": 112, "days": 4, "capacity": 20,
        "threshold": 80, "languages": "fr,ar",
        "title": ("L'accès aux droits des personnes migrantes", "ولوج الأشخاص المهاجرين إلى الحقوق",
                  "Access to rights for migrants"),
        "theme": ("Le rôle de l'ombudsman dans l'accès des personnes migrantes aux services publics : "
                  "état civil, santé, scolarisation, titres de séjour. Plaintes types, coopération "
                  "entre institutions des pays d'origine, de transit et d'accueil.",
                  "دور الأمبودسمان في ولوج الأشخاص المهاجرين إلى المرافق العمومية: الحالة المدنية، "
                  "والصحة، والتمدرس، وسندات الإقامة. نماذج من الشكايات، والتعاون بين مؤسسات بلدان "
                  "المنشأ والعبور والاستقبال.",
                  "The ombudsman's role in migrants' access to public services: civil registration, "
                  "health, schooling, residence permits. Typical complaints, and cooperation between "
                  "institutions of countries of origin, transit and destination."),
        # The foreign expert's review is still awaited, and so is the demo expert's.
        "reviews": [("ouazzani", Recommendation.APPROVE_WITH_CHANGES, (5, 4, 4),
                     "Associer une institution d'un pays de transit à l'animation.")],
        "assigned": [("dumont", 60), ("alaoui", 55)],  # expert, due so many days before the start
    },
    {
        "status": SessionStatus.DRAFT, "offset": 168, "days": 5, "capacity": 30,
        "threshold": 80, "languages": "fr,ar,en",
        "title": ("Administration numérique et droits des usagers", "الإدارة الرقمية وحقوق المرتفقين",
                  "Digital administration and users' rights"),
        "theme": ("Dématérialisation des démarches et nouvelles formes de plaintes : accessibilité, "
                  "inclusion numérique, décisions automatisées, protection des données personnelles. "
                  "Comment l'ombudsman contrôle les services publics en ligne.",
                  "رقمنة المساطر والأشكال الجديدة للشكايات: الولوجية، والإدماج الرقمي، والقرارات "
                  "الآلية، وحماية المعطيات الشخصية. كيف يراقب الأمبودسمان المرافق العمومية الرقمية.",
                  "Online procedures and new kinds of complaints: accessibility, digital inclusion, "
                  "automated decisions, personal data protection. How the ombudsman oversees online "
                  "public services."),
        "reviews": [],
        "assigned": [("sqalli", 90), ("lambert", 90)],
    },
]

#: Partner countries whose demo trainees ask for a visa letter (when their passport is on file).
VISA_LETTER_COUNTRIES = {"DJ", "EG", "MG", "SD"}


def demo_logins() -> list[dict]:
    """The demo accounts to print: e-mail, role, password."""
    logins = [{"email": email, "role": role.value, "password": DEMO_PASSWORD}
              for email, role, _ in STAFF_ACCOUNTS]
    logins.append({"email": DEMO_TRAINEE_EMAIL, "role": Role.TRAINEE.value, "password": DEMO_PASSWORD})
    return logins


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def seed_demo(today: date | None = None) -> dict:
    """Load the demo data into the session (not committed); returns counts and logins."""
    today = today or clock.today()
    users = staff_users()
    coordinator = users[Role.COORDINATOR]
    institutions = add_partners()
    experts = {key: Expert(**fields, institution=institutions[fields["nationality"]])
               for key, fields in named_experts().items()}
    experts[EXPERT_ACCOUNT].user = users[Role.EXPERT]
    experts[EXPERT_ACCOUNT].email = users[Role.EXPERT].email
    db.session.add_all(experts.values())
    db.session.flush()

    trainees = {}
    for given, family, name_ar, gender, country, position, language, passport in TRAINEES:
        email = email_address(given, family, country)
        trainees[email] = create_trainee_account(
            DEMO_PASSWORD, email=email, given_name=given, family_name=family, full_name_ar=name_ar,
            gender=gender, nationality=country, institution=institutions[country], position=position,
            certificate_language=language, passport_number=passport,
            passport_expires_on=today + timedelta(days=3 * 365) if passport else None,
        )
        trainees[email].email_confirmed_at = clock.utcnow()  # demo addresses receive no mail

    counts = {"reviews": 0, "registrations": 0, "attendance_marks": 0, "certificates": 0}
    sessions = []
    numbers_by_year: dict[int, int] = {}
    for spec in SESSIONS:
        start = _monday_on_or_after(today + timedelta(days=spec["offset"]))
        numbers_by_year[start.year] = numbers_by_year.get(start.year, 0) + 1
        training_session = create_session(
            coordinator,
            code=f"{start.year}-{numbers_by_year[start.year]:02d}",
            title_fr=spec["title"][0], title_ar=spec["title"][1], title_en=spec["title"][2],
            theme_fr=spec["theme"][0], theme_ar=spec["theme"][1], theme_en=spec["theme"][2],
            venue_fr="Rabat", venue_ar="الرباط", venue_en="Rabat", start_on=start, end_on=start + timedelta(days=spec["days"] - 1),
            capacity=spec["capacity"], institution_quota=spec.get("quota"),
            # register() compares the deadline with today, so past sessions have none.
            registration_deadline=None if start < today else start - timedelta(days=21),
            languages=spec["languages"], attendance_threshold=spec["threshold"],
        )
        training_session.trainers = [Trainer(expert=experts[key], days=days)
                                     for key, days in spec.get("trainers", [])]
        sessions.append(training_session)
        _advance(training_session, spec, experts, trainees, coordinator, counts)
    db.session.flush()

    return {
        "counts": {
            "accounts": len(users) + len(trainees),
            "institutions": len(institutions),
            "associations": len(ASSOCIATIONS),
            "experts": len(experts),
            "sessions": len(sessions),
            "trainees": len(trainees),
            **counts,
        },
        "sessions": {s.code: s.status.value for s in sessions},
        "logins": demo_logins(),
    }


def _assign(training_session, spec, experts, coordinator) -> None:
    """Experts asked to review, whose review is still awaited (they are e-mailed)."""
    for key, days_before in spec.get("assigned", []):
        assign_reviewer(training_session, experts[key], coordinator,
                        due_on=training_session.start_on - timedelta(days=days_before))


def _advance(training_session, spec, experts, trainees, coordinator, counts) -> None:
    """Take the session along its workflow to the planned status, doing each stage's work."""
    target = spec["status"]
    if target == SessionStatus.DRAFT:
        _assign(training_session, spec, experts, coordinator)
        return
    change_status(training_session, SessionStatus.IN_REVIEW, coordinator)
    _assign(training_session, spec, experts, coordinator)
    for key, recommendation, (relevance, methodology, audience), comments in spec["reviews"]:
        expert = experts[key]
        # The expert with an account records their own review; a coordinator the others'.
        record_review(training_session, expert, expert.user or coordinator,
                      score_relevance=relevance, score_methodology=methodology,
                      score_audience=audience, recommendation=recommendation, comments=comments)
        counts["reviews"] += 1
    if target == SessionStatus.IN_REVIEW:
        return
    change_status(training_session, SessionStatus.APPROVED, coordinator)
    change_status(training_session, SessionStatus.OPEN, coordinator)
    counts["registrations"] += _register_all(training_session, spec, trainees, coordinator)
    if target == SessionStatus.OPEN:
        return
    change_status(training_session, SessionStatus.CLOSED, coordinator)
    change_status(training_session, SessionStatus.IN_PROGRESS, coordinator)
    counts["attendance_marks"] += _mark_attendance(training_session, spec, trainees, coordinator)
    change_status(training_session, SessionStatus.COMPLETED, coordinator)
    counts["certificates"] += _issue_certificates(training_session, spec, trainees, coordinator)


def _register_all(training_session, spec, trainees, coordinator) -> int:
    """Register everyone while the session is open, then decide as planned; the trainees who
    attended were accepted."""
    outcomes = {**{email: "accepted" for email in spec.get("attendance", {})},
                **spec.get("registrations", {})}
    for email, outcome in outcomes.items():
        trainee = trainees[email]
        travels = trainee.nationality != "MA"
        registration = register(
            training_session, trainee,
            arrival_on=training_session.start_on - timedelta(days=1) if travels else None,
            departure_on=training_session.end_on + timedelta(days=1) if travels else None,
            needs_visa_letter=(trainee.nationality in VISA_LETTER_COUNTRIES
                               and trainee.passport_number is not None),
        )
        status, _, reason = outcome.partition(":")
        if status == "cancelled":
            cancel(registration, trainee.user)
        elif status != "pending":
            decide(registration, RegistrationStatus(status), coordinator, reason)
    return len(outcomes)


def _attended(training_session, spec, trainees):
    """(registration, attendance pattern) of each accepted registration of the session."""
    patterns = {trainees[email].id: pattern for email, pattern in spec["attendance"].items()}
    return [(r, patterns[r.trainee_id]) for r in accepted_registrations(training_session)]


def _mark_attendance(training_session, spec, trainees, coordinator) -> int:
    """Every slot marked for every accepted trainee, as their pattern says."""
    marks = {}
    for registration, pattern in _attended(training_session, spec, trainees):
        for slot, letter in zip(training_session.slots, pattern, strict=True):
            marks[(registration.id, slot.id)] = _MARKS[letter]
    return save_marks(training_session, marks, coordinator)


def _issue_certificates(training_session, spec, trainees, coordinator) -> int:
    """A certificate in each trainee's language for everyone whose attendance reaches the threshold."""
    issued = 0
    for registration, _ in _attended(training_session, spec, trainees):
        if eligibility(registration)[0]:
            issue_certificate(registration, registration.trainee.certificate_language, coordinator)
            issued += 1
    return issued
