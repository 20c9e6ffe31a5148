"""What the demo and the volume data share: the staff accounts, the partners, the named experts,
people's names in Latin and Arabic script, their e-mail addresses, and a drawn signature."""
import io
import random
import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from PIL import Image, ImageDraw

from centre.extensions import db
from centre.models import Agreement, Association, Gender, Institution, InstitutionKind, Role

def drawn_signature() -> bytes:
    """A signature-like stroke as a PNG, for a made-up signatory."""
    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).line([(10, 180), (300, 20), (590, 170)], fill="navy", width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


#: One password for every demo account; the CLI prints it with the accounts.
DEMO_PASSWORD = "demo-centre-2026"

#: The accounts an operator signs in with: (e-mail, role, full name).
STAFF_ACCOUNTS = [
    ("admin@centre.example.org", Role.ADMIN, "Rachid Amrani"),
    ("coordinatrice@centre.example.org", Role.COORDINATOR, "Meryem Chraibi"),
    ("expert@centre.example.org", Role.EXPERT, "Youssef El Alaoui"),
]
ASSOCIATIONS = [
    ("AOM", "Association des Ombudsmans de la Méditerranée",
     "جمعية الأمبودسمان لحوض البحر الأبيض المتوسط", "Association of Mediterranean Ombudsmen"),
    ("AOMF", "Association des Ombudsmans et Médiateurs de la Francophonie",
     "جمعية الأمبودسمان والوسطاء الفرنكفونيين",
     "Association of Ombudsmen and Mediators of La Francophonie"),
    ("ARAB", "Organisation arabe des ombudsmans", "المنظمة العربية للأمبودسمان",
     "Arab Ombudsman Organisation"),
]

MED, OMB, HR = InstitutionKind.MEDIATOR, InstitutionKind.OMBUDSMAN, InstitutionKind.HUMAN_RIGHTS

#: (country, French name, Arabic name or "", English name, kind, confirmed associations), from
#: ../shared/notes/partners.md (only confirmed memberships; no Arabic name where none was found).
#: One institution per country, so the country code is also the key people refer to. The
#: country the notes add in brackets to some French names is left out: it is a column of its own.
INSTITUTIONS = [
    ("MA", "Institution du Médiateur du Royaume", "مؤسسة وسيط المملكة",
     "Ombudsman Institution of the Kingdom of Morocco", MED, ("AOM", "AOMF", "ARAB")),
    ("TN", "Médiateur administratif", "الموفق الإداري",
     "Administrative Mediator of Tunisia", MED, ("AOM", "ARAB")),
    ("EG", "Conseil national des droits de l'homme", "المجلس القومي لحقوق الإنسان",
     "National Council for Human Rights (NCHR)", HR, ("AOM", "AOMF", "ARAB")),
    ("SD", "Bureau des doléances publiques, Ombudsman du Soudan", "ديوان المظالم العامة",
     "Public Grievances Chamber (Ombudsman of Sudan)", OMB, ("ARAB",)),
    ("PS", "Commission indépendante des droits de l'homme, « Diwan Al Madhalim »",
     "الهيئة المستقلة لحقوق الإنسان \"ديوان المظالم\"",
     "Independent Commission for Human Rights (ICHR), Palestine", HR, ("AOM",)),
    ("DJ", "Médiateur de la République de Djibouti", "أمين المظالم بجمهورية جيبوتي",
     "Ombudsman (Médiateur) of the Republic of Djibouti", MED, ("AOMF",)),
    ("SN", "Médiateur de la République du Sénégal", "",
     "Ombudsman (Médiateur) of the Republic of Senegal", MED, ("AOMF",)),
    ("BF", "Médiateur du Faso", "", "Ombudsman (Médiateur) of Burkina Faso", MED, ("AOMF",)),
    ("BJ", "Médiateur de la République du Bénin", "",
     "Ombudsman (Médiateur) of the Republic of Benin", MED, ("AOMF",)),
    ("CI", "Médiateur de la République de Côte d'Ivoire", "",
     "Ombudsman (Médiateur) of Côte d'Ivoire", MED, ("AOMF",)),
    ("ML", "Médiateur de la République du Mali", "",
     "Ombudsman (Médiateur) of the Republic of Mali", MED, ("AOMF",)),
    ("MG", "Médiature de la République", "",
     "Ombudsman (Médiature) of the Republic of Madagascar", MED, ("AOMF",)),
    ("FR", "Défenseur des droits", "", "Defender of Rights", OMB, ("AOM", "AOMF")),
    ("BE", "Médiateur de la Wallonie et de la Fédération Wallonie-Bruxelles", "",
     "Ombudsman of Wallonia and the Wallonia-Brussels Federation", MED, ("AOMF",)),
    ("ES", "Défenseur du peuple (Defensor del Pueblo)", "",
     "Ombudsman of Spain (Defensor del Pueblo)", OMB, ("AOM",)),
    ("GR", "Le Médiateur grec (Synigoros tou Politi)", "", "The Greek Ombudsman", OMB, ("AOM",)),
]

#: key: (given name, family name, name in Arabic script, nationality, speciality).
#: National experts work at the host institution, foreign ones at their country's partner.
EXPERTS = {
    "alaoui": ("Youssef", "El Alaoui", "يوسف العلوي", "MA",
               "Instruction des plaintes et enquête administrative"),
    "benjelloun": ("Latifa", "Benjelloun", "لطيفة بنجلون", "MA", "Médiation institutionnelle"),
    "sqalli": ("Adil", "Sqalli", "عادل الصقلي", "MA", "Administration numérique et droits des usagers"),
    "ouazzani": ("Hanane", "Ouazzani", "حنان الوزاني", "MA", "Droits des personnes migrantes"),
    "dumont": ("Claire", "Dumont", "كلير دومون", "FR",
               "Accès aux droits et lutte contre les discriminations"),
    "ndiaye": ("Mamadou", "Ndiaye", "مامادو انجاي", "SN", "Médiation et prévention des conflits"),
    "bensalah": ("Sonia", "Ben Salah", "سنية بن صالح", "TN", "Médiation administrative"),
    "lambert": ("Pierre", "Lambert", "بيير لامبير", "BE", "Méthodes d'enquête de l'ombudsman"),
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
#: Where names are written in Arabic script too (partners, and countries without a partner yet).
ARAB_COUNTRIES = {"MA", "TN", "EG", "SD", "PS", "DJ", "DZ", "JO", "MR"}
EUROPE_COUNTRIES = {"FR", "BE", "ES", "GR"}


def email_address(given: str, family: str, country: str, taken: set[str] | None = None) -> str:
    """given.family@<country>.example.org in plain ASCII; numbered when in `taken`, and added to it."""

    def ascii_part(name):
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return "".join(ch for ch in plain.lower() if ch.isalnum())

    local, domain = f"{ascii_part(given)}.{ascii_part(family)}", f"{country.lower()}.example.org"
    email, n = f"{local}@{domain}", 1
    if taken is None:
        return email
    while email in taken:
        n += 1
        email = f"{local}{n}@{domain}"
    taken.add(email)
    return email


def person_name(rng: random.Random, country: str, gender: Gender) -> tuple[str, str, str]:
    """(given name, family name, full name in Arabic script or "") for someone from `country`."""
    if country in ARAB_COUNTRIES:
        given = rng.choice(ARAB_FEMALE if gender == Gender.FEMALE else ARAB_MALE)
        family = rng.choice(ARAB_FAMILY)
        return given[0], family[0], f"{given[1]} {family[1]}"
    if country in EUROPE_COUNTRIES:
        given = rng.choice(EUROPE_FEMALE if gender == Gender.FEMALE else EUROPE_MALE)
        return given, rng.choice(EUROPE_FAMILY), ""
    given = rng.choice(AFRICA_FEMALE if gender == Gender.FEMALE else AFRICA_MALE)
    return given, rng.choice(AFRICA_FAMILY), ""


def add_partners(agreements: Callable[[], list[Agreement]] = list) -> dict[str, Institution]:
    """The associations and partner institutions, each added unless its code or country is
    there; returns the institutions by country (the oldest where a country has several)."""
    associations = {a.code: a for a in db.session.scalars(sa.select(Association))}
    for code, name_fr, name_ar, name_en in ASSOCIATIONS:
        if code not in associations:
            associations[code] = Association(code=code, name_fr=name_fr, name_ar=name_ar, name_en=name_en)
            db.session.add(associations[code])
    institutions = {i.country: i for i in db.session.scalars(sa.select(Institution).order_by(Institution.id.desc()))}
    for country, name_fr, name_ar, name_en, kind, codes in INSTITUTIONS:
        if country not in institutions:
            institutions[country] = Institution(
                name_fr=name_fr, name_ar=name_ar, name_en=name_en, country=country, kind=kind,
                associations=[associations[c] for c in codes], agreements=agreements())
            db.session.add(institutions[country])
    db.session.flush()
    return institutions


def named_experts() -> dict[str, dict]:
    """The named experts' columns by key, their institution left to the caller."""
    return {key: {"given_name": given, "family_name": family, "full_name_ar": name_ar, "nationality": nationality,
                  "speciality": speciality, "email": email_address(given, family, nationality)}
            for key, (given, family, name_ar, nationality, speciality) in EXPERTS.items()}

