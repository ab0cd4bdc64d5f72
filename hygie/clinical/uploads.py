"""What an uploaded document really is, judged from its bytes, and how to serve it back.

Only PDF, JPEG and PNG enter a record. The file name and the browser's content type
are labels chosen by the sender: the type is read from the magic bytes, then the
structure is walked far enough to refuse fakes, truncated files, decompression bombs
and PDFs carrying active content. Reasons for each rule: docs/decisions/0014.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import NoReturn, Protocol
from urllib.parse import quote

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # « 20 Mo »
MAX_PIXELS = 50_000_000
MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 200  # UTF-8; file systems stop at 255
_CHUNK = 1024 * 1024


class DocumentFormat(models.TextChoices):
    """Accepted formats; the value is the MIME type (FHIR Attachment.contentType)."""

    PDF = "application/pdf", gettext_lazy("PDF")
    JPEG = "image/jpeg", gettext_lazy("image JPEG")
    PNG = "image/png", gettext_lazy("image PNG")

    @property
    def phrase(self) -> str:
        """With its article, for sentences: « un PDF », « une image PNG »."""
        if self is DocumentFormat.PDF:
            return _("un PDF")
        return _("une image JPEG") if self is DocumentFormat.JPEG else _("une image PNG")

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[self.value]

    @property
    def extensions(self) -> frozenset[str]:
        """Extensions a name may keep for this format (lower-cased)."""
        if self is DocumentFormat.JPEG:
            return frozenset({".jpg", ".jpeg"})
        return frozenset({self.extension})


class RefusalReason(StrEnum):
    """Stable codes, for the audit trail and tests; the message is for people."""

    EMPTY = "empty"
    TOO_LARGE = "too-large"
    UNSUPPORTED = "unsupported"
    DAMAGED = "damaged"
    TOO_MANY_PIXELS = "too-many-pixels"
    ACTIVE_CONTENT = "active-content"
    ENCRYPTED = "encrypted"
    UNVERIFIABLE = "unverifiable"


class UploadRefused(ValueError):
    def __init__(self, reason: RefusalReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class CheckedUpload:
    """A document that passed every check; `data` is exactly what must be stored."""

    name: str  # safe, with the extension of the real format
    original_name: str  # as sent, cleaned of control characters, for messages
    format: DocumentFormat
    data: bytes = field(repr=False)
    sha256: str
    width: int | None  # pixels, images only
    height: int | None
    trimmed_bytes: int  # bytes after the image's end marker, not kept
    renamed_from: str | None  # the contradicting extension that was replaced
    declared_type: str | None  # what the browser claimed, for the audit only

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def mime_type(self) -> str:
        return self.format.value

    @property
    def declared_type_matches(self) -> bool:
        return (self.declared_type or "").split(";")[0].strip().lower() == self.mime_type

    @property
    def notices(self) -> tuple[str, ...]:
        """What Hygie changed, to tell the person who uploaded (French)."""
        notices = []
        if self.renamed_from:
            message = _(
                "Le fichier « %(name)s » est en réalité %(format)s : il est enregistré sous "
                "« %(new)s »."
            )
            args = {"name": self.original_name, "format": self.format.phrase, "new": self.name}
            notices.append(message % args)
        if self.trimmed_bytes:
            notices.append(
                _("Les données placées après la fin de l'image (%(size)s) n'ont pas été gardées.")
                % {"size": _size(self.trimmed_bytes)}
            )
        return tuple(notices)


def check_upload(
    name: str, data: bytes | Readable, declared_type: str | None = None
) -> CheckedUpload:
    """Reads at most MAX_UPLOAD_BYTES + 1 bytes from `data` (from its current position,
    when it is a stream) and returns the checked document, or raises UploadRefused with
    a French message. `declared_type` (the browser's Content-Type) decides nothing."""
    shown = display_name(name)
    content = _read_bounded(data, shown)
    if not content:
        _refuse(RefusalReason.EMPTY, _("Le fichier « %(name)s » est vide.") % {"name": shown})
    width = height = None
    end = len(content)
    if content.startswith(b"%PDF-"):
        fmt = DocumentFormat.PDF
        _check_pdf(content, shown)
    elif content.startswith(_PNG_SIGNATURE):
        fmt = DocumentFormat.PNG
        width, height, end = _check_png(content, shown)
    elif content.startswith(b"\xff\xd8\xff"):
        fmt = DocumentFormat.JPEG
        width, height, end = _check_jpeg(content, shown)
    else:
        _refuse_other(content, shown)
    if width is not None and height is not None and width * height > MAX_PIXELS:
        message = _(
            "L'image « %(name)s » est trop grande : %(size)s pixels, soit %(mp)s mégapixels "
            "(50 au plus). Réduisez-la avant de l'envoyer."
        )
        w, h, mp = (
            number_format(n, force_grouping=True) for n in (width, height, width * height // 10**6)
        )
        args = {"name": shown, "size": f"{w}\u00a0\u00d7\u00a0{h}", "mp": mp}
        _refuse(RefusalReason.TOO_MANY_PIXELS, message % args)
    kept = content[:end]
    safe, renamed_from = _safe_name(name, fmt)
    return CheckedUpload(
        name=safe,
        original_name=shown,
        format=fmt,
        data=kept,
        sha256=hashlib.sha256(kept).hexdigest(),
        width=width,
        height=height,
        trimmed_bytes=len(content) - end,
        renamed_from=renamed_from,
        declared_type=(declared_type or "")[:100] or None,
    )


# --- Reading and refusing ------------------------------------------------------------


def _read_bounded(data: bytes | Readable, shown: str) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data)
        if len(content) > MAX_UPLOAD_BYTES:
            _refuse_too_large(shown, len(content))
        return content
    # A declared size (Django's UploadedFile.size) may refuse early, never accept.
    declared = size if isinstance(size := getattr(data, "size", None), int) else None
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        _refuse_too_large(shown, declared)
    buffer = bytearray()
    while len(buffer) <= MAX_UPLOAD_BYTES:
        chunk = data.read(min(_CHUNK, MAX_UPLOAD_BYTES + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    if len(buffer) > MAX_UPLOAD_BYTES:
        _refuse_too_large(shown, declared)
    return bytes(buffer)


def _refuse_too_large(shown: str, size: int | None) -> NoReturn:
    args = {"name": shown, "limit": _size(MAX_UPLOAD_BYTES)}
    if size is None:  # a stream that does not say its size: we stopped reading
        message = _("Le fichier « %(name)s » dépasse %(limit)s.") % args
    else:
        args["size"] = _size(size)
        message = _("Le fichier « %(name)s » dépasse %(limit)s (%(size)s).") % args
    _refuse(RefusalReason.TOO_LARGE, message)


def _size(size: int) -> str:
    """« 23,4 Mo »: French « Mo » for 2^20 bytes, as file managers and the 20 Mo limit
    say it; tenths rounded up, so a file just over the limit never reads « 20 Mo »."""
    for unit, label in ((1024 * 1024, _("Mo")), (1024, _("ko"))):
        if size >= unit:
            tenths = -(-size * 10 // unit)
            number = tenths // 10 if tenths % 10 == 0 else Decimal(tenths) / 10
            return f"{number_format(number, use_l10n=True)}\u00a0{label}"
    return _("%(n)s octets") % {"n": size}


def _refuse(reason: RefusalReason, message: str) -> NoReturn:
    raise UploadRefused(reason, message)


def _damaged(shown: str, fmt: DocumentFormat, detail: str) -> NoReturn:
    message = _("Le fichier « %(name)s » n'est pas %(format)s valide : %(detail)s.")
    args = {"name": shown, "format": fmt.phrase, "detail": detail}
    _refuse(RefusalReason.DAMAGED, message % args)


_REPRINT = gettext_lazy(
    "Enregistrez-en une copie simple (« Imprimer » → « Enregistrer au format PDF ») "
    "et déposez cette copie."
)


def _refuse_other(content: bytes, shown: str) -> NoReturn:
    if b"%PDF-" in content[:1024]:
        # Readers tolerate junk before the header; HTML/PDF polyglots rely on it.
        _damaged(shown, DocumentFormat.PDF, _("l'en-tête %PDF doit se trouver au tout début"))
    message = _("Format non accepté : seuls les PDF, JPEG et PNG le sont.")
    what, advice = _identify(content)
    if what:
        message += " " + _("« %(name)s » est %(what)s.") % {"name": shown, "what": what}
    _refuse(RefusalReason.UNSUPPORTED, f"{message} {advice}" if advice else message)


def _identify(content: bytes) -> tuple[str | None, str | None]:
    """What the file seems to be, and what to do about it, to say so in the refusal."""
    head, text = content[:16], content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftyphevc"):
        advice = _("Sur iPhone : Réglages → Appareil photo → Formats → « Le plus compatible ».")
        return _("une photo HEIC"), advice
    if head.startswith((b"GIF87a", b"GIF89a")) or (head[:4], head[8:12]) == (b"RIFF", b"WEBP"):
        return _("une image GIF ou WebP"), None
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return _("une image TIFF"), _("Enregistrez le document numérisé en PDF.")
    if head.startswith(b"PK\x03\x04"):
        return _("une archive ZIP ou un document Office"), _("Enregistrez-le en PDF.")
    if b"<svg" in text:
        return _("une image SVG, qui peut contenir du code"), None
    if text.startswith((b"<!doctype html", b"<head", b"<body", b"<script")) or b"<html" in text:
        return _("une page web (HTML)"), None
    return None, None


# --- PDF -----------------------------------------------------------------------------

_PDF_HEADER = re.compile(rb"%PDF-(?:1\.[0-7]|2\.0)(?![0-9])")
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_DELIMITERS = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"

# Names that give a PDF active content. Long enough never to occur by chance in
# compressed data, they are searched in the whole file, stream bytes included: an
# object can hide inside another's stream and still be reached through the xref.
_ACTIVE = {
    b"JavaScript": gettext_lazy("du JavaScript"),
    b"JS": gettext_lazy("du JavaScript"),
    b"Launch": gettext_lazy("une commande qui lance un programme"),
    b"EmbeddedFile": gettext_lazy("des fichiers joints"),
    b"EmbeddedFiles": gettext_lazy("des fichiers joints"),
    b"XFA": gettext_lazy("un formulaire XFA, avec ses scripts"),
    b"RichMedia": gettext_lazy("du contenu multimédia interactif"),
    # A rendition action may carry a script in /JS, which a hidden object could keep.
    b"Rendition": gettext_lazy("du contenu multimédia interactif"),
    b"SubmitForm": gettext_lazy("un formulaire qui envoie des données"),
    b"ImportData": gettext_lazy("une importation de données"),
}
# /JS is three bytes: in 20 MB of compressed images it would turn up by chance, so it
# counts only outside stream data. A JavaScript action also needs /S /JavaScript.
_SHORT = frozenset({b"JS"})
_MAX_OBJECT_STREAMS = 10_000
_MAX_OBJSTM_BYTES = 16 * 1024 * 1024
_MAX_INFLATED_BYTES = 64 * 1024 * 1024


def _name_pattern(names: list[bytes]) -> re.Pattern[bytes]:
    """Matches /Name however it is spelt: each letter may be a #xx escape (/J#61vaScript)."""

    def letter(c: int) -> bytes:
        escape = "".join(f"[{h}{h.upper()}]" if h.isalpha() else h for h in f"{c:02x}")
        return b"(?:%s|#%s)" % (re.escape(bytes([c])), escape.encode())

    spelt = [b"".join(letter(c) for c in name) for name in sorted(names, key=len, reverse=True)]
    return re.compile(b"/(%s)(?=[%s]|\\Z)" % (b"|".join(spelt), _DELIMITERS))


_WATCHED = _name_pattern([*_ACTIVE, b"Encrypt", b"ObjStm"])


def _unescape(name: bytes) -> bytes:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda e: bytes([int(e[1], 16)]), name)


# "12 0 obj": bounded and anchored. Unbounded `\d+\s+\d+` backtracks
# quadratically on a long run of digits (80 KB of them took 41 s, holding the GIL:
# the whole server stops); this one stays linear whatever the content.
_PDF_OBJECT = re.compile(
    rb"(?<![0-9])[0-9]{1,10}+[ \t\r\n\f\x00]++[0-9]{1,5}+[ \t\r\n\f\x00]++obj\b"
)


def _check_pdf(content: bytes, shown: str) -> None:
    pdf = DocumentFormat.PDF
    if not _PDF_HEADER.match(content):
        _damaged(shown, pdf, _("version de PDF inconnue"))
    if b"%%EOF" not in content[-1024:]:
        _damaged(shown, pdf, _("la marque de fin %%EOF manque, le fichier est incomplet"))
    if not _PDF_OBJECT.search(content) or b"startxref" not in content:
        _damaged(shown, pdf, _("il ne contient aucun objet PDF"))
    budget = _MAX_INFLATED_BYTES
    for pos in _scan_names(content, shown, raw_file=True):
        # Objects packed in an object stream are compressed: look inside.
        objects = _object_stream(content, pos, shown, budget)
        budget -= len(objects)
        _scan_names(objects, shown, raw_file=False)


def _scan_names(content: bytes, shown: str, *, raw_file: bool) -> list[int]:
    """Refuses encryption and active content; returns where /ObjStm dictionaries are.
    In the raw file, /JS inside stream data is ignored (see _SHORT), up to a count no
    chance could reach."""
    object_streams, short_names = [], 0
    for match in _WATCHED.finditer(content):
        name = _unescape(match[1])
        if name == b"Encrypt":
            message = _(
                "Le PDF « %(name)s » est chiffré ou protégé par un mot de passe : le dossier "
                "doit rester lisible sans lui. %(reprint)s"
            )
            _refuse(RefusalReason.ENCRYPTED, message % {"name": shown, "reprint": _REPRINT})
        if name == b"ObjStm":
            object_streams.append(match.start())
            if len(object_streams) > _MAX_OBJECT_STREAMS:
                _refuse_unverifiable(shown)
            continue
        if raw_file and name in _SHORT:
            short_names += 1
            if short_names <= 100 and _in_stream_data(content, match.start()):
                continue
        message = _(
            "Le PDF « %(name)s » contient %(what)s : il est refusé par sécurité. %(reprint)s"
        )
        args = {"name": shown, "what": _ACTIVE[name], "reprint": _REPRINT}
        _refuse(RefusalReason.ACTIVE_CONTENT, message % args)
    return object_streams


def _in_stream_data(content: bytes, pos: int) -> bool:
    """Whether the last stream keyword before `pos` opens a stream (not `endstream`)."""
    keyword = content.rfind(b"stream", 0, pos)
    return keyword >= 3 and content[keyword - 3 : keyword] != b"end"


def _refuse_unverifiable(shown: str) -> NoReturn:
    message = _("Le PDF « %(name)s » est construit d'une façon que Hygie ne peut pas vérifier. ")
    _refuse(RefusalReason.UNVERIFIABLE, message % {"name": shown} + str(_REPRINT))


def _object_stream(content: bytes, name_pos: int, shown: str, budget: int) -> bytes:
    """The objects packed in the object stream whose dictionary says /ObjStm at
    `name_pos`, decompressed. A filter other than Flate alone, or a predictor, could
    hide them from this check: such a file is refused rather than trusted."""
    start = content.rfind(b"obj", max(0, name_pos - 4096), name_pos)
    stream = _STREAM.search(content, name_pos, name_pos + 4096)
    if start < 0 or stream is None or budget <= 0:
        _refuse_unverifiable(shown)
    dictionary = _unescape(content[start : stream.start()])  # /F#69lter is /Filter
    end = content.find(b"endstream", stream.end())
    raw = content[stream.end() : end if end >= 0 else len(content)]
    if not re.search(rb"/Filter\b", dictionary):
        return raw
    filters = re.findall(rb"/(\w+Decode|Fl|LZW|AHx|A85|RL|CCF|DCT|Crypt)\b", dictionary)
    if set(filters) - {b"FlateDecode", b"Fl"} or not filters or b"/DecodeParms" in dictionary:
        _refuse_unverifiable(shown)
    inflater = zlib.decompressobj()
    try:
        objects = inflater.decompress(raw, min(budget, _MAX_OBJSTM_BYTES))
    except zlib.error:
        _damaged(shown, DocumentFormat.PDF, _("un flux compressé est endommagé"))
    if inflater.unconsumed_tail:
        _refuse_unverifiable(shown)
    if not inflater.eof:
        _damaged(shown, DocumentFormat.PDF, _("un flux compressé est tronqué"))
    return objects


# --- PNG -----------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_PNG_CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})


def _check_png(content: bytes, shown: str) -> tuple[int, int, int]:
    """Walks every chunk and checks its CRC; returns width, height and where IEND ends."""
    png, view = DocumentFormat.PNG, memoryview(content)
    pos, width, height, seen_idat = len(_PNG_SIGNATURE), 0, 0, False
    while True:
        if pos + 12 > len(content):
            _damaged(shown, png, _("il est tronqué"))
        length = int.from_bytes(content[pos : pos + 4], "big")
        kind = content[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or not kind.isalpha():
            _damaged(shown, png, _("un bloc est invalide"))
        if end > len(content):
            _damaged(shown, png, _("il est tronqué"))
        if zlib.crc32(view[pos + 4 : end - 4]) != int.from_bytes(content[end - 4 : end], "big"):
            _damaged(shown, png, _("un bloc est corrompu (somme de contrôle fausse)"))
        if pos == len(_PNG_SIGNATURE):
            if kind != b"IHDR" or length != 13:
                _damaged(shown, png, _("l'en-tête IHDR manque"))
            width, height = _png_header(content[pos + 8 : pos + 21], shown)
        elif kind == b"IHDR":
            _damaged(shown, png, _("il a deux en-têtes"))
        elif kind[:1].isupper() and kind not in _PNG_CRITICAL:
            _damaged(shown, png, _("un bloc indispensable est inconnu"))
        seen_idat = seen_idat or kind == b"IDAT"
        if kind == b"IEND":
            if not seen_idat:
                _damaged(shown, png, _("il ne contient pas d'image"))
            return width, height, end
        pos = end


def _png_header(ihdr: bytes, shown: str) -> tuple[int, int]:
    width, height = int.from_bytes(ihdr[0:4], "big"), int.from_bytes(ihdr[4:8], "big")
    depth, colour, compression, filtering, interlace = ihdr[8:13]
    if not (
        0 < width <= 0x7FFFFFFF
        and 0 < height <= 0x7FFFFFFF
        and depth in _PNG_DEPTHS.get(colour, set())
        and compression == filtering == 0
        and interlace in (0, 1)
    ):
        _damaged(shown, DocumentFormat.PNG, _("l'en-tête IHDR est invalide"))
    return width, height


# --- JPEG ----------------------------------------------------------------------------

_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _check_jpeg(content: bytes, shown: str) -> tuple[int, int, int]:
    """Walks the segments (skipping APPn by their length, so an embedded thumbnail's
    own end marker is not mistaken for the image's) and the entropy-coded scans up to
    the end marker; returns width, height and where the end marker ends."""
    jpeg, n = DocumentFormat.JPEG, len(content)
    pos, size, seen_scan = 2, None, False
    while True:
        if pos >= n or content[pos] != 0xFF:
            _damaged(
                shown, jpeg, _("il est tronqué") if pos >= n else _("sa structure est invalide")
            )
        while pos < n and content[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            _damaged(shown, jpeg, _("il est tronqué"))
        marker = content[pos]
        pos += 1
        if marker == 0xD9:
            if size is None or not seen_scan:
                _damaged(shown, jpeg, _("il ne contient pas d'image"))
            return size[0], size[1], pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a segment
            continue
        if marker in (0x00, 0xD8) or pos + 2 > n:
            _damaged(shown, jpeg, _("sa structure est invalide"))
        length = int.from_bytes(content[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            _damaged(shown, jpeg, _("il est tronqué"))
        if marker in _SOF:
            frame = content[pos : pos + length]
            height, width = int.from_bytes(frame[3:5], "big"), int.from_bytes(frame[5:7], "big")
            components = frame[7] if length > 7 else 0
            # A zero height (given later by a DNL marker) is legal, but no browser shows it.
            valid = width and height and 1 <= components <= 4 and length == 8 + 3 * components
            if size is not None or not valid:  # two frames: a hierarchical JPEG, unsupported
                _damaged(shown, jpeg, _("l'en-tête de l'image est invalide"))
            size = (width, height)
        pos += length
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            if size is None:
                _damaged(shown, jpeg, _("sa structure est invalide"))
            seen_scan = True
            pos = _skip_scan(content, pos, shown)


# The first marker after entropy-coded data: a run of FF (fill) then a byte that is not
# 00 (a stuffed FF) nor D0-D7 (a restart marker). Matching from the run's start only,
# in C, keeps a crafted 20 MB run of FF linear.
_MARKER_AFTER_SCAN = re.compile(rb"(?<!\xff)\xff++[^\x00\xd0-\xd7\xff]")


def _skip_scan(content: bytes, pos: int, shown: str) -> int:
    marker = _MARKER_AFTER_SCAN.search(content, pos)
    if marker is None:
        _damaged(shown, DocumentFormat.JPEG, _("il est tronqué"))
    return marker.start()


# --- Names and headers ---------------------------------------------------------------

# Extensions that name a format: replaced when they contradict the content. Any other
# suffix (« compte.rendu.12.03 ») is part of the name and kept.
_KNOWN_EXTENSIONS = frozenset(
    ".pdf .png .jpg .jpeg .jpe .jfif .gif .webp .heic .heif .tif .tiff .bmp .svg .svgz "
    ".html .htm .xhtml .xml .txt .doc .docx .odt .rtf .zip .exe .js .dcm".split()
)
_WINDOWS_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])")


def display_name(name: str) -> str:
    """The sender's file name, fit to be quoted in a message: last path part only,
    no control or invisible characters (U+202E could reverse « gpj.exe »)."""
    return _base_name(name)[:MAX_NAME_CHARS] or _("sans nom")


def _base_name(name: str) -> str:
    # Browsers send a bare name, old ones a Windows path: both separators cut.
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name[:4096])[-1])
    base = re.sub(r"\s+", " ", base)
    # Category C: controls, format characters (bidi overrides, zero-width),
    # surrogates, private use, unassigned.
    return "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()


def _safe_name(name: str, fmt: DocumentFormat) -> tuple[str, str | None]:
    """A name safe on every file system, with the extension of the real format, and
    the contradicting extension it replaced, if any."""
    base = re.sub(r'[<>:"|?*]', "_", _base_name(name))
    stem, dot, ext = base.rpartition(".")
    suffix = f".{ext.lower()}" if dot else ""
    renamed_from = None
    if suffix in fmt.extensions:
        extension = suffix
    elif suffix in _KNOWN_EXTENSIONS:
        extension, renamed_from = fmt.extension, suffix
    else:
        stem, extension = base, fmt.extension
    stem = stem.strip(" .")  # no hidden file, no « .. », no trailing dot for Windows
    if _WINDOWS_RESERVED.fullmatch(stem.split(".")[0]):
        stem = f"_{stem}"
    stem = stem[:MAX_NAME_CHARS] or _("document")
    while (
        len(stem + extension) > MAX_NAME_CHARS or len((stem + extension).encode()) > MAX_NAME_BYTES
    ):
        stem = stem[:-1].rstrip(" .")
    return stem + extension, renamed_from


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII `filename` for old clients, then `filename*` (RFC 5987,
    UTF-8, percent-encoded) that every current browser prefers: « résultat.pdf »."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9 !#$&+,.^_`{}~()\-]", "_", ascii_name)
    if ascii_name.startswith("."):  # nothing left of a name in another script
        ascii_name = _("document") + ascii_name
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def safe_download_headers(checked: CheckedUpload, *, inline: bool) -> dict[str, str]:
    """Headers for serving a checked document: the type comes from the check, never
    from the stored name, and the browser may not sniff another (nosniff).

    `sandbox` is left out for a PDF shown inline: Safari and older Chromium refuse to
    start their PDF viewer in a sandboxed document (current Chromium ignores the
    policy of a PDF altogether). Images and downloads keep it.
    """
    if inline and checked.format is DocumentFormat.PDF:
        policy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    elif inline:
        policy = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"
    else:
        policy = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return {
        "Content-Type": checked.mime_type,
        "Content-Disposition": content_disposition(checked.name, inline=inline),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": policy,
        "X-Frame-Options": "SAMEORIGIN" if inline else "DENY",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
