"""What volume data is drawn from: ombudsman training topics in French, Arabic and English, venues,
where trainees come from, their positions, experts' specialities, refusal reasons."""

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
#: The reason a coordinator gives when an institution has reached its quota.
QUOTA_REASON = "Quota de places par institution atteint."
