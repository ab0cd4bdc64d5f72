"""A PDF enters the record only if it starts and ends like one and carries no active
content (scripts, programs, attachments), however the names are spelt or packed."""

from __future__ import annotations

import random
import zlib

import pytest

from hygie.clinical.tests.test_uploads_formats import make_pdf
from hygie.clinical.uploads import (
    DocumentFormat,
    RefusalReason,
    UploadRefused,
    check_upload,
)


def refusal(data: bytes, name: str = "compte-rendu.pdf") -> UploadRefused:
    with pytest.raises(UploadRefused) as refused:
        check_upload(name, data)
    return refused.value


def object_stream(objects: bytes, *, dictionary: bytes = b"/Filter /FlateDecode") -> bytes:
    """An object stream (PDF 1.5) holding object 7, compressed like real producers do."""
    header = b"7 0 "
    body = header + objects
    packed = zlib.compress(body) if b"Flate" in dictionary else body.hex().encode() + b">"
    return b"<< /Type /ObjStm /N 1 /First %d %s /Length %d >>\nstream\n%s\nendstream" % (
        len(header),
        dictionary,
        len(packed),
        packed,
    )


# --- Structure ---------------------------------------------------------------------


def test_a_plain_pdf_is_accepted():
    data = make_pdf()
    checked = check_upload("Compte rendu.pdf", data, "application/pdf")
    assert checked.format is DocumentFormat.PDF
    assert (checked.width, checked.height) == (None, None)
    assert checked.data == data
    assert checked.declared_type_matches


@pytest.mark.parametrize("version", [b"%PDF-1.0", b"%PDF-1.4", b"%PDF-1.7", b"%PDF-2.0"])
def test_every_published_pdf_version_is_accepted(version):
    assert check_upload("x.pdf", make_pdf(header=version)).format is DocumentFormat.PDF


def test_an_unknown_pdf_version_is_refused():
    assert "version de PDF inconnue" in str(refusal(make_pdf(header=b"%PDF-9.1")))


def test_bytes_before_the_pdf_header_are_refused():
    refused = refusal(b"<html><script>alert(1)</script>\n" + make_pdf())
    assert refused.reason is RefusalReason.DAMAGED
    assert str(refused) == (
        "Le fichier « compte-rendu.pdf » n'est pas un PDF valide : "
        "l'en-tête %PDF doit se trouver au tout début."
    )


def test_a_pdf_cut_before_its_end_marker_is_refused():
    data = make_pdf()
    assert "%%EOF manque" in str(refusal(data[: len(data) // 2]))


def test_a_scanners_padding_after_the_end_marker_is_accepted():
    assert check_upload("scan.pdf", make_pdf() + b"\x00" * 600).trimmed_bytes == 0


def test_an_end_marker_far_from_the_end_is_refused():
    assert refusal(make_pdf() + b" " * 2000).reason is RefusalReason.DAMAGED


def test_a_header_and_an_end_marker_alone_are_not_a_pdf():
    assert "aucun objet PDF" in str(refusal(b"%PDF-1.7\n<html>hello</html>\n%%EOF\n"))


@pytest.mark.parametrize("filler", [b"1", b" ", b"1 ", b"1 1 "])
def test_a_file_of_digits_and_spaces_is_refused_without_stalling_the_server(filler):
    """The object search once backtracked quadratically on a run of digits (80 KB:
    41 s with the GIL held, the whole server stopped). A 20 MB file of such runs
    is now answered like any other fake PDF."""
    body = filler * (20 * 1024 * 1024 // len(filler) - 64)
    data = b"%PDF-1.4\n" + body + b"\nstartxref\n%%EOF\n"
    assert "aucun objet PDF" in str(refusal(data))


# --- Active content ----------------------------------------------------------------


def test_a_pdf_that_runs_javascript_on_opening_is_refused():
    refused = refusal(make_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "))
    assert refused.reason is RefusalReason.ACTIVE_CONTENT
    assert str(refused) == (
        "Le PDF « compte-rendu.pdf » contient du JavaScript : il est refusé par sécurité. "
        "Enregistrez-en une copie simple (« Imprimer » → « Enregistrer au format PDF ») "
        "et déposez cette copie."
    )


def test_javascript_spelt_with_hex_escapes_is_still_found():
    data = make_pdf(b"/OpenAction << /S /J#61va#53cript /J#53 (app.alert(1)) >> ")
    assert refusal(data).reason is RefusalReason.ACTIVE_CONTENT


def test_a_document_level_script_is_refused():
    names = b"/Names << /JavaScript << /Names [(init) 6 0 R] >> >> "
    data = make_pdf(names, (b"<< /S /JavaScript /JS (this.print()) >>",))
    assert refusal(data).reason is RefusalReason.ACTIVE_CONTENT


def test_a_script_key_alone_outside_streams_is_refused():
    data = make_pdf(extra_objects=(b"<< /JS (app.launchURL('x')) >>",))
    assert refusal(data).reason is RefusalReason.ACTIVE_CONTENT


@pytest.mark.parametrize(
    ("entry", "what"),
    [
        (b"/OpenAction << /S /Launch /F (cmd.exe) >> ", "une commande qui lance un programme"),
        (b"/Names << /EmbeddedFiles 6 0 R >> ", "des fichiers joints"),
        (b"/AcroForm << /XFA 6 0 R >> ", "un formulaire XFA"),
        (b"/OpenAction << /S /SubmitForm /F (https://x.example) >> ", "envoie des données"),
    ],
)
def test_other_active_content_is_refused_and_named(entry, what):
    refused = refusal(make_pdf(entry, (b"<< >>",)))
    assert refused.reason is RefusalReason.ACTIVE_CONTENT
    assert what in str(refused)


def test_harmless_actions_are_accepted():
    # Opening at page 1 and a link to the laboratory's site are in most generated PDFs.
    catalog = b"/OpenAction [3 0 R /Fit] /URI << /Base (https://labo.example/) >> "
    assert check_upload("x.pdf", make_pdf(catalog)).format is DocumentFormat.PDF


def test_the_word_javascript_in_the_text_is_not_a_script():
    data = make_pdf(b"/Lang (fr) ", (b"<< /Title (Cours de JavaScript) >>",))
    assert check_upload("cours.pdf", data).format is DocumentFormat.PDF


def test_compressed_image_bytes_that_happen_to_spell_js_are_not_a_script():
    # Three bytes turn up by chance in megabytes of compressed data.
    rng = random.Random(14)
    noise = rng.randbytes(2000) + b"/JS " + rng.randbytes(2000)
    image = b"<< /Type /XObject /Subtype /Image /Length %d >>\nstream\n%s\nendstream" % (
        len(noise),
        noise,
    )
    assert check_upload("scan.pdf", make_pdf(extra_objects=(image,))).size > 4000


def test_a_stream_full_of_script_keys_is_no_chance_and_is_refused():
    data = b"/JS (x) " * 101
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)
    assert refusal(make_pdf(extra_objects=(stream,))).reason is RefusalReason.ACTIVE_CONTENT


def test_an_object_hidden_inside_another_streams_data_is_still_found():
    # Readers reach objects through the xref, even inside another object's stream.
    hidden = b"7 0 obj << /S /JavaScript /JS (x) >> endobj"
    stream = b"<< /Length 10 >>\nstream\n%s\nendstream" % hidden
    assert refusal(make_pdf(extra_objects=(stream,))).reason is RefusalReason.ACTIVE_CONTENT


def test_a_script_packed_in_a_compressed_object_stream_is_found():
    packed = object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    assert refusal(make_pdf(b"/OpenAction 7 0 R ", (packed,))).reason is (
        RefusalReason.ACTIVE_CONTENT
    )


def test_a_short_script_key_packed_in_an_object_stream_is_found():
    packed = object_stream(b"<< /JS (app.alert(1)) >>")
    assert refusal(make_pdf(extra_objects=(packed,))).reason is RefusalReason.ACTIVE_CONTENT


def test_a_harmless_object_stream_is_accepted():
    packed = object_stream(b"<< /Producer (Hygie) >>")
    assert check_upload("x.pdf", make_pdf(extra_objects=(packed,))).format is DocumentFormat.PDF


def test_an_object_stream_in_a_filter_hygie_cannot_read_is_refused():
    packed = object_stream(b"<< /S /Go >>", dictionary=b"/Filter /ASCIIHexDecode")
    refused = refusal(make_pdf(extra_objects=(packed,)))
    assert refused.reason is RefusalReason.UNVERIFIABLE
    assert "ne peut pas vérifier" in str(refused)


def test_an_object_stream_with_a_predictor_is_refused():
    packed = object_stream(
        b"<< /S /Go >>", dictionary=b"/Filter /FlateDecode /DecodeParms << /Predictor 12 >>"
    )
    assert refusal(make_pdf(extra_objects=(packed,))).reason is RefusalReason.UNVERIFIABLE


def test_a_damaged_object_stream_is_refused():
    broken = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 9 >>\nstream\n"
    broken += b"notzlib!!\nendstream"
    assert "un flux compressé est endommagé" in str(refusal(make_pdf(extra_objects=(broken,))))


def test_an_object_stream_bomb_is_refused():
    bomb = zlib.compress(b" " * (17 * 1024 * 1024))
    packed = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(bomb)
    )
    data = make_pdf(extra_objects=(packed + bomb + b"\nendstream",))
    assert refusal(data).reason is RefusalReason.UNVERIFIABLE


def test_an_encrypted_pdf_is_refused():
    data = make_pdf(trailer=b"/Encrypt 6 0 R ", extra_objects=(b"<< /Filter /Standard >>",))
    refused = refusal(data, "résultats protégés.pdf")
    assert refused.reason is RefusalReason.ENCRYPTED
    assert "est chiffré ou protégé par un mot de passe" in str(refused)
