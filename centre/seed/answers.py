"""Made-up answers to a session's questionnaires, for the demo: written through the evaluation
services, as a recipient's personal link would (anonymous ones rewritten in a random order)."""
import random

from centre.evaluation import answering
from centre.models import QuestionKind, Questionnaire

#: what the made-up free texts say, in the three languages
TEXTS = {
    "fr": ("Très utile pour notre service des plaintes.", "Plus de cas pratiques, s'il vous plaît.",
           "Excellente organisation."),
    "ar": ("مفيدة جدًا لمصلحة الشكايات لدينا.", "نرجو المزيد من الحالات العملية.", "تنظيم ممتاز."),
    "en": ("Very useful for our complaints unit.", "More case studies, please.", "Excellent organisation."),
}


def made_up_values(questionnaire: Questionnaire, rng: random.Random, language: str) -> dict:
    """A plausible complete answer: ratings mostly high, a choice or two, sometimes a text."""
    values = {}
    for item in answering.items(questionnaire, language):
        question = item.question
        key = (question.id, item.target_key)
        if question.kind == QuestionKind.RATING:
            top = question.scale_max
            values[key] = {"rating": max(1, min(top, top - rng.choice((0, 0, 1, 1, 2))))}
        elif question.kind == QuestionKind.SINGLE:
            values[key] = {"choices": [rng.randrange(len(question.choices))]}
        elif question.kind == QuestionKind.MULTIPLE:
            values[key] = {"choices": sorted(rng.sample(range(len(question.choices)), rng.randint(1, 2)))}
        elif question.is_required or rng.random() < 0.5:
            values[key] = {"text": rng.choice(TEXTS.get(language, TEXTS["fr"]))}
    return values


def answer_some(questionnaire: Questionnaire, rng: random.Random, share: float = 0.8) -> int:
    """Answer for about `share` of the questionnaire's recipients; returns how many answered."""
    answered = 0
    for invitation in list(questionnaire.invitations):
        if invitation.is_used or rng.random() >= share:
            continue
        answering.answer(invitation, made_up_values(questionnaire, rng, invitation.language), submit=True)
        answered += 1
    return answered
