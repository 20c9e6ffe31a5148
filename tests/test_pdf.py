"""WeasyPrint embeds our documents' fonts through HarfBuzz's subsetter.

Without Debian's libharfbuzz-subset0, WeasyPrint 70 does not fail: weasyprint.pdf.fonts.Font.subset
logs a warning and subsets through fontTools instead, about 7 times slower per document. So the
test watches which of the two subsetters WeasyPrint calls while it writes one of our PDFs.
"""
import pytest
from weasyprint.pdf import fonts as weasyprint_fonts

from centre.pdf import RecentPdfs, arabic_font_installed

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
