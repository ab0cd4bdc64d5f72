"""An upload is what its bytes say: real PNG and JPEG files, built here byte by byte,
are accepted; fakes, damaged files, bombs and other formats are refused.

The builders below are shared with the other upload tests."""

from __future__ import annotations

import hashlib
import struct
import zlib

import pytest

from hygie.clinical.uploads import (
    CheckedUpload,
    DocumentFormat,
    RefusalReason,
    UploadRefused,
    check_upload,
    safe_download_headers,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes, *, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def make_png(width: int = 3, height: int = 2, *, declared: tuple[int, int] | None = None) -> bytes:
    """A real RGB PNG; `declared` overrides the header's size and nothing else."""
    rows = b"".join(b"\x00" + b"\xd0\x20\x30" * width for _ in range(height))
    w, h = declared or (width, height)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def make_jpeg(width: int = 8, height: int = 8, *, app: bytes = b"", scan: bytes = b"\x3f") -> bytes:
    """A real baseline greyscale JPEG: one 8x8 block of mid grey, Huffman tables with a
    single one-bit code each (DC difference 0, end of block), so the scan is the two
    bits 00 padded with ones: 0x3F."""
    return (
        b"\xff\xd8"
        + jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + app
        + jpeg_segment(0xDB, b"\x00" + b"\x01" * 64)
        + jpeg_segment(0xC0, b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00")
        + jpeg_segment(0xC4, b"\x00\x01" + b"\x00" * 15 + b"\x00")
        + jpeg_segment(0xC4, b"\x10\x01" + b"\x00" * 15 + b"\x00")
        + jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + scan
        + b"\xff\xd9"
    )


def make_pdf(
    catalog: bytes = b"",
    extra_objects: tuple[bytes, ...] = (),
    *,
    trailer: bytes = b"",
    header: bytes = b"%PDF-1.7",
    padding: int = 0,
) -> bytes:
    """A one-page PDF with a correct xref table; `catalog` adds entries to the
    catalog, `extra_objects` are numbered from 6, `padding` adds a comment line."""
    text = b"BT /F1 24 Tf 20 100 Td (Compte rendu) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    ]
    out = header + b"\n%\xe2\xe3\xcf\xd3\n"
    if padding:
        out += b"%" + b"x" * (padding - 2) + b"\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer)
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def refusal(name: str, data: bytes) -> UploadRefused:
    with pytest.raises(UploadRefused) as refused:
        check_upload(name, data)
    return refused.value


# --- PNG ---------------------------------------------------------------------------


def test_a_real_png_is_accepted_with_its_size_and_hash():
    data = make_png(3, 2)
    checked = check_upload("radio.png", data, "image/png")
    assert isinstance(checked, CheckedUpload)
    assert checked.format is DocumentFormat.PNG
    assert (checked.mime_type, checked.name) == ("image/png", "radio.png")
    assert (checked.width, checked.height) == (3, 2)
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.data == data
    assert checked.notices == ()


def test_a_truncated_png_is_refused():
    data = make_png()
    for cut in (len(data) - 5, len(data) - 12, 40, 20):
        assert refusal("coupée.png", data[:cut]).reason is RefusalReason.DAMAGED
    assert "il est tronqué" in str(refusal("coupée.png", data[:40]))


def test_a_png_with_a_wrong_checksum_is_refused():
    ihdr = struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0)
    data = PNG_SIGNATURE + png_chunk(b"IHDR", ihdr, crc=0xDEADBEEF) + make_png()[33:]
    refused = refusal("abîmée.png", data)
    assert refused.reason is RefusalReason.DAMAGED
    assert str(refused) == (
        "Le fichier « abîmée.png » n'est pas une image PNG valide : un bloc est corrompu "
        "(somme de contrôle fausse)."
    )


def test_a_png_with_a_corrupted_image_block_is_refused():
    data = bytearray(make_png())
    data[45] ^= 0xFF  # inside IDAT, so its CRC no longer matches
    assert "somme de contrôle" in str(refusal("x.png", bytes(data)))


def test_a_png_whose_header_is_inconsistent_is_refused():
    bad_depth = struct.pack(">IIBBBBB", 3, 2, 3, 2, 0, 0, 0)  # RGB has no 3-bit depth
    data = PNG_SIGNATURE + png_chunk(b"IHDR", bad_depth) + make_png()[33:]
    assert "l'en-tête IHDR est invalide" in str(refusal("x.png", data))


def test_a_png_must_start_with_its_header_and_hold_image_data():
    no_header = PNG_SIGNATURE + png_chunk(b"IEND", b"")
    assert "IHDR manque" in str(refusal("x.png", no_header))
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0))
    no_data = PNG_SIGNATURE + ihdr + png_chunk(b"IEND", b"")
    assert "ne contient pas d'image" in str(refusal("x.png", no_data))


def test_a_png_with_an_unknown_critical_block_is_refused():
    png = make_png()
    data = png[:33] + png_chunk(b"EVIL", b"x") + png[33:]
    assert "bloc indispensable est inconnu" in str(refusal("x.png", data))


def test_a_png_bomb_is_refused_from_its_header_before_any_decoding():
    data = make_png(1, 1, declared=(100_000, 100_000))
    refused = refusal("bombe.png", data)
    assert refused.reason is RefusalReason.TOO_MANY_PIXELS
    assert str(refused) == (
        "L'image « bombe.png » est trop grande : 100\u00a0000\u00a0×\u00a0100\u00a0000 pixels, "  # noqa: RUF001
        "soit 10\u00a0000 mégapixels (50 au plus). Réduisez-la avant de l'envoyer."
    )


def test_fifty_megapixels_are_accepted_and_one_more_pixel_is_not():
    assert check_upload("grande.png", make_png(1, 1, declared=(10_000, 5_000))).width == 10_000
    assert refusal("x.png", make_png(1, 1, declared=(10_001, 5_000))).reason is (
        RefusalReason.TOO_MANY_PIXELS
    )


def test_data_appended_after_the_end_of_a_png_is_cut_off():
    png = make_png()
    checked = check_upload("photo.png", png + b"<html><script>alert(1)</script></html>")
    assert checked.data == png
    assert checked.trimmed_bytes == 38
    assert checked.sha256 == hashlib.sha256(png).hexdigest()
    assert checked.notices == (
        "Les données placées après la fin de l'image (38 octets) n'ont pas été gardées.",
    )


def test_markup_inside_a_png_text_block_is_kept_and_served_as_an_image():
    # Deliberate: markup bytes inside a well-formed image cannot run when the file is
    # served as image/png with nosniff (see decision 0014).
    png = make_png()
    data = png[:33] + png_chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>") + png[33:]
    checked = check_upload("x.png", data)
    headers = safe_download_headers(checked, inline=True)
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"


# --- JPEG --------------------------------------------------------------------------


def test_a_real_jpeg_is_accepted_with_its_size():
    checked = check_upload("lésion.jpg", make_jpeg(8, 8))
    assert checked.format is DocumentFormat.JPEG
    assert (checked.width, checked.height) == (8, 8)
    assert checked.name == "lésion.jpg"


def test_an_exif_thumbnail_does_not_end_the_image_early():
    thumbnail = make_jpeg(4, 4)  # holds its own FFD9 end marker
    exif = jpeg_segment(0xE1, b"Exif\x00\x00" + thumbnail)
    checked = check_upload("photo.jpg", make_jpeg(640, 480, app=exif))
    assert (checked.width, checked.height) == (640, 480)
    assert checked.trimmed_bytes == 0


def test_stuffed_bytes_and_restart_markers_in_the_scan_are_not_markers():
    checked = check_upload("x.jpg", make_jpeg(scan=b"\x12\xff\x00\x34\xff\xd0\x56\xff\xff\xd1\x3f"))
    assert checked.trimmed_bytes == 0


def test_a_phone_motion_photo_keeps_only_the_photo():
    photo = make_jpeg()
    video = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
    checked = check_upload("PXL_20250312.MP.jpg", photo + video)
    assert checked.data == photo
    assert checked.trimmed_bytes == len(video)


def test_a_truncated_jpeg_is_refused():
    data = make_jpeg()
    for cut in (len(data) - 2, len(data) - 1, 30, 4):
        assert refusal("x.jpg", data[:cut]).reason is RefusalReason.DAMAGED


def test_a_jpeg_without_a_frame_header_is_refused():
    data = b"\xff\xd8" + jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x3f\xff\xd9"
    assert refusal("x.jpg", data).reason is RefusalReason.DAMAGED


def test_a_jpeg_with_a_bogus_frame_header_is_refused():
    bad = make_jpeg().replace(b"\x01\x01\x11\x00", b"\x09\x01\x11\x00")  # 9 components
    assert "l'en-tête de l'image est invalide" in str(refusal("x.jpg", bad))


def test_a_jpeg_bomb_is_refused_from_its_header():
    refused = refusal("x.jpg", make_jpeg(65_000, 65_000))
    assert refused.reason is RefusalReason.TOO_MANY_PIXELS


def test_jpeg_magic_bytes_followed_by_anything_else_are_refused():
    assert refusal("x.jpg", b"\xff\xd8\xff" + b"<html>" * 10).reason is RefusalReason.DAMAGED


# --- Other formats -----------------------------------------------------------------


def test_an_svg_with_a_script_named_png_is_refused():
    svg = (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    )
    refused = refusal("radio.png", svg)
    assert refused.reason is RefusalReason.UNSUPPORTED
    assert str(refused) == (
        "Format non accepté : seuls les PDF, JPEG et PNG le sont. "
        "« radio.png » est une image SVG, qui peut contenir du code."
    )


@pytest.mark.parametrize(
    "html", [b"<!DOCTYPE html><html><body>x</body></html>", b"\n  <html><script>x</script>"]
)
def test_an_html_page_is_refused(html):
    assert "une page web (HTML)" in str(refusal("résultats.pdf", html))


def test_an_iphone_heic_photo_is_refused_with_the_setting_to_change():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    message = str(refusal("IMG_0001.HEIC", heic))
    assert "une photo HEIC" in message
    assert "« Le plus compatible »" in message


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20, "GIF ou WebP"),
        (b"II*\x00" + b"\x00" * 20, "TIFF"),
        (b"PK\x03\x04" + b"\x00" * 20, "ZIP"),
    ],
)
def test_other_formats_are_named_in_the_refusal(data, what):
    refused = refusal("document", data)
    assert refused.reason is RefusalReason.UNSUPPORTED
    assert what in str(refused)


def test_an_unknown_format_gets_the_general_refusal():
    assert str(refusal("notes.pdf", b"Bonjour docteur")) == (
        "Format non accepté : seuls les PDF, JPEG et PNG le sont."
    )


def test_a_pdf_named_png_is_stored_as_a_pdf_under_a_corrected_name():
    checked = check_upload("ordonnance.png", make_pdf(), "image/png")
    assert checked.format is DocumentFormat.PDF
    assert checked.name == "ordonnance.pdf"
    assert checked.renamed_from == ".png"
    assert not checked.declared_type_matches
    assert checked.notices == (
        "Le fichier « ordonnance.png » est en réalité un PDF : il est enregistré sous "
        "« ordonnance.pdf ».",
    )


def test_a_png_named_jpg_is_renamed_png():
    checked = check_upload("capture.jpg", make_png())
    assert (checked.name, checked.mime_type) == ("capture.png", "image/png")
    assert "une image PNG" in checked.notices[0]


def test_the_browser_content_type_decides_nothing():
    checked = check_upload("x.png", make_png(), "text/html")
    assert checked.mime_type == "image/png"
    assert checked.declared_type == "text/html"
    assert not checked.declared_type_matches
    assert check_upload("x.png", make_png(), "image/png; charset=x").declared_type_matches
