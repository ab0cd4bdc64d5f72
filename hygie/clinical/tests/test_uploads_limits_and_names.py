"""Size limits read no more than needed; names are made safe without losing their
accents; documents are served with headers that come from the check alone."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hygie.clinical.tests.test_uploads_formats import make_jpeg, make_pdf, make_png
from hygie.clinical.uploads import (
    MAX_NAME_BYTES,
    MAX_NAME_CHARS,
    MAX_UPLOAD_BYTES,
    RefusalReason,
    UploadRefused,
    check_upload,
    content_disposition,
    safe_download_headers,
)

MIB = 1024 * 1024


class EndlessStream:
    """A stream that never ends and says nothing of its size, counting what is read."""

    def __init__(self, head: bytes = b"%PDF-1.7\n") -> None:
        self.head = head
        self.bytes_read = 0

    def read(self, size: int) -> bytes:
        chunk = (self.head + b"\x00" * size)[:size] if self.bytes_read == 0 else b"\x00" * size
        self.bytes_read += len(chunk)
        return chunk


class StreamWithSize(EndlessStream):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size


def refusal(name: str, data) -> UploadRefused:
    with pytest.raises(UploadRefused) as refused:
        check_upload(name, data)
    return refused.value


# --- Size --------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    refused = refusal("scan.pdf", b"")
    assert refused.reason is RefusalReason.EMPTY
    assert str(refused) == "Le fichier « scan.pdf » est vide."
    assert refusal("scan.pdf", io.BytesIO(b"")).reason is RefusalReason.EMPTY


def pdf_of_size(size: int) -> bytes:
    padding = size - len(make_pdf())
    while len(data := make_pdf(padding=padding)) != size:  # the xref offset grows too
        padding += size - len(data)
    return data


def test_a_file_of_exactly_twenty_mebibytes_is_accepted():
    data = pdf_of_size(MAX_UPLOAD_BYTES)
    assert len(data) == MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    assert check_upload("gros.pdf", io.BytesIO(data)).size == MAX_UPLOAD_BYTES


def test_one_byte_more_is_refused_with_the_size_rounded_up():
    data = pdf_of_size(MAX_UPLOAD_BYTES + 1)
    refused = refusal("gros.pdf", data)
    assert refused.reason is RefusalReason.TOO_LARGE
    assert str(refused) == "Le fichier « gros.pdf » dépasse 20\u00a0Mo (20,1\u00a0Mo)."


def test_an_endless_stream_is_read_only_one_byte_past_the_limit():
    stream = EndlessStream()
    refused = refusal("flux.pdf", stream)
    assert refused.reason is RefusalReason.TOO_LARGE
    assert stream.bytes_read == MAX_UPLOAD_BYTES + 1
    assert str(refused) == "Le fichier « flux.pdf » dépasse 20\u00a0Mo."


def test_a_declared_size_over_the_limit_refuses_before_reading():
    stream = StreamWithSize(int(23.4 * MIB))
    refused = refusal("scanner.pdf", stream)
    assert stream.bytes_read == 0
    assert str(refused) == "Le fichier « scanner.pdf » dépasse 20\u00a0Mo (23,4\u00a0Mo)."


def test_a_declared_size_that_lies_low_is_not_believed():
    stream = StreamWithSize(1000)
    assert refusal("menteur.pdf", stream).reason is RefusalReason.TOO_LARGE
    assert stream.bytes_read == MAX_UPLOAD_BYTES + 1


def test_a_django_uploaded_file_is_checked_from_its_content():
    upload = SimpleUploadedFile("photo.png", make_jpeg(), content_type="image/png")
    checked = check_upload(upload.name, upload, upload.content_type)
    assert (checked.name, checked.mime_type) == ("photo.jpg", "image/jpeg")


# --- Names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.ini.pdf", "system.ini.pdf"),
        ("C:\\Users\\Aubert\\Bureau\\scan.pdf", "scan.pdf"),
        ("Compte rendu d'échographie.pdf", "Compte rendu d'échographie.pdf"),
        ("Re\u0301sultats.pdf", "Résultats.pdf"),  # macOS sends decomposed accents
        ("scan\x00.pdf", "scan.pdf"),
        ("scan\r\nX-Injected: 1.pdf", "scan X-Injected_ 1.pdf"),
        ("scan\u200b\u00ad.pdf", "scan.pdf"),  # zero-width space, soft hyphen
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("  lettre   du   cardiologue  .pdf", "lettre du cardiologue.pdf"),
        ("scan", "scan.pdf"),
        ("compte.rendu.12.03", "compte.rendu.12.03.pdf"),
        ("Lettre.PDF", "Lettre.pdf"),
        (".htaccess", "htaccess.pdf"),
        ("..pdf", "document.pdf"),
        ("", "document.pdf"),
        ("/", "document.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("résultat.html", "résultat.pdf"),
    ],
)
def test_a_pdf_name_is_made_safe(sent, stored):
    assert check_upload(sent, make_pdf()).name == stored


def test_a_right_to_left_override_cannot_disguise_the_extension():
    # « photo‮gpj.exe » displays as « photoexe.jpg »; the override goes and so does .exe.
    checked = check_upload("photo\u202egpj.exe", make_jpeg())
    assert checked.name == "photogpj.jpg"
    assert checked.renamed_from == ".exe"
    assert checked.original_name == "photogpj.exe"


@pytest.mark.parametrize(("sent", "stored"), [("IMG_1.JPG", "IMG_1.jpg"), ("a.jpeg", "a.jpeg")])
def test_a_jpeg_keeps_either_of_its_extensions(sent, stored):
    checked = check_upload(sent, make_jpeg())
    assert checked.name == stored
    assert checked.renamed_from is None


def test_a_long_name_is_shortened_and_keeps_its_extension():
    checked = check_upload("é" * 300 + ".png", make_png())
    assert checked.name.endswith("é.png")
    assert len(checked.name) <= MAX_NAME_CHARS
    assert len(checked.name.encode()) <= MAX_NAME_BYTES


def test_messages_quote_the_name_without_its_path_or_control_characters():
    refused = refusal("C:\\Documents\\rou\x07ge\u200b.pdf", b"")
    assert str(refused) == "Le fichier « rouge.pdf » est vide."


# --- Serving -----------------------------------------------------------------------


def filename_from(disposition: str) -> str:
    """The name a browser saves under: filename* when present (RFC 6266, 4.3)."""
    extended = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    if extended:
        return unquote(extended[1], errors="strict")
    return re.search(r'filename="([^"]*)"', disposition)[1]


def test_headers_come_from_the_checked_content():
    checked = check_upload("page.html", make_pdf())
    headers = safe_download_headers(checked, inline=False)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Disposition"].startswith('attachment; filename="page.pdf"')


def test_a_download_is_sandboxed_and_never_framed():
    headers = safe_download_headers(check_upload("x.png", make_png()), inline=False)
    assert headers["Content-Security-Policy"] == (
        "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    assert headers["X-Frame-Options"] == "DENY"


def test_an_image_shown_inline_is_sandboxed_and_may_be_framed_by_hygie_only():
    headers = safe_download_headers(check_upload("x.png", make_png()), inline=True)
    policy = headers["Content-Security-Policy"]
    assert "sandbox" in policy.split("; ")
    assert "frame-ancestors 'self'" in policy
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Content-Disposition"].startswith("inline;")


def test_a_pdf_shown_inline_is_not_sandboxed_so_browser_viewers_start():
    headers = safe_download_headers(check_upload("x.pdf", make_pdf()), inline=True)
    policy = headers["Content-Security-Policy"]
    assert "sandbox" not in policy
    assert policy.startswith("default-src 'none'")


def test_an_accented_name_is_sent_as_rfc_5987_with_an_ascii_fallback():
    disposition = content_disposition("Résultat d'analyse.pdf", inline=False)
    assert disposition == (
        'attachment; filename="Resultat d_analyse.pdf"; '
        "filename*=UTF-8''R%C3%A9sultat%20d%27analyse.pdf"
    )
    assert filename_from(disposition) == "Résultat d'analyse.pdf"


def test_a_name_in_another_script_falls_back_to_document_in_ascii():
    disposition = content_disposition("検査結果.pdf", inline=True)
    assert 'filename="document.pdf"' in disposition
    assert filename_from(disposition) == "検査結果.pdf"


def test_no_header_can_be_injected_through_a_file_name():
    checked = check_upload('a"\r\nSet-Cookie: x=1;\\.pdf', make_pdf())
    for value in safe_download_headers(checked, inline=False).values():
        assert "\r" not in value
        assert "\n" not in value
    assert filename_from(safe_download_headers(checked, inline=False)["Content-Disposition"])
