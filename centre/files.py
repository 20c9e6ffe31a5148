"""Uploaded files, in one place: what was sent is checked, kept, and given back.

Every area that takes a file (a session's materials, a partner's documents and agreement, an
assistance request's report) goes through these functions and keeps a `StoredFile` row:

- `check_upload(file, kinds, max_bytes)` reads the upload and judges its type by its content
  (a PDF starts with ``%PDF-``; a Word, Excel or PowerPoint file is a ZIP holding that format's
  part; an OpenDocument file's first member names its type), never by its name or the browser's
  Content-Type: a file whose content and name disagree is refused, and so is one over the size.
  The messages say what was wrong, in the user's language (a `DomainError`).
- `store_file(upload, actor)` keeps it and returns the row; `read_file(stored)` gives the bytes
  back; `send_stored_file(stored)` answers a download with a safe name in any script.
- `safe_file_name(name)` keeps the letters of every script (Arabic included, unlike Werkzeug's
  `secure_filename`) and drops what could mislead or escape: folders, control and invisible
  characters (right-to-left overrides that disguise "fdp.exe" as "exe.pdf"), reserved characters.

Where the bytes live is the `FILE_STORAGE` setting (environment `CENTRE_FILE_STORAGE`):
``database`` (the default: the bytes in the row, so a database backup holds every file and
several app servers share them) or ``folder`` (under `FILE_FOLDER`, `instance/files/` by default,
named by their SHA-256, so the database stays small; for several servers the folder must be
shared). Either way a file is never kept half: the folder's copy is written to a temporary name
and renamed. Object storage (S3-compatible) is a third class with the same two methods,
`put(digest, data)` and `get(digest)`; see the README.
"""
import hashlib
import io
import os
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

from flask import current_app, request, send_file
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from centre.errors import DomainError
from centre.extensions import db
from centre.models import StoredFile, User


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extensions: tuple[str, ...]
    label: str


#: The kinds of file the centre takes, by the name its areas use.
KINDS = {kind.name: kind for kind in (
    Kind("pdf", "application/pdf", (".pdf",), "PDF"),
    Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "Word"),
    Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "Excel"),
    Kind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",),
         "PowerPoint"),
    Kind("odt", "application/vnd.oasis.opendocument.text", (".odt",), "OpenDocument"),
    Kind("ods", "application/vnd.oasis.opendocument.spreadsheet", (".ods",), "OpenDocument"),
    Kind("odp", "application/vnd.oasis.opendocument.presentation", (".odp",), "OpenDocument"),
    Kind("png", "image/png", (".png",), "PNG"),
    Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG"),
)}
#: Kinds for documents people exchange (materials, requests, reports, agreements).
DOCUMENT_KINDS = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "png", "jpeg")
#: The member of an Office Open XML package that says which of the three formats it is.
_OOXML_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
_ODF_TYPES = {KINDS[name].content_type: name for name in ("odt", "ods", "odp")}
#: A document package with more members than this is not one people send each other.
_MAX_MEMBERS = 10_000
_NAME_MAX = 120
#: Characters no file name keeps: folders, and what Windows and shells reserve.
_RESERVED = set('/\\:*?"<>|')


@dataclass(frozen=True)
class Upload:
    """A checked upload, not yet kept."""
    name: str  #: safe_file_name of the name it came with, with the extension of its kind
    kind: str
    data: bytes

    @property
    def content_type(self) -> str:
        return KINDS[self.kind].content_type


def safe_file_name(name: str | None, default: str = "file") -> str:
    """`name` fit to show and to offer as a download: letters of any script, digits, spaces and
    ordinary punctuation; no folder, no control or invisible character; at most 120 characters,
    the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # the last part of any path
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char in _RESERVED:
            kept.append("_")
        elif category.startswith("Z") or char.isspace():
            kept.append(" ")
        elif category[0] != "C":  # Cc control, Cf format (bidi overrides, zero width), Cs, Co, Cn
            kept.append(char)
    name = " ".join("".join(kept).split()).strip(" .")
    if not name:
        return default
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= 10:
        return f"{stem[:_NAME_MAX - len(extension) - 1].rstrip(' .')}.{extension}"
    return name[:_NAME_MAX].rstrip(" .") or default


def sniff_kind(data: bytes) -> str | None:
    """The kind of `data` judged by its content, or None for none the centre takes."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _package_kind(data)
    return None


def _package_kind(data: bytes) -> str | None:
    """An Office Open XML or OpenDocument file's kind from the ZIP's members (names only: nothing
    is unpacked but OpenDocument's few-byte `mimetype` member)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > _MAX_MEMBERS:
                return None
            names = {member.filename for member in members}
            if "[Content_Types].xml" in names:
                kinds = {kind for part, kind in _OOXML_PARTS.items() if part in names}
                return kinds.pop() if len(kinds) == 1 else None
            first = members[0] if members else None
            if first is not None and first.filename == "mimetype" and first.file_size < 100:
                return _ODF_TYPES.get(archive.read(first).decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, NotImplementedError,
            ValueError):
        return None
    return None


def _labels(kinds) -> str:
    return ", ".join(dict.fromkeys(KINDS[kind].label for kind in kinds))


def check_upload(file: FileStorage | None, kinds=DOCUMENT_KINDS, max_bytes: int = 10 * 1024 * 1024) -> Upload:
    """The upload, read and checked: one of `kinds` by its content, with a name that does not
    claim another kind, not empty and at most `max_bytes`; else DomainError saying which."""
    if file is None or not file.filename:
        raise DomainError(_l("Choose a file to send."))
    data = file.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(_l("The file is too large: at most %(size)s MB."), size=_megabytes(max_bytes))
    if not data:
        raise DomainError(_l("The file is empty."))
    kind = sniff_kind(data)
    if kind not in kinds:
        raise DomainError(_l("This file's content is not one of the accepted kinds (%(kinds)s)."),
                          kinds=_labels(kinds))
    name = safe_file_name(file.filename)
    stem, dot, extension = name.rpartition(".")
    if dot and stem:
        claimed = [k for k in KINDS.values() if f".{extension.lower()}" in k.extensions]
        if claimed and kind not in {k.name for k in claimed}:
            raise DomainError(_l("The file's name says %(claimed)s but its content is %(actual)s."),
                              claimed=extension.upper(), actual=KINDS[kind].label)
        if not claimed:
            name = f"{name}{KINDS[kind].extensions[0]}"
    else:
        name = f"{name}{KINDS[kind].extensions[0]}"
    return Upload(name=name, kind=kind, data=data)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def upload_limit(max_bytes: int):
    """Let a view's request body reach `max_bytes` plus the form around it, above the app's
    MAX_CONTENT_LENGTH (Flask refuses a larger body with a 413 before the view reads it)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            request.max_content_length = max_bytes + 64 * 1024
            return view(*args, **kwargs)
        return wrapped
    return decorator


class DatabaseStorage:
    """The bytes in the StoredFile row itself."""
    name = "database"

    def put(self, stored: StoredFile, data: bytes) -> None:
        stored.content = data

    def get(self, stored: StoredFile) -> bytes:
        return stored.content


class FolderStorage:
    """The bytes in a folder, one file per content (its SHA-256): the same file uploaded twice
    is kept once. Written to a temporary name in the same folder, then renamed: a reader or a
    crash never sees half a file."""
    name = "folder"

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, stored: StoredFile, data: bytes) -> None:
        path = self.path(stored.sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, stored: StoredFile) -> bytes:
        data = self.path(stored.sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != stored.sha256:
            raise OSError(f"stored file {stored.id} does not match its SHA-256")
        return data


def _storage(name: str):
    if name == "database":
        return DatabaseStorage()
    if name == "folder":
        return FolderStorage(current_app.config["FILE_FOLDER"])
    raise ValueError(f"unknown file storage {name!r}")


def store_file(upload: Upload, actor: User | None = None, name: str | None = None) -> StoredFile:
    """Keep a checked upload where FILE_STORAGE says; returns the new row (flushed)."""
    storage = _storage(current_app.config["FILE_STORAGE"])
    stored = StoredFile(name=safe_file_name(name) if name else upload.name, kind=upload.kind,
                        content_type=upload.content_type, size=len(upload.data),
                        sha256=hashlib.sha256(upload.data).hexdigest(), storage=storage.name, created_by=actor)
    storage.put(stored, upload.data)
    db.session.add(stored)
    db.session.flush()
    return stored


def read_file(stored: StoredFile) -> bytes:
    """The bytes of a kept file, from wherever it was kept when stored."""
    return _storage(stored.storage).get(stored)


def send_stored_file(stored: StoredFile, as_attachment: bool = True, name: str | None = None):
    """A download response: the file's own type, its safe name in any script (RFC 6266's
    filename* for non-ASCII names), never cached by shared caches."""
    response = send_file(io.BytesIO(read_file(stored)), mimetype=stored.content_type,
                         as_attachment=as_attachment, download_name=safe_file_name(name or stored.name),
                         etag=stored.sha256, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def zip_files(entries) -> bytes:
    """A ZIP of (name, StoredFile) pairs, names made safe and unique ("a.pdf", "a (2).pdf")."""
    buffer = io.BytesIO()
    used: set[str] = set()
    # Stored, not deflated: every kind taken is compressed already (PDF streams, ZIP packages, images).
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, stored in entries:
            name = safe_file_name(name)
            stem, dot, extension = name.rpartition(".")
            candidate, number = name, 1
            while candidate.casefold() in used:
                number += 1
                candidate = f"{stem} ({number}).{extension}" if dot and stem else f"{name} ({number})"
            used.add(candidate.casefold())
            archive.writestr(zipfile.ZipInfo(candidate, date_time=stored.created_at.timetuple()[:6]),
                             read_file(stored))
    return buffer.getvalue()
