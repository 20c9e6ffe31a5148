"""The PDFs' text layer: every Arabic word copies back out as printed (centre/textlayer.py).

Words are copied out with poppler's pdftotext, as a reader's viewer would, and compared with the
text WeasyPrint draws (each line, as it draws it), so every Arabic word of a document is checked.
"""
import hashlib
import importlib
import inspect
import re
import subprocess
import unicodedata
from collections import Counter
from datetime import date

import pytest
import weasyprint
from weasyprint.draw import text as weasyprint_text
from weasyprint.pdf import fonts as weasyprint_fonts

from centre import signing, textlayer
from centre.attendance.services import sign_in_sheet
from centre.certificates.services import issue_certificate
from centre.models import DocumentLanguage, SessionStatus
from centre.pdf import arabic_font_installed, recent_pdfs
from centre.registrations.services import invitation_letter
from centre.sessions.services import change_status
from tests.reports.conftest import activity  # noqa: F401 — the reports' hand-counted activity

needs_amiri = pytest.mark.skipif(not arabic_font_installed(), reason="needs Debian's fonts-hosny-amiri")

#: The direction marks and embeddings pdftotext puts around right-to-left text.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
#: Common words, among them those each Arabic font of Debian was seen to lose (the note on
#: WeasyPrint 70's text layer): Amiri "المملكة", Noto Naskh "الله", Scheherazade "إلى".
#: And words where Amiri shifts reh, zain or waw sideways before an initial beh or yeh, which
#: poppler cut in two ("طر يقة").
WORDS = ["المملكة", "الله", "إلى", "مؤسسة", "وسيط", "شهادة", "مشاركة", "تقنيات", "تلقي", "الشكايات",
         "الملكي", "المغربية", "للتكوين", "الدولي", "مُحَمَّد", "عبد السلام", "طريقة", "إفريقيا", "البرازيل",
         "الشريكة", "الجارية", "تويتر"]


def copied(pdf: bytes) -> str:
    """The text a reader copies from the PDF, as pdftotext gives it, without direction marks."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return unicodedata.normalize("NFC", text.translate(BIDI_CONTROLS))


def arabic(character: str) -> bool:
    """An Arabic letter or mark (not a digit, not punctuation such as the Arabic comma)."""
    return unicodedata.category(character)[0] in "LM" and unicodedata.name(character, "").startswith("ARABIC")


def is_mark(character: str) -> bool:
    return unicodedata.category(character) == "Mn"


def arabic_words(lines: list[str]) -> set[str]:
    words = set()
    for line in lines:
        word = ""
        for character in unicodedata.normalize("NFC", line) + " ":
            if arabic(character):
                word += character
            elif word:
                words.add(word)
                word = ""
    return words


def bare(text: str) -> str:
    """Text without spaces and marks."""
    return "".join(character for character in text if not character.isspace() and not is_mark(character))


def lost_words(pdf: bytes, words) -> list[str]:
    """The words not found in the text copied from the PDF. A word with marks (harakat) is looked
    for without its marks and spaces: pdftotext puts a mark that WeasyPrint raises above its
    letter (text rise) on a baseline of its own, so a word break, whoever wrote the PDF. Those
    marks are counted apart (marks)."""
    text = copied(pdf)
    without_marks = bare(text)
    return sorted(word for word in words
                  if (bare(word) not in without_marks if any(map(is_mark, word)) else word not in text))


def marks(text: str) -> Counter:
    return Counter(character for character in unicodedata.normalize("NFC", text) if is_mark(character))


def source_digest(qualified_name: str) -> str:
    module_name, _, name = qualified_name.rpartition(".")
    try:
        owner = importlib.import_module(module_name)
    except ModuleNotFoundError:  # a method: module.Class.method
        module_name, _, class_name = module_name.rpartition(".")
        owner = getattr(importlib.import_module(module_name), class_name)
    function = getattr(owner, name)
    function = function.fget if isinstance(function, property) else function
    if function is textlayer.draw_first_line:
        function = textlayer._original_draw_first_line
    elif function is textlayer.build_vector_font_dictionary:
        function = textlayer._original_build_vector_font_dictionary
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def test_pinned_to_the_weasyprint_it_hooks():
    """An upgrade of WeasyPrint fails here: read its draw_first_line and font dictionaries again,
    check whether #2841 is fixed (then drop centre/textlayer.py), else update the module."""
    assert weasyprint.__version__ == textlayer.WEASYPRINT_VERSION == "70.0"
    changed = [name for name, digest in textlayer.RELIED_ON.items() if source_digest(name) != digest]
    assert not changed, f"WeasyPrint's source changed where centre.textlayer hooks it: {changed}"
    assert textlayer.install()
    assert weasyprint_text.draw_first_line is textlayer.draw_first_line
    assert weasyprint_fonts._build_vector_font_dictionary is textlayer.build_vector_font_dictionary
    for hook, original in ((textlayer.draw_first_line, textlayer._original_draw_first_line),
                           (textlayer.build_vector_font_dictionary, textlayer._original_build_vector_font_dictionary)):
        assert inspect.signature(hook).parameters.keys() == inspect.signature(original).parameters.keys()


def test_another_weasyprint_is_left_alone(monkeypatch, caplog):
    monkeypatch.setattr(textlayer, "_installed", False)
    monkeypatch.setattr(textlayer, "weasyprint_version", "71.0")
    monkeypatch.setattr(weasyprint_text, "draw_first_line", textlayer._original_draw_first_line)
    assert textlayer.install() is False
    assert weasyprint_text.draw_first_line is textlayer._original_draw_first_line
    assert "not the version centre.textlayer was written for" in caplog.text


def render(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf()


def pixels(pdf: bytes) -> bytes:
    """The pages drawn by poppler, as grey levels."""
    return subprocess.run(["pdftoppm", "-r", "110", "-gray", "-"], input=pdf, capture_output=True, check=True).stdout


@needs_amiri
@pytest.mark.parametrize("font", ["Amiri"])
def test_words_copy_back_out_and_the_page_looks_the_same(font, monkeypatch, caplog):
    """The same words drawn by WeasyPrint alone and with the text layer put right: the pages are the
    same pixel for pixel; WeasyPrint alone loses Amiri's words, the text layer none."""
    html = (f'<html lang="ar" dir="rtl"><body style="font-family: \'{font}\'; font-size: 13pt">'
            + "".join(f"<p>{word} {word}ية بال{word}</p>" for word in WORDS)
            + f'<p dir="ltr">Centre · {" ".join(WORDS[:5])} · 2026</p>'
            + "<p>\ue000 المملكة \ue001</p></body></html>")  # with characters no font has
    words = arabic_words([html.split("<body", 1)[1]])
    textlayer.install()
    fixed = render(html)
    with monkeypatch.context() as weasyprint_alone:
        weasyprint_alone.setattr(weasyprint_text, "draw_first_line", textlayer._original_draw_first_line)
        weasyprint_alone.setattr(weasyprint_fonts, "_build_vector_font_dictionary",
                                 textlayer._original_build_vector_font_dictionary)
        original = render(html)
    assert lost_words(fixed, words) == []
    assert marks(copied(fixed)) == marks(" ".join(words))
    if font == "Amiri":
        assert lost_words(original, words), "WeasyPrint alone kept every word: is #2841 fixed upstream?"
    assert pixels(fixed) == pixels(original)
    assert "centre.textlayer lost track" not in caplog.text


@needs_amiri
def test_a_line_it_loses_track_of_is_written_as_weasyprint_writes_it(monkeypatch, caplog):
    """Should the glyphs shown ever differ from those it worked out, the line is left as WeasyPrint
    writes it, and the log says so."""
    html = '<p lang="ar" dir="rtl" style="font-family: Amiri">المملكة تلقي</p>'
    textlayer.install()
    line_glyphs = textlayer._line_glyphs

    def off_by_one(stream, textbox):
        glyphs = line_glyphs(stream, textbox)
        for glyph in glyphs or []:
            glyph[textlayer._GLYPH] = glyph[textlayer._GLYPH] and glyph[textlayer._GLYPH] + 1
        return glyphs

    monkeypatch.setattr(textlayer, "_line_glyphs", off_by_one)
    lost_track = render(html)
    assert "centre.textlayer lost track of the glyphs WeasyPrint draws" in caplog.text
    monkeypatch.setattr(weasyprint_text, "draw_first_line", textlayer._original_draw_first_line)
    assert pixels(lost_track) == pixels(render(html))


# Centre's documents ------------------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch):
    """The text of each line WeasyPrint draws, in the order it draws them."""
    recent_pdfs.clear()
    signing._stamp_pdf.cache_clear()  # the signature's stamp, drawn once per process, is drawn here too
    textlayer.install()
    lines = []
    draw_first_line = weasyprint_text.draw_first_line

    def draw_and_note(stream, textbox, *args):
        lines.append(textbox.pango_layout.text)
        return draw_first_line(stream, textbox, *args)

    monkeypatch.setattr(weasyprint_text, "draw_first_line", draw_and_note)
    return lines


def assert_every_arabic_word_copies(pdf: bytes, lines: list[str], *expected: str) -> None:
    words = arabic_words(lines)
    assert set(arabic_words(list(expected))) <= words, "the document does not print the words expected"
    assert lost_words(pdf, words) == [], f"of {len(words)} Arabic words"
    assert marks(copied(pdf)) == marks(" ".join(lines))


@pytest.fixture
def trainees(ctx, create_session, create_registration, create_trainee, create_institution, mark_all):
    """Two accepted trainees of a completed session, named in Arabic, the first with a visa letter."""
    training_session = create_session(SessionStatus.IN_PROGRESS, title_ar="تقنيات تلقي الشكايات ومعالجتها",
                                      theme_ar="الوساطة المؤسساتية وحماية الحقوق.", venue_ar="الرباط، المملكة المغربية")
    institution = create_institution(name_ar="مؤسسة الوسيط في المملكة الأردنية الهاشمية")
    registrations = []
    for name in ("سلمى الملكي", "عبد الله المحمدي"):
        trainee = create_trainee(full_name_ar=name, institution=institution, passport_number="AB1234567",
                                 passport_expires_on=date(2030, 1, 31))
        registration = create_registration(training_session, trainee=trainee, needs_visa_letter=True)
        mark_all(registration, present=10)
        registrations.append(registration)
    change_status(training_session, SessionStatus.COMPLETED)
    return registrations


DOCUMENTS = {
    "Arabic certificate": lambda first, second: issue_certificate(first, DocumentLanguage.AR, None).pdf,
    "bilingual certificate": lambda first, second: issue_certificate(second, DocumentLanguage.BILINGUAL, None).pdf,
    "visa invitation letter": lambda first, second: invitation_letter(first).pdf,
    "sign-in sheet of a slot": lambda first, second: sign_in_sheet(first.training_session,
                                                                   first.training_session.slots[0]),
    "sign-in grid of the session": lambda first, second: sign_in_sheet(first.training_session),
}


@needs_amiri
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_arabic_word_of_a_document_copies_back_out(document, trainees, drawn):
    first, second = trainees
    pdf = DOCUMENTS[document](first, second)
    trainee = (second if document == "bilingual certificate" else first).trainee
    expected = [trainee.full_name_ar]
    if document != "visa invitation letter":  # a French letter: the trainee's Arabic name only
        expected.append(first.training_session.title_ar)
    assert_every_arabic_word_copies(pdf, drawn, *expected)


@needs_amiri
def test_every_arabic_word_of_the_activity_report_copies_back_out(client, login_as, activity, drawn):
    login_as("coordinator")
    drawn.clear()  # the certificates of the activity
    response = client.get("/reports/activity.pdf", query_string={"from": "2026-01-01", "to": "2026-12-31",
                                                                  "language": "ar"})
    assert response.status_code == 200
    # The institution, a session's title and a country of the chart (drawn as SVG text).
    assert_every_arabic_word_copies(response.data, drawn, "مؤسسة وسيط المملكة", "تدبير الشكايات", "السنغال")
