"""The text layer of the PDFs WeasyPrint writes: every glyph copies as the text it was drawn for.

What is wrong in WeasyPrint 70 (upstream Kozea/WeasyPrint#2841). A PDF's text layer maps each code
of a font in the page's content to text through the font's ToUnicode map. WeasyPrint writes each
glyph under its glyph id, mapped to the text of the first cluster it was drawn in
(weasyprint/draw/text.py, draw_first_line: ``if glyph_id not in font.to_unicode``). An Arabic font
draws one glyph in several contexts: the second glyph of a cluster drawn with two gets the empty
text, and when it is drawn again alone, for a letter, it copies as nothing. And when a cluster is
drawn with two glyphs that both have a width (Amiri draws some lams so), the glyph left empty is a
gap between letters that text extraction takes for a space. "تلقي" copies as "ت قي", "المملكة" as
"المم لكة": the page looks right, copying, searching and screen readers get the words wrong. Every
Arabic font on Debian loses words this way. A gap also opens where the font's positioning shifts
a glyph sideways, away from the glyph before it (WeasyPrint moves the pen, draws it, moves back):
Amiri shifts reh, zain or waw before an initial beh or yeh, and poppler (pdftotext, Evince) copies
"طريقة" as "طر يقة", "إفريقيا" as "إفر يقيا" (it does the same with Chromium's PDFs).

What this module does, as WeasyPrint writes each line of text:
  * A glyph drawn for another text than the one its id already stands for is written under a
    code of its own, an alias, whose ToUnicode entry is that text; the font's Encoding CMap maps
    the alias back to the glyph. Aliases are counted upwards from the font's glyph count plus
    KEPT_FOR_MISSING_GLYPHS. Plain PDF that every viewer reads.
  * The glyphs of a cluster drawn with several glyphs, one of which has no text but moves the
    pen, are marked together as one span whose /ActualText is the cluster's text, so that the
    cluster's letter covers all its glyphs and no gap is left. (Only there: poppler spreads an
    /ActualText over its span from left to right and then reverses right-to-left text, so a span
    of several Arabic letters would copy backwards; such a cluster is one letter. Readers that
    ignore /ActualText, Apple's Preview among them, still get the aliases.)
  * A glyph followed by such a shifted glyph is written under a code (a CID of its own, mapped to
    the glyph by the font's CIDToGIDMap) whose width takes in the gap, and the pen no longer moves
    between them. TrueType fonts only (Amiri is one): an OpenType font with CFF outlines has no
    CIDToGIDMap.
The glyphs and their positions are those WeasyPrint writes: the page looks the same, pixel for
pixel (tests/test_textlayer.py compares); only codes and positions in the page's content, the
font's maps and widths and the marked spans differ.

What is left to the reader's software, as with any PDF of the same text: poppler puts a harakat
mark drawn above or below its letter (text rise) on a baseline of its own and so breaks the word
there, and it copies backwards a glyph that stands for several Arabic letters (the lam-alef of
DejaVu Sans, Noto Sans Arabic or KacstNaskh; Amiri, our documents' font, has none). The letters
themselves are all in the text layer, in order.

How: two hooks, put in place by install(), which centre.pdf calls before its first document.
  * weasyprint.draw.text.draw_first_line draws one line of text. While it runs, the stream's
    show_text is replaced by one that rewrites the glyph codes and positions of the strings shown,
    and cuts them around multi-glyph clusters to mark those: the glyphs of the line and their text
    are worked out as draw_first_line works them out (each glyph's cluster in the line's text).
  * weasyprint.pdf.fonts._build_vector_font_dictionary writes a font's PDF dictionaries. For a
    font with aliases, its Encoding becomes a CMap mapping each code to a CID: glyph ids and
    widened codes to themselves, other aliases to the glyph they stand for, codes of characters
    missing from the font to .notdef (as WeasyPrint's own Encoding does); with widened codes, a
    CIDToGIDMap maps those CIDs to their glyphs.
Pinned to WeasyPrint 70.0: install() hooks nothing on another version (and says so in the log),
and tests/test_textlayer.py fails while the source of a function listed in RELIED_ON differs from
the source this was written against. Not covered: fonts embedded whole (WeasyPrint's full_fonts
option, form fields: their ToUnicode comes from the font's cmap, without the aliases), bitmap and
colour (emoji) fonts, a font with more than about 61 000 glyphs (no codes left): Centre's documents
use none of them, and such text is written as WeasyPrint writes it.
"""
import logging
import re
import threading
from functools import lru_cache

import pydyf
# This module is imported where a document is rendered (centre.pdf), never earlier: WeasyPrint is slow to import.
from weasyprint import __version__ as weasyprint_version
from weasyprint.draw import text as weasyprint_text
from weasyprint.pdf import fonts as weasyprint_fonts
from weasyprint.text.ffi import ffi, pango

log = logging.getLogger(__name__)

WEASYPRINT_VERSION = "70.0"
#: The functions of WeasyPrint this module hooks or relies on, and the SHA-256 of their source in
#: WeasyPrint 70.0 (tests/test_textlayer.py compares): the two it wraps, the callers that look them
#: up by name at each call, the font cache it shares, the codes WeasyPrint gives missing glyphs,
#: the font's type (TrueType or CFF) and the subsetter, which leaves out codes above the glyph ids.
RELIED_ON = {
    "weasyprint.draw.text.draw_first_line":
        "1bb8eae6d88e71b17096a034656f3be17da8f1f513c78536c1c38d971927638b",
    "weasyprint.draw.text.draw_text":
        "ebaf96239c6ca3635d2b91bfb34718c2dcebd7809fec1c53fb8dffd1366befe3",
    "weasyprint.svg.text.text":
        "67a30c3e181b4a8002350771928b86b26dfef05b2706d0b3c6b46943e41af61b",
    "weasyprint.pdf.fonts._build_vector_font_dictionary":
        "aa6eea312c6e3375689f3405d48c5059525038a8d73d2f63bf3476de6dc05903",
    "weasyprint.pdf.fonts.build_fonts_dictionary":
        "fc551bef35d0d6c3d288f686fd21b5ea8c1efadb8f2f3b4d379cfa6045c02230",
    "weasyprint.pdf.fonts.Font.get_unused_glyph_id":
        "81082597c7912297e4527ee64c0f6584ecb815b1010a35514fd981ad6bcd07ed",
    "weasyprint.pdf.stream.Stream.add_font":
        "e4226e111747721713ef1a513ba39542ac767bf32f354a18da2207b0ddf44787",
    "weasyprint.pdf.fonts.Font.type":
        "31376bf9b326ac58403187f045eb3b823ef5cf26ec2a6a4af88f436266a0bd98",
    "weasyprint.pdf.fonts.Font._harfbuzz_subset":
        "f80805663ede8080a3e1ffff831e20c74bd25fa3b8e4410334ba807158dc685f",
}

#: Codes left free above a font's glyph ids for WeasyPrint's codes of characters missing from every
#: font (Font.get_unused_glyph_id counts them upwards from the glyph count); aliases come after.
#: Each code above the highest glyph id costs a little at subsetting: aliases from 0xFFFF down
#: made an Amiri document's subsetting 3 to 7 ms slower.
KEPT_FOR_MISSING_GLYPHS = 0x1000
HIGHEST_CODE = 0xFFFF
_ALIASES = "_centre_text_aliases"  # attribute of a WeasyPrint Font: {(glyph id, text): alias}
_GLYPHS_OF_ALIASES = "_centre_alias_glyphs"  # attribute of a WeasyPrint Font: {alias: glyph id}
_WIDE_CODES = "_centre_wide_codes"  # attribute of a WeasyPrint Font: aliases that are CIDs of their own
_HEXADECIMAL_STRING = re.compile(r"<([0-9a-f]*)>")  # a string of glyph codes, as draw_first_line writes it

_original_draw_first_line = weasyprint_text.draw_first_line
_original_build_vector_font_dictionary = weasyprint_fonts._build_vector_font_dictionary
_install_lock = threading.Lock()
_installed = False


def install() -> bool:
    """Hook WeasyPrint, once per process; False, with a warning in the log, on another version."""
    global _installed
    with _install_lock:
        if not _installed:
            if weasyprint_version != WEASYPRINT_VERSION:
                log.warning("WeasyPrint %s is not the version centre.textlayer was written for (%s): "
                            "the PDFs' text layer is left as WeasyPrint writes it",
                            weasyprint_version, WEASYPRINT_VERSION)
                return False
            weasyprint_text.draw_first_line = draw_first_line
            weasyprint_fonts._build_vector_font_dictionary = build_vector_font_dictionary
            _installed = True
        return True


def _code(font, glyph: int, text: str) -> int:
    """The code to write glyph under when drawn for text: its id if the id stands for that text (or
    for nothing yet: then it does from now on), else an alias of its own for this text."""
    known = font.to_unicode.get(glyph)
    if known is None:
        font.to_unicode[glyph] = text  # what draw_first_line stores when it reaches the glyph
        return glyph
    if known == text:
        return glyph
    aliases = font.__dict__.setdefault(_ALIASES, {})
    code = aliases.get((glyph, text))
    if code is None:
        code = font.glyph_count + KEPT_FOR_MISSING_GLYPHS + len(aliases)
        if code > HIGHEST_CODE:
            return glyph  # no code left: copied as WeasyPrint has it
        aliases[(glyph, text)] = code
        font.__dict__.setdefault(_GLYPHS_OF_ALIASES, {})[code] = glyph
        font.to_unicode[code] = text
    return code


# A glyph code as draw_first_line writes it, and what to write instead: a list of
_DIGITS = 0  # hexadecimal digits of the code: 4, or 2 in a bitmap font
_GLYPH = 1  # the glyph id written; None: a code left as it is, whatever it is
_CODE = 2  # the code to write instead
_TEXT = 3  # the glyph's text
_INDEX = 4  # the glyph's index in its glyph string
_SPAN = 5  # the text of the cluster this glyph opens, when it is marked (_mark_cluster)
_CLOSES_SPAN = 6  # the last glyph of a cluster marked
_FONT = 7  # WeasyPrint's Font
_SHIFTED = 8  # the font's positioning moves the glyph sideways (so draw_first_line moves the pen first)


def _mark_cluster(glyphs: list[list], glyphs_info) -> bool:
    """Mark the glyphs of one cluster to be shown as one span of the cluster's text, if one of
    them has no text and moves the pen (text extraction would take it for a space)."""
    text = "".join(glyph[_TEXT] for glyph in glyphs)
    if not text or not any(not glyph[_TEXT] and glyphs_info[glyph[_INDEX]].geometry.width for glyph in glyphs):
        return False
    glyphs[0][_SPAN] = text
    glyphs[-1][_CLOSES_SPAN] = True
    return True


def _line_glyphs(stream, textbox) -> list[list] | None:
    """The glyphs of the line draw_first_line is drawing, in the order it writes them; None when
    they are all to be written as they are."""
    layout = textbox.pango_layout
    first_line, _ = layout.get_first_line()
    utf8_text = layout.text.encode()
    fonts = {}
    glyphs = []
    changed = False
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        glyph_string = glyph_item.glyphs
        glyphs_info = glyph_string.glyphs
        count = glyph_string.num_glyphs
        clusters = ffi.unpack(glyph_string.log_clusters, count)
        item = glyph_item.item
        offset, length = item.offset, item.length
        pango_font = item.analysis.font
        font = fonts.get(pango_font)
        if font is None:
            font = fonts[pango_font] = stream.add_font(pango_font)[0]  # WeasyPrint's own, cached
        plain = not (font.bitmap or font.svg or font.png or font.colr)
        rtl = item.analysis.level % 2
        first = len(glyphs)  # of the glyphs of the cluster being read
        for i in range(count):
            glyph = glyphs_info[i].glyph
            if glyph == empty:
                continue  # draw_first_line writes no code for it
            if i and clusters[i] != clusters[i - 1]:
                if len(glyphs) - first > 1:
                    changed = _mark_cluster(glyphs[first:], glyphs_info) or changed
                first = len(glyphs)
            if glyph & unknown or not plain:
                glyphs.append([2 if font.bitmap else 4, None, None, "", i, None, False, font, False])
                continue
            # The glyph's text, as draw_first_line works it out: the text of its cluster if it is
            # the cluster's last glyph (logically), else nothing.
            if rtl:
                end = length if i == 0 else clusters[i - 1]
            else:
                end = length if i == count - 1 else clusters[i + 1]
            text = utf8_text[offset + clusters[i]:offset + end].decode()
            code = _code(font, glyph, text)
            changed = changed or code != glyph
            shifted = glyphs_info[i].geometry.x_offset > 0
            changed = changed or shifted
            glyphs.append([4, glyph, code, text, i, None, False, font, shifted])
        if len(glyphs) - first > 1:
            changed = _mark_cluster(glyphs[first:], glyphs_info) or changed
    return glyphs if changed else None


def _wide_code(font, glyph: int, text: str, extra: int) -> int | None:
    """A code for glyph drawn for text, and a CID of the same number whose width is the glyph's
    plus extra thousandths of an em (TrueType fonts only: their CIDs map to glyphs through a
    CIDToGIDMap); None when there is none."""
    if font.type != "ttf" or glyph not in font.widths:
        return None
    aliases = font.__dict__.setdefault(_ALIASES, {})
    code = aliases.get((glyph, text, extra))
    if code is None:
        code = font.glyph_count + KEPT_FOR_MISSING_GLYPHS + len(aliases)
        if code > HIGHEST_CODE:
            return None
        aliases[(glyph, text, extra)] = code
        font.__dict__.setdefault(_GLYPHS_OF_ALIASES, {})[code] = glyph
        font.__dict__.setdefault(_WIDE_CODES, set()).add(code)
        font.to_unicode[code] = text
        font.widths[code] = font.widths[glyph] + extra
    return code


class _LostTrack(Exception):
    """The codes in a string shown are not those of the glyphs the line was expected to draw."""


def _tokens(string: str, pending) -> list:
    """A string draw_first_line shows (an array of glyph codes and positions) as a list of
    positions (their text), glyphs (their entries from _line_glyphs, the next ones of pending,
    checked against the codes written) and ("begin", text) or ("end",) around a span."""
    tokens = []
    position = 0
    for match in _HEXADECIMAL_STRING.finditer(string):
        if numbers := string[position:match.start()].split():
            tokens.extend(numbers)
        digits, index = match.group(1), 0
        while index < len(digits):
            glyph = next(pending, None)
            written = digits[index:index + glyph[_DIGITS]] if glyph else ""
            if not written or (glyph[_GLYPH] is not None and int(written, 16) != glyph[_GLYPH]):
                raise _LostTrack(string)
            if glyph[_GLYPH] is None:
                glyph[_CODE] = int(written, 16)
            if glyph[_SPAN] is not None:
                tokens.append(("begin", glyph[_SPAN]))
            tokens.append(glyph)
            if glyph[_CLOSES_SPAN]:
                tokens.append(("end",))
            index += glyph[_DIGITS]
        position = match.end()
    tokens.extend(string[position:].split())
    return tokens


def _widen_before_shifted_glyphs(tokens: list) -> None:
    """Where the font's positioning shifts a glyph sideways away from the one before (Amiri's reh
    before an initial beh or yeh), draw_first_line moves the pen between them: text extraction
    takes the gap for a space and cuts the word. Write the glyph before under a code whose width
    takes in the gap instead (the positions, so the page, stay the same)."""
    for index, token in enumerate(tokens):
        if not isinstance(token, list) or not token[_SHIFTED]:
            continue
        before = index - 1
        while before >= 0 and isinstance(tokens[before], str):
            before -= 1
        if before < 0 or before == index - 1 or not isinstance(tokens[before], list):
            continue
        previous = tokens[before]
        gap = -sum(float(number) for number in tokens[before + 1:index])  # thousandths of an em
        if previous[_GLYPH] is None or gap < 1:
            continue
        code = _wide_code(previous[_FONT], previous[_GLYPH], previous[_TEXT], round(gap))
        if code is not None:
            previous[_CODE] = code
            rest = round(gap) - gap
            tokens[before + 1:index] = [f"{rest}"] * (abs(rest) > 1e-9)


def _array(tokens: list) -> str:
    """The array of glyph codes and positions draw_first_line writes, from tokens."""
    parts = []
    in_string = False
    for token in tokens:
        if isinstance(token, str):
            parts.append((">" if in_string else " ") + token)
            in_string = False
        else:
            parts.append(("" if in_string else "<") + (
                f"{token[_CODE]:0{token[_DIGITS]}x}" if token[_CODE] is not None else ""))
            in_string = True
    return "".join(parts).lstrip() + (">" if in_string else "")


def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """WeasyPrint's draw_first_line, its glyph codes rewritten and clusters marked (module docstring)."""
    show_text = stream.show_text
    pending = None  # the line's glyphs not shown yet, worked out when its first string is shown
    in_span = False

    def show_text_with_aliases(string):
        nonlocal pending, in_span
        if pending is None:
            glyphs = _line_glyphs(stream, textbox)
            if glyphs is None:  # nothing to change on this line
                del stream.show_text
                return show_text(string)
            pending = iter(glyphs)
        try:
            tokens = _tokens(string, pending)
        except _LostTrack:  # a bug here, or a WeasyPrint changed: the rest of the line as it writes it
            log.error("centre.textlayer lost track of the glyphs WeasyPrint draws in %r (line %r): the "
                      "rest of the line is written as WeasyPrint writes it", string, textbox.pango_layout.text)
            del stream.show_text
            if in_span:
                stream.end_marked_content()
                in_span = False
            return show_text(string)
        _widen_before_shifted_glyphs(tokens)
        array = []  # of the glyphs and positions being shown
        for token in tokens:
            if isinstance(token, tuple):  # the start or end of a cluster's span
                if array:
                    show_text(_array(array))
                    array.clear()
                if token[0] == "begin":
                    stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(token[1])}))
                    in_span = True
                else:
                    stream.end_marked_content()
                    in_span = False
            else:
                array.append(token)
        if array:
            show_text(_array(array))

    stream.show_text = show_text_with_aliases
    try:
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    finally:
        stream.__dict__.pop("show_text", None)
        if in_span:
            stream.end_marked_content()


def build_vector_font_dictionary(font_dictionary, pdf, font, widths, compress, reference, pdf_version):
    """WeasyPrint's _build_vector_font_dictionary, with an Encoding that maps aliases to their glyphs."""
    glyphs_of_aliases = font.__dict__.get(_GLYPHS_OF_ALIASES)
    if not glyphs_of_aliases:
        return _original_build_vector_font_dictionary(
            font_dictionary, pdf, font, widths, compress, reference, pdf_version)
    missing, font.missing = font.missing, {}  # its own Encoding for them would be replaced below
    try:
        _original_build_vector_font_dictionary(font_dictionary, pdf, font, widths, compress, reference, pdf_version)
    finally:
        font.missing = missing
    missing_codes = set(missing.values())
    if not missing_codes.isdisjoint(glyphs_of_aliases):
        log.error("Font %s: more characters missing than KEPT_FOR_MISSING_GLYPHS, some drawn as another "
                  "glyph", font.family)
    # Glyph ids are codes below the glyph count (one range, to themselves); missing glyphs' codes
    # (to .notdef) and aliases (to their glyph) come above it.
    wide = font.__dict__.get(_WIDE_CODES, set())
    cids = sorted((code, code if code in wide else glyphs_of_aliases.get(code, 0)) for code in font.to_unicode
                  if code in glyphs_of_aliases or code in missing_codes)
    if wide:  # those CIDs are drawn with the glyph they stand for, the others with their own
        cid_to_gid_map = pydyf.Stream([_predicted_cid_to_gid_map(font.glyph_count, {
            code: glyphs_of_aliases[code] for code in wide})], pydyf.Dictionary({"DecodeParms": pydyf.Dictionary(
                {"Predictor": 11, "Colors": 2, "BitsPerComponent": 8, "Columns": max(wide) + 1})}), compress=True)
        pdf.add_object(cid_to_gid_map)
        descendant = pdf.objects[int(font_dictionary["DescendantFonts"][0].split()[0])]
        descendant["CIDToGIDMap"] = cid_to_gid_map.reference
    encoding = pydyf.Stream([
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo 3 dict dup begin /Registry (Adobe) def /Ordering (Identity) def /Supplement 0 def end def",
        b"/CMapName /Centre-Aliases def",
        b"/CMapType 1 def",
        b"1 begincodespacerange <0000> <ffff> endcodespacerange",
        f"1 begincidrange <0000> <{font.glyph_count - 1:04x}> 0 endcidrange".encode(),
    ], pydyf.Dictionary({
        "Type": "/CMap",
        "CMapName": "/Centre-Aliases",
        "CIDSystemInfo": pydyf.Dictionary({
            "Registry": pydyf.String("Adobe"), "Ordering": pydyf.String("Identity"), "Supplement": 0}),
    }), compress=compress)
    for start in range(0, len(cids), 100):  # a CMap block holds 100 entries at most
        block = cids[start:start + 100]
        encoding.stream.append(f"{len(block)} begincidchar".encode())
        encoding.stream.extend(f"<{code:04x}> {cid}".encode() for code, cid in block)
        encoding.stream.append(b"endcidchar")
    encoding.stream.extend([b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"])
    pdf.add_object(encoding)
    font_dictionary["Encoding"] = encoding.reference


def _predicted_cid_to_gid_map(glyph_count: int, glyphs: dict[int, int]) -> bytes:
    """A CIDToGIDMap (two bytes a CID: CIDs below glyph_count to themselves, those of glyphs to
    their glyph, others to 0) as one row of PNG's Sub prediction, each byte less the one two
    before: 22 KB for Amiri, which deflate to about 100 bytes (without prediction, 12 KB)."""
    def step(value, previous):
        return bytes((((value >> 8) - (previous >> 8)) & 0xFF, (value - previous) & 0xFF))

    parts = [b"\x01", _predicted_identity(glyph_count)]
    previous, cid = glyph_count - 1, glyph_count
    for code in sorted(glyphs):
        if code > cid:  # CIDs mapped to 0
            parts.extend((step(0, previous), bytes(2 * (code - cid - 1))))
            previous = 0
        parts.append(step(glyphs[code], previous))
        previous, cid = glyphs[code], code + 1
    return b"".join(parts)


@lru_cache(maxsize=8)
def _predicted_identity(count: int) -> bytes:
    """CIDs 0 to count - 1 mapped to themselves, predicted as _predicted_cid_to_gid_map says."""
    return b"\x00\x00" + b"".join(b"\x01\x01" if cid % 256 == 0 else b"\x00\x01" for cid in range(1, count))
