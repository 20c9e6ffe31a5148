"""The text layer of the PDFs WeasyPrint writes: every glyph copies as the text it was drawn for.

What is wrong in WeasyPrint 70 (upstream Kozea/WeasyPrint#2841): a PDF's text layer maps each code
of a font's content stream to text through the font's ToUnicode map, and WeasyPrint writes each
glyph under its glyph id, mapped to the text of the first cluster the glyph was drawn in
(weasyprint/draw/text.py, draw_first_line: ``if glyph_id not in font.to_unicode``). An Arabic font
draws one glyph in several contexts: a lam that is the second glyph of a two-glyph cluster gets
the empty text, a glyph first drawn for a ligature gets the ligature's letters. Drawn again
elsewhere, for another letter, it copies as that first text: "المملكة" copies as "المم كة". The page
looks right; copying, searching and screen readers get the words wrong. Every Arabic font on
Debian loses words this way.

What this module does: the first text a glyph is drawn for keeps the glyph id as its code, as
before. When the glyph is drawn for another text, it is written under a code of its own (an alias,
taken from the top of the two-byte code space, downwards, far above the font's glyph ids), whose
ToUnicode entry is that text, and the font's Encoding CMap maps the alias back to the glyph. Same
glyph, same widths, same positions: the page is drawn exactly as before; only codes in the
content stream and the font's two maps differ. Every viewer reads it (ToUnicode and Encoding
CMaps are plain PDF), unlike /ActualText spans, which poppler lays out left to right and then
reverses in a right-to-left line.

How: two hooks into WeasyPrint, installed by install(), which centre.pdf calls before each render.
  * draw_first_line (weasyprint.draw.text) draws one line of text. While it runs, the stream's
    show_text is replaced by one that rewrites the glyph codes of the strings it shows: the text
    of each glyph is worked out as draw_first_line works it out (the glyph's cluster), and a glyph
    whose id already stands for another text is given its alias.
  * _build_vector_font_dictionary (weasyprint.pdf.fonts) writes a font's PDF dictionaries. For a
    font with aliases, its Encoding becomes a CMap mapping each code to its glyph (aliases to the
    glyph they stand for, glyphs missing from the font to .notdef as WeasyPrint does, others to
    themselves).
Both are pinned to WeasyPrint 70.0: install() hooks nothing on another version (and says so in
the log), and tests/test_textlayer.py fails while the hooked functions' source differs from the
source this was written against. What it does not cover: fonts embedded whole (WeasyPrint's
full_fonts option, form fields), bitmap and colour (emoji) fonts; Centre's documents use none.
"""
import hashlib
import inspect
import logging
import re
import threading
from typing import NamedTuple

import pydyf
from weasyprint import __version__ as weasyprint_version  # late import of this module: see centre.pdf
from weasyprint.draw import text as weasyprint_text
from weasyprint.pdf import fonts as weasyprint_fonts
from weasyprint.text.ffi import ffi, pango

log = logging.getLogger(__name__)

#: The WeasyPrint this was written against, and the SHA-256 of the source of the two functions
#: it hooks there (see the module docstring); tests/test_textlayer.py compares them.
WEASYPRINT_VERSION = "70.0"
HOOKED_SOURCES = {
    "weasyprint.draw.text.draw_first_line": "",
    "weasyprint.pdf.fonts._build_vector_font_dictionary": "",
}

#: A font's aliases are counted upwards from its glyph count plus this many codes, left free for
#: WeasyPrint's own codes of characters missing from every font (get_unused_glyph_id counts them
#: upwards from the glyph count), up to the highest two-byte code.
KEPT_FOR_MISSING_GLYPHS = 0x1000
HIGHEST_CODE = 0xFFFF
_ALIASES = "_centre_text_aliases"  # attribute of a weasyprint Font: {(glyph id, text): alias}
_TARGETS = "_centre_alias_glyphs"  # attribute of a weasyprint Font: {alias: glyph id}
_GLYPH_CODES = re.compile(r"<([0-9a-f]*)>")

_original_draw_first_line = weasyprint_text.draw_first_line
_original_build_vector_font_dictionary = weasyprint_fonts._build_vector_font_dictionary
_install_lock = threading.Lock()
_installed = False


def function_source_digest(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def install() -> bool:
    """Hook WeasyPrint (once per process); False, with a warning in the log, on another version."""
    global _installed
    with _install_lock:
        if _installed:
            return True
        if weasyprint_version != WEASYPRINT_VERSION:
            log.warning("WeasyPrint %s is not the version centre.textlayer was written for (%s): the "
                        "Arabic text layer is left as WeasyPrint writes it", weasyprint_version,
                        WEASYPRINT_VERSION)
            return False
        weasyprint_text.draw_first_line = draw_first_line
        weasyprint_fonts._build_vector_font_dictionary = build_vector_font_dictionary
        _installed = True
        return True


def installed() -> bool:
    return _installed


def _alias(font, glyph: int, text: str) -> int:
    """The code glyph is written under when drawn for text: its id if that is the text its id
    stands for (or stands for nothing yet), else an alias of its own for this text."""
    known = font.to_unicode.get(glyph)
    if known is None:
        font.to_unicode[glyph] = text  # what draw_first_line would store, a little earlier
        return glyph
    if known == text:
        return glyph
    aliases = font.__dict__.setdefault(_ALIASES, {})
    code = aliases.get((glyph, text))
    if code is None:
        code = font.glyph_count + KEPT_FOR_MISSING_GLYPHS + len(aliases)
        if code > HIGHEST_CODE:
            return glyph  # no room left (a font of 60 000 glyphs): copied as WeasyPrint has it
        aliases[(glyph, text)] = code
        font.__dict__.setdefault(_TARGETS, {})[code] = glyph
        font.to_unicode[code] = text
    return code


class _Glyph(NamedTuple):
    """One glyph code draw_first_line writes, and what to write instead."""
    digits: int  # hexadecimal digits of its code: 4, or 2 in a bitmap font
    glyph: int | None  # the glyph id it writes, None for a code left as it is
    code: int | None  # the code to write instead
    span: str | None  # the text of the cluster the glyph opens, if the cluster has several glyphs
    closes_span: bool  # the last glyph of such a cluster


def _line_glyphs(stream, textbox) -> list[_Glyph] | None:
    """The glyphs of the line draw_first_line is drawing, in the order it writes them; None when
    it writes them all as they should be."""
    layout = textbox.pango_layout
    first_line, _ = layout.get_first_line()
    utf8_text = None
    fonts = {}
    glyphs = []
    changed = False
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        glyph_string = glyph_item.glyphs
        glyphs_info = glyph_string.glyphs
        clusters = glyph_string.log_clusters
        count = glyph_string.num_glyphs
        item = glyph_item.item
        pango_font = item.analysis.font
        font = fonts.get(pango_font)
        if font is None:
            font = fonts[pango_font] = stream.add_font(pango_font)[0]  # WeasyPrint's own, cached
        plain = not (font.bitmap or font.svg or font.png or font.colr)
        rtl = item.analysis.level % 2
        cluster = []  # (glyph id, code, text) of the glyphs of the current cluster

        def close_cluster():
            nonlocal changed
            if len(cluster) == 1:
                glyphs.append(_Glyph(4, cluster[0][0], cluster[0][1], None, False))
            elif cluster:
                text = "".join(text for _, _, text in cluster)
                for n, (glyph, code, _) in enumerate(cluster):
                    glyphs.append(_Glyph(4, glyph, code, text if n == 0 and text else None,
                                         bool(text) and n == len(cluster) - 1))
                changed = changed or bool(text)
            cluster.clear()

        for i in range(count):
            glyph = glyphs_info[i].glyph
            if glyph == pango.PANGO_GLYPH_EMPTY:
                continue  # draw_first_line writes no code for it
            if glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG or not plain:
                close_cluster()
                glyphs.append(_Glyph(2 if font.bitmap else 4, None, None, None, False))
                continue
            if cluster and clusters[i] != clusters[i - 1]:
                close_cluster()
            # The glyph's text, as draw_first_line works it out: its cluster's text if it is the
            # cluster's last glyph in logical order, else nothing.
            start = clusters[i]
            if rtl:
                end = item.length if i == 0 else clusters[i - 1]
            else:
                end = item.length if i == count - 1 else clusters[i + 1]
            utf8_text = utf8_text or layout.text.encode()
            text = utf8_text[item.offset + start:item.offset + end].decode()
            code = _alias(font, glyph, text)
            changed = changed or code != glyph
            cluster.append((glyph, code, text))
        close_cluster()
    return glyphs if changed else None


class _Misaligned(Exception):
    """The codes in a shown string are not the glyphs the line was expected to draw."""


def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """WeasyPrint's draw_first_line, with the glyph codes it shows rewritten (module docstring)."""
    show_text = stream.show_text
    pending = None  # the line's glyphs not shown yet, worked out at the first string shown
    in_span = False

    def show_text_with_aliases(string):
        nonlocal pending, in_span
        if pending is None:
            glyphs = _line_glyphs(stream, textbox)
            if glyphs is None:  # nothing to rewrite on this line
                del stream.show_text
                return show_text(string)
            pending = iter(glyphs)
        parts = []  # of the text-showing array being written

        def flush(closing="", opening=""):
            parts.append(closing)
            shown = "".join(parts)
            shown = shown[2:] if shown.startswith("<>") else shown  # empty strings, where it was cut
            shown = shown[:-2] if shown.endswith("<>") else shown
            if shown:
                show_text(shown)
            parts[:] = [opening]

        position = 0
        for match in _GLYPH_CODES.finditer(string):
            parts.append(string[position:match.start()] + "<")
            digits, index = match.group(1), 0
            while index < len(digits):
                glyph = next(pending, None)
                shown = digits[index:index + glyph.digits] if glyph else ""
                if not shown or (glyph.glyph is not None and int(shown, 16) != glyph.glyph):
                    raise _Misaligned(string)
                if glyph.span is not None:  # the cluster's glyphs copy as its text, together
                    flush(">", "<")
                    stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(glyph.span)}))
                    in_span = True
                parts.append(shown if glyph.code is None else f"{glyph.code:04x}")
                if glyph.closes_span:
                    flush(">", "<")
                    stream.end_marked_content()
                    in_span = False
                index += glyph.digits
            parts.append(">")
            position = match.end()
        parts.append(string[position:])
        flush()

    stream.show_text = show_text_with_aliases
    try:
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    except _Misaligned as error:
        raise RuntimeError(f"centre.textlayer lost track of the glyphs WeasyPrint draws ({error}): "
                           "has weasyprint.draw.text.draw_first_line changed?") from None
    finally:
        stream.__dict__.pop("show_text", None)
        if in_span:
            stream.end_marked_content()


def build_vector_font_dictionary(font_dictionary, pdf, font, widths, compress, reference, pdf_version):
    """WeasyPrint's _build_vector_font_dictionary, with an Encoding that maps aliases to their glyphs."""
    targets = font.__dict__.get(_TARGETS)
    if not targets:
        return _original_build_vector_font_dictionary(
            font_dictionary, pdf, font, widths, compress, reference, pdf_version)
    missing, font.missing = font.missing, {}  # its own Encoding for them is replaced below
    try:
        _original_build_vector_font_dictionary(
            font_dictionary, pdf, font, widths, compress, reference, pdf_version)
    finally:
        font.missing = missing
    missing_codes = set(missing.values())
    mapping = [(code, 0 if code in missing_codes else targets.get(code, code)) for code in font.to_unicode]
    encoding = pydyf.Stream([
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo 3 dict dup begin /Registry (Adobe) def /Ordering (Identity) def "
        b"/Supplement 0 def end def",
        b"/CMapName /Centre-Aliases def",
        b"/CMapType 1 def",
        b"1 begincodespacerange <0000> <ffff> endcodespacerange",
    ], pydyf.Dictionary({
        "Type": "/CMap",
        "CMapName": "/Centre-Aliases",
        "CIDSystemInfo": pydyf.Dictionary({
            "Registry": pydyf.String("Adobe"), "Ordering": pydyf.String("Identity"), "Supplement": 0}),
    }), compress=compress)
    for start in range(0, len(mapping), 100):  # at most 100 entries a block
        batch = mapping[start:start + 100]
        encoding.stream.append(f"{len(batch)} begincidchar".encode())
        encoding.stream.extend(f"<{code:04x}> {cid}".encode() for code, cid in batch)
        encoding.stream.append(b"endcidchar")
    encoding.stream.extend([b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"])
    pdf.add_object(encoding)
    font_dictionary["Encoding"] = encoding.reference
