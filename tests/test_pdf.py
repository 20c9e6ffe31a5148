"""WeasyPrint embeds our documents' fonts through HarfBuzz's subsetter; centre.pdf's lean user-agent
stylesheet and its collector pause.

Without Debian's libharfbuzz-subset0, WeasyPrint 70 does not fail: weasyprint.pdf.fonts.Font.subset
logs a warning and subsets through fontTools instead, about 7 times slower per document. So the
test watches which of the two subsetters WeasyPrint calls while it writes one of our PDFs.
"""
import collections
import gc
import subprocess

import pytest
import weasyprint
from weasyprint import css as weasyprint_css
from weasyprint import html as weasyprint_html
from weasyprint.pdf import fonts as weasyprint_fonts

from centre.pdf import RecentPdfs, _lean_html_class, arabic_font_installed

needs_amiri = pytest.mark.skipif(not arabic_font_installed(), reason="needs Debian's fonts-hosny-amiri")


@pytest.fixture
def subsetters(monkeypatch):
    """The subsetters WeasyPrint calls, one entry a font: "harfbuzz" or "fontTools" (not run, only noted)."""
    calls = []
    harfbuzz_subset = weasyprint_fonts.Font._harfbuzz_subset

    def harfbuzz(font, *args, **kwargs):
        calls.append("harfbuzz")
        return harfbuzz_subset(font, *args, **kwargs)

    monkeypatch.setattr(weasyprint_fonts.Font, "_harfbuzz_subset", harfbuzz)
    monkeypatch.setattr(weasyprint_fonts.Font, "_fonttools_subset", lambda font, *a, **k: calls.append("fontTools"))
    return calls


def arabic_activity_report(client, login_as) -> bytes:
    """One of our documents with Arabic and Latin text: the activity report of an empty year, in Arabic."""
    login_as("coordinator")
    response = client.get("/reports/activity.pdf", query_string={"from": "2001-01-01", "to": "2001-12-31",
                                                                  "language": "ar"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return response.data


@needs_amiri
def test_fonts_are_embedded_through_harfbuzz_subsetting(client, login_as, subsetters):
    arabic_activity_report(client, login_as)
    assert subsetters, "no font was subset: the document embeds no font?"
    assert set(subsetters) == {"harfbuzz"}, (
        "WeasyPrint subset fonts through fontTools (about 7x slower a document): install libharfbuzz-subset0")


@needs_amiri
def test_the_subsetting_check_fails_without_libharfbuzz_subset(client, login_as, subsetters, monkeypatch):
    """What the test above sees on a machine without libharfbuzz-subset0 (WeasyPrint then holds None)."""
    monkeypatch.setattr(weasyprint_fonts, "harfbuzz_subset", None)
    arabic_activity_report(client, login_as)
    assert subsetters and set(subsetters) == {"fontTools"}


def test_recent_pdfs_keep_within_their_bytes_dropping_the_least_recently_used():
    recent = RecentPdfs()
    keys = [RecentPdfs.key(f"<p>{n}</p>", "p {}") for n in range(3)]
    recent.put(keys[0], b"a" * 40, limit=100)
    recent.put(keys[1], b"b" * 40, limit=100)
    assert recent.get(keys[0]) == b"a" * 40  # now the most recent
    recent.put(keys[2], b"c" * 40, limit=100)
    assert recent.get(keys[1]) is None and recent.get(keys[0]) and recent.get(keys[2])
    recent.put(RecentPdfs.key("big", ""), b"d" * 101, limit=100)
    assert recent.get(RecentPdfs.key("big", "")) is None
    assert RecentPdfs.key("<p>x</p>", "a") != RecentPdfs.key("<p>x</p>", "b")


@pytest.fixture
def computed_styles(monkeypatch):
    """How many styles WeasyPrint computes, by pseudo-element (None for the elements themselves)."""
    counts = collections.Counter()
    original = weasyprint_css.StyleFor.set_computed_styles

    def counting(self, element, parent, root=None, pseudo_type=None, **kwargs):
        counts[pseudo_type] += 1
        return original(self, element, parent, root=root, pseudo_type=pseudo_type, **kwargs)

    monkeypatch.setattr(weasyprint_css.StyleFor, "set_computed_styles", counting)
    return counts


LISTS = "<p>Intro</p><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol><p>End</p>"


def test_elements_get_no_note_styles_and_lists_keep_their_markers(computed_styles):
    weasyprint.HTML(string=LISTS).write_pdf()
    stock = dict(computed_styles)
    computed_styles.clear()
    pdf = _lean_html_class()(string=LISTS).write_pdf()
    # WeasyPrint's own stylesheet gives every element five note and footnote pseudo-elements to style.
    notes = {"footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback"}
    assert all(stock[pseudo] >= 8 for pseudo in notes)
    assert not notes & set(computed_styles) and computed_styles["marker"] == 3
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    assert "• one" in text.decode() and "1. first" in text.decode()


def test_another_user_agent_stylesheet_is_used_whole(monkeypatch, caplog):
    monkeypatch.setattr(weasyprint_html, "UA", weasyprint_html.UA.replace("::note-call", "::note-call-v2"))
    _lean_html_class.cache_clear()
    try:
        assert _lean_html_class() is weasyprint.HTML
        assert "documents use it whole" in caplog.text
    finally:
        _lean_html_class.cache_clear()


def test_the_heap_is_frozen_during_a_render_only(client, login_as, monkeypatch):
    frozen = []
    write_pdf = weasyprint.HTML.write_pdf
    monkeypatch.setattr(weasyprint.HTML, "write_pdf",
                        lambda *a, **k: frozen.append(gc.get_freeze_count()) or write_pdf(*a, **k))
    arabic_activity_report(client, login_as)
    assert frozen and frozen[0] > 0 and gc.get_freeze_count() == 0
