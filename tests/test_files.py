"""Uploaded files (centre/files.py): kinds judged by content, names safe in every script, kept in
the database or in a folder, given back as they came."""
import io
import zipfile
from urllib.parse import unquote

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask, request
from werkzeug.datastructures import FileStorage

from centre import files
from centre.errors import DomainError
from centre.extensions import db
from centre.models import StoredFile
from tests.conftest import signature_png

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def opendocument(content_type: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", content_type, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Nom", "Pays"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("data, name, kind", [
    (PDF, "programme.pdf", "pdf"),
    (signature_png(), "plan.png", "png"),
    (signature_png(kind="JPEG"), "photo.JPG", "jpeg"),
    (ooxml("word/document.xml"), "rapport.docx", "docx"),
    (ooxml("ppt/presentation.xml"), "exposé.pptx", "pptx"),
    (xlsx(), "liste.xlsx", "xlsx"),  # a real workbook, as openpyxl (and Excel) writes it
    (opendocument("application/vnd.oasis.opendocument.text"), "note.odt", "odt"),
    (PDF, "programme", "pdf"),  # no extension: the kind's is added
])
def test_a_file_is_taken_by_its_content(data, name, kind):
    checked = files.check_upload(upload(data, name))
    assert checked.kind == kind and checked.data == data
    assert checked.name.lower().endswith(files.KINDS[kind].extensions)


@pytest.mark.parametrize("data, name, message", [
    (b"<html><script>alert(1)</script></html>", "programme.pdf", "not one of the accepted kinds"),
    (b"MZ\x90\x00" + b"\x00" * 60, "slides.pptx", "not one of the accepted kinds"),  # a Windows program
    (ooxml("word/document.xml"), "programme.pdf", "name says PDF but its content is Word"),
    (PDF, "image.png", "name says PNG but its content is PDF"),
    (b"PK\x03\x04 not really a zip", "notes.docx", "not one of the accepted kinds"),
    (b"", "vide.pdf", "The file is empty"),
])
def test_a_file_that_is_not_what_it_claims_is_refused(data, name, message):
    with pytest.raises(DomainError) as refused:
        files.check_upload(upload(data, name))
    assert message in str(refused.value)


def test_a_file_over_the_limit_is_refused_without_reading_it_all():
    stream = io.BytesIO(PDF + b"0" * 5000)
    with pytest.raises(DomainError, match=r"too large: at most 0\.00\d+ MB|too large"):
        files.check_upload(FileStorage(stream, filename="gros.pdf"), max_bytes=1000)
    assert stream.tell() == 1001


def test_only_the_kinds_asked_for_are_taken():
    with pytest.raises(DomainError, match=r"accepted kinds \(PDF\)"):
        files.check_upload(upload(signature_png(), "plan.png"), kinds=("pdf",))
    with pytest.raises(DomainError, match="Choose a file"):
        files.check_upload(None)


@pytest.mark.parametrize("given, kept", [
    ("برنامج الدورة.pdf", "برنامج الدورة.pdf"),  # Arabic letters stay
    ("Présentation — Médiation.pptx", "Présentation — Médiation.pptx"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\amira\\rapport.docx", "rapport.docx"),
    ("facture\u202efdp.exe", "facturefdp.exe"),  # a right-to-left override disguising the extension
    ("a\u200bb\x00c\r\n.pdf", "abc.pdf"),
    ('what? <no>|"yes".pdf', "what_ _no___yes_.pdf"),
    ("   .hidden  ", "hidden"),
    ("", "file"),
    ("\u202e\u200b", "file"),
])
def test_file_names_keep_every_script_and_nothing_that_misleads(given, kept):
    assert files.safe_file_name(given) == kept


def test_a_long_name_is_cut_keeping_its_extension():
    name = files.safe_file_name("م" * 300 + ".pdf")
    assert len(name) == 120 and name.endswith("م.pdf")


@pytest.mark.parametrize("storage", ["database", "folder"])
def test_a_file_is_kept_and_given_back_as_it_came(app, storage, tmp_path):
    app.config.update(FILE_STORAGE=storage, FILE_FOLDER=str(tmp_path / "files"))
    data = xlsx()
    with app.app_context():
        stored = files.store_file(files.check_upload(upload(data, "liste des stagiaires.xlsx")))
        twice = files.store_file(files.check_upload(upload(data, "copie.xlsx")))
        db.session.commit()
        stored_id, same_digest = stored.id, twice.sha256 == stored.sha256
    with app.app_context():
        stored = db.session.get(StoredFile, stored_id)
        assert (stored.storage, stored.kind, stored.size, stored.name) == (storage, "xlsx", len(data),
                                                                           "liste des stagiaires.xlsx")
        assert files.read_file(stored) == data
        in_row = db.session.scalar(sa.select(StoredFile.content).where(StoredFile.id == stored_id))
        if storage == "database":
            assert in_row == data
        else:  # one copy on disk for the same content, none in the row, no temporary left
            assert in_row is None
            assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [stored.sha256]
            assert same_digest


def test_a_folder_copy_that_changed_is_not_given_back(app, tmp_path):
    app.config.update(FILE_STORAGE="folder", FILE_FOLDER=str(tmp_path))
    with app.app_context():
        stored = files.store_file(files.check_upload(upload(PDF, "a.pdf")))
        path = files.FolderStorage(tmp_path).path(stored.sha256)
        path.write_bytes(PDF.replace(b"1.7", b"1.4"))
        with pytest.raises(OSError, match="does not match"):
            files.read_file(stored)
        db.session.rollback()


def test_a_download_carries_its_name_in_any_script(app):
    with app.test_request_context():
        stored = files.store_file(files.check_upload(upload(PDF, "برنامج الدورة.pdf")))
        response = files.send_stored_file(stored)
        response.direct_passthrough = False
        assert response.get_data() == PDF
        assert response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == "برنامج الدورة.pdf"
        assert response.headers["Cache-Control"] == "private, no-cache"
        db.session.rollback()


def test_a_zip_of_files_has_one_entry_per_file_with_unique_names(app):
    with app.app_context():
        first = files.store_file(files.check_upload(upload(PDF, "a.pdf")))
        second = files.store_file(files.check_upload(upload(ooxml("word/document.xml"), "b.docx")))
        archive = zipfile.ZipFile(io.BytesIO(files.zip_files(
            [("Programme.pdf", first), ("programme.pdf", first), ("الدليل.docx", second)])))
        assert archive.namelist() == ["Programme.pdf", "programme (2).pdf", "الدليل.docx"]
        assert archive.read("programme (2).pdf") == PDF
        db.session.rollback()


def test_a_view_may_take_a_larger_body_than_the_app_does():
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.post("/small")
    def small():
        return str(len(request.files["f"].read()))

    @app.post("/large")
    @files.upload_limit(1000)
    def large():
        return str(len(request.files["f"].read()))

    client = app.test_client()
    body = {"f": (io.BytesIO(b"x" * 500), "f.pdf")}
    assert client.post("/small", data=dict(body)).status_code == 413
    body = {"f": (io.BytesIO(b"x" * 500), "f.pdf")}
    assert client.post("/large", data=body).get_data(as_text=True) == "500"
