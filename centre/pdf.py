"""The one entry point to WeasyPrint: render_pdf(template, **ctx) -> bytes.

One FontConfiguration and one stylesheet per process, shared by every render: creating
them per document makes memory grow with every document. Resources are read only from
the app's own static folder (and data: URLs), never from the network.

WeasyPrint is imported where a document is rendered, never at module level: importing it takes
about 0.8 s here, and most processes (the CLI, a web worker that serves no document) never need it.
"""
import atexit
import gc
import hashlib
import io
import logging
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from centre.errors import DomainError

log = logging.getLogger(__name__)

ARABIC_FONT_FAMILY = "Amiri"
PRINT_STYLESHEET = "pdf/print.css"
#: Rules of WeasyPrint's user-agent stylesheet that our documents never use (notes, footnotes) and that
#: match every element: each gives every element a pseudo-element whose style WeasyPrint computes, six
#: styles an element more to compute in all (a quarter of the activity report's time, profiled). The
#: markers keep their rule, on list items only (the elements whose display is list-item).
UNUSED_USER_AGENT_RULES = re.compile(
    r"^::(footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}]*\}\n", re.M)
MARKER_RULE = "\n::marker {"


class StaticOnlyFetcher:
    """Let WeasyPrint read the app's static files and data: URLs, and nothing else."""

    def __init__(self, static_folder: str):
        from weasyprint.urls import URLFetcher  # late: see the module docstring

        self.root = Path(static_folder).resolve()
        self._inner = URLFetcher(allowed_protocols={"file", "data"})

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(self.root):
                raise ValueError(f"PDF resources come from the static folder only: {url}")
        elif not url.startswith("data:"):
            raise ValueError(f"PDF resources come from the static folder only: {url}")
        return self._inner.fetch(url, headers)

    __call__ = fetch


@lru_cache(maxsize=1)
def _lean_html_class():
    """weasyprint.HTML with its user-agent stylesheet less the rules our documents never use
    (UNUSED_USER_AGENT_RULES), or weasyprint.HTML itself if that stylesheet is not the one this was
    written against (another WeasyPrint): the documents are then as fast as before, and as right."""
    from weasyprint import CSS, HTML  # late: see the module docstring
    from weasyprint.html import UA, UA_COUNTER_STYLE  # late: see the module docstring

    if len(UNUSED_USER_AGENT_RULES.findall(UA)) != 5 or UA.count(MARKER_RULE) != 1:
        log.warning("WeasyPrint's user-agent stylesheet is not the one centre.pdf trims: documents use it whole")
        return HTML
    lean = CSS(string=UNUSED_USER_AGENT_RULES.sub("", UA).replace(MARKER_RULE, "\nli::marker, summary::marker {"),
               counter_style=UA_COUNTER_STYLE)

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [lean, *super()._ua_stylesheets(forms)[1:]]

    return LeanHTML


@lru_cache(maxsize=4)
def _shared_resources(stylesheet_source: str):
    from weasyprint import CSS  # late: see the module docstring
    from weasyprint.text.fonts import FontConfiguration  # late: see the module docstring

    from centre import textlayer  # late: it imports WeasyPrint

    textlayer.install()  # before the first document: its text layer copies as printed
    font_config = FontConfiguration()
    return font_config, CSS(string=stylesheet_source, font_config=font_config)


# Release them before the interpreter tears its modules down: WeasyPrint's font finalizer
# fails noisily ("NoneType object is not callable") if it runs after that.
atexit.register(_shared_resources.cache_clear)


def _stylesheet_source(name: str = PRINT_STYLESHEET) -> str:
    return current_app.jinja_env.loader.get_source(current_app.jinja_env, name)[0]


@contextmanager
def _heap_left_out_of_collections():
    """While WeasyPrint lays a document out, the objects alive before it (the app, its modules, the
    request's rows) are left out of the cyclic garbage collector's passes (gc.freeze), and put back
    after (gc.unfreeze). A render makes hundreds of thousands of objects that live until the document
    is written, so the collector's full passes come several times a render, and each went through the
    whole heap again: a fifth of the activity report's render in a web process, measured. The
    render's own garbage is still collected as it goes. Freezing and unfreezing only move lists."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def arabic_font_installed() -> bool:
    """Whether fontconfig knows the Arabic typeface the documents name."""
    if not shutil.which("fc-list"):
        return False
    result = subprocess.run(["fc-list", f"{ARABIC_FONT_FAMILY}:lang=ar", "family"],
                            capture_output=True, text=True, check=False)
    return bool(result.stdout.strip())


def require_arabic_font() -> None:
    if not arabic_font_installed():
        raise DomainError(_l("No Arabic font is installed on the server (%(family)s), so Arabic "
                             "documents would print empty boxes. Ask the administrator to install "
                             "the package fonts-hosny-amiri."), family=ARABIC_FONT_FAMILY)


class RecentPdfs:
    """The PDFs rendered last, under the SHA-256 of the HTML and stylesheet they were made of.

    WeasyPrint turns the same HTML and stylesheet into the same bytes, and the HTML holds
    everything a document prints (names, slots, dates, headings in the document's languages),
    so a change of any of it — a registration accepted, a slot moved, a name corrected, a
    translation — is a new key: an entry is never stale and nothing has to be invalidated.
    The templates are rendered at every request; only WeasyPrint's seconds are saved. Bounded
    in bytes (oldest dropped first); per process, as it is only a cache of a pure function.
    """

    def __init__(self):
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(html: str, stylesheet_source: str) -> str:
        return hashlib.sha256(f"{len(stylesheet_source)}:{stylesheet_source}{html}".encode()).hexdigest()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            pdf = self._entries.get(key)
            if pdf is not None:
                self._entries.move_to_end(key)
            return pdf

    def put(self, key: str, pdf: bytes, limit: int) -> None:
        with self._lock:
            if key in self._entries or len(pdf) > limit:
                return
            self._entries[key] = pdf
            self._size += len(pdf)
            while self._size > limit:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


recent_pdfs = RecentPdfs()


def render_pdf(template: str, *, reuse: bool = False, stylesheet: str = PRINT_STYLESHEET, **context) -> bytes:
    """The PDF of a template, styled by `stylesheet` (a template name: the shared print stylesheet
    unless a document has its own). reuse=True for a document rendered again and again from the
    same data (the activity report): the same HTML gives back the bytes made last time. Never for
    documents that are stored (certificates, letters): they are rendered once anyway."""
    html = render_template(template, **context)
    source = _stylesheet_source(stylesheet)
    limit = current_app.config["PDF_REUSE_BYTES"] if reuse else 0
    key = RecentPdfs.key(html, source) if limit else None
    if key and (pdf := recent_pdfs.get(key)) is not None:
        return pdf
    font_config, css = _shared_resources(source)
    fetcher = StaticOnlyFetcher(current_app.static_folder)
    with _heap_left_out_of_collections():
        document = _lean_html_class()(string=html, base_url=Path(current_app.static_folder).as_uri() + "/",
                                      url_fetcher=fetcher)
        pdf = document.write_pdf(stylesheets=[css], font_config=font_config)
    if key:
        recent_pdfs.put(key, pdf, limit)
    return pdf


def render_pdf_per_page(template: str, titles: list[str], **context) -> list[bytes] | None:
    """Lay out and write a many-page document once, then cut it into one PDF per page (titled in turn).

    Layout, drawing and the fonts' subsets are most of a page's cost; done once for many pages,
    they are shared: each page's PDF holds the fonts subset for the whole document (a few more
    glyph shapes, no text of the other pages) and the images encoded once. qpdf (pikepdf) copies
    each page with what it uses into a file of its own, as the page was written. None when the
    document does not have exactly one page per title (the caller then renders one by one).
    """
    html = render_template(template, **context)
    font_config, stylesheet = _shared_resources(_stylesheet_source())
    with _heap_left_out_of_collections():
        document = _lean_html_class()(string=html, base_url=Path(current_app.static_folder).as_uri() + "/",
                                      url_fetcher=StaticOnlyFetcher(current_app.static_folder)).render(
            stylesheets=[stylesheet], font_config=font_config)
        if len(document.pages) != len(titles):
            return None
        written = document.write_pdf()
    import pikepdf  # late, as WeasyPrint: about 0.1 s, and only bulk issues cut documents

    pdfs = []
    with pikepdf.open(io.BytesIO(written)) as whole:
        for page, title in zip(whole.pages, titles):
            single = pikepdf.new()
            single.pages.append(page)
            single.docinfo = single.make_indirect(pikepdf.Dictionary(whole.docinfo))
            single.docinfo["/Title"] = title
            output = io.BytesIO()
            single.save(output, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            pdfs.append(output.getvalue())
    return pdfs
