"""The CIM-10 file: where it is, and its rows, every one checked.

The file is `edsnlp/resources/cim10.csv.gz` of the edsnlp wheel, installed without
its dependencies and never imported (decision 0012): importlib.metadata finds it.
Reading it writes nothing; any problem stops with the file, the line and why."""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.metadata
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from .enums import PmsiType
from .text import COMPACT_CODE, dotted, label_words

PACKAGE = "edsnlp"
RESOURCE = "edsnlp/resources/cim10.csv.gz"
HEADER = ["code", "type", "ssr", "psy", "short", "long"]
LABEL_MAX_LENGTH = 400
# The ATIH keeps a code it withdrew, its label prefixed with the year:
# "*** SU17 *** Dengue [dengue classique]" (A90, replaced by A97 in 2017).
WITHDRAWN = re.compile(r"\*\*\* *SU(\d{2}) *\*\*\* *")
# Errors listed before giving up on a file: enough to see a pattern.
MAX_ERRORS = 10


class Cim10SourceError(Exception):
    """The file is missing or unusable; the message (French) says what to do."""


@dataclass(frozen=True)
class Source:
    path: Path
    # Shown and recorded: the resource path inside the package, or the path given.
    name: str
    package: str = ""
    package_version: str = ""


@dataclass(frozen=True)
class Row:
    compact: str
    label: str
    pmsi_type: PmsiType
    words: list[str]
    withdrawn_in: int | None = None


@dataclass(frozen=True)
class Cim10File:
    source: Source
    sha256: str
    rows: list[Row]


def packaged_source() -> Source:
    """The file shipped in the installed edsnlp distribution."""
    fix = _(
        "lancez « make venv » (ou, si make n'a rien à refaire : "
        "« .venv/bin/pip install --no-deps --require-hashes -r requirements-data.txt »)"
    )
    try:
        distribution = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise Cim10SourceError(
            _("le paquet %(package)s, qui fournit la CIM-10, n'est pas installé : %(fix)s")
            % {"package": PACKAGE, "fix": fix}
        ) from None
    path = Path(str(distribution.locate_file(RESOURCE)))
    if not path.is_file():
        raise Cim10SourceError(
            _("%(path)s introuvable dans %(package)s %(version)s, à réinstaller : %(fix)s")
            % {"path": path, "package": PACKAGE, "version": distribution.version, "fix": fix}
        )
    return Source(path, RESOURCE, PACKAGE, distribution.version)


def file_source(path: Path) -> Source:
    return Source(path, str(path))


def read_bytes(source: Source) -> bytes:
    try:
        return source.path.read_bytes()
    except OSError as exc:
        raise Cim10SourceError(
            _("%(file)s : lecture impossible (%(reason)s)")
            % {"file": source.name, "reason": exc.strerror or exc}
        ) from exc


def sha256_of(source: Source) -> str:
    return hashlib.sha256(read_bytes(source)).hexdigest()


def read_cim10(source: Source, raw: bytes | None = None) -> Cim10File:
    """Every row of the file (`raw`: its bytes, if already read), checked;
    Cim10SourceError naming the file, the line and the reason of the first
    problems found."""
    if raw is None:
        raw = read_bytes(source)
    text = _decompress(source, raw)
    rows = _parse(source, text)
    return Cim10File(source, hashlib.sha256(raw).hexdigest(), rows)


def _refuse(source: Source, errors: list[tuple[int, str]]) -> Cim10SourceError:
    lines = [
        _("%(file)s, ligne %(line)d : %(reason)s")
        % {"file": source.name, "line": line, "reason": reason}
        for line, reason in errors[:MAX_ERRORS]
    ]
    if len(errors) > MAX_ERRORS:
        lines.append(_("… et d'autres erreurs"))
    return Cim10SourceError("\n".join(lines))


def _decompress(source: Source, raw: bytes) -> str:
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        # BadGzipFile is an OSError; a truncated file ends in EOFError.
        raise Cim10SourceError(
            _("%(file)s : fichier gzip illisible ou tronqué (%(reason)s)")
            % {"file": source.name, "reason": exc}
        ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _refuse(source, [(line, _("texte non UTF-8"))]) from exc


def _parse(source: Source, text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    errors: list[tuple[int, str]] = []
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        header = next(reader, [])
        if header != HEADER:
            raise _refuse(
                source,
                [(1, _("en-tête attendu : %(expected)s") % {"expected": ",".join(HEADER)})],
            )
        line = reader.line_num + 1
        for record in reader:
            if not record:  # a blank line
                line = reader.line_num + 1
                continue
            problem = _check(record, seen)
            if isinstance(problem, Row):
                rows.append(problem)
                seen[problem.compact] = line
            else:
                errors.append((line, problem))
            line = reader.line_num + 1
    except csv.Error as exc:
        errors.append((reader.line_num, _("CSV illisible : %(e)s") % {"e": exc}))
    if not errors and not rows:
        errors.append((1, _("aucun code dans le fichier")))
    errors.extend(_orphans(rows, seen))
    if errors:
        raise _refuse(source, sorted(errors))
    return rows


def _check(record: list[str], seen: dict[str, int]) -> Row | str:
    """The row, or why it is refused."""
    if len(record) != len(HEADER):
        return _("%(n)d colonnes au lieu de %(expected)d") % {
            "n": len(record),
            "expected": len(HEADER),
        }
    values = dict(zip(HEADER, record, strict=True))
    compact = values["code"].strip()
    if not COMPACT_CODE.fullmatch(compact):
        return _("code CIM-10 invalide : %(code)r") % {"code": compact}
    if compact in seen:
        return _("code %(code)s en double (déjà ligne %(line)d)") % {
            "code": dotted(compact),
            "line": seen[compact],
        }
    try:
        pmsi_type = PmsiType(int(values["type"]))
    except ValueError:
        return _("type %(type)r inconnu pour %(code)s (attendu : 0 à 4)") % {
            "type": values["type"],
            "code": dotted(compact),
        }
    label = " ".join(values["long"].split())
    withdrawn_in = None
    if marker := WITHDRAWN.match(label):
        withdrawn_in = 2000 + int(marker[1])
        label = label[marker.end() :]
    words = label_words(label)
    if not words:
        return _("libellé vide pour %(code)s") % {"code": dotted(compact)}
    if len(label) > LABEL_MAX_LENGTH:
        return _("libellé de %(code)s trop long (%(n)d caractères, %(max)d au plus)") % {
            "code": dotted(compact),
            "n": len(label),
            "max": LABEL_MAX_LENGTH,
        }
    return Row(compact, label, pmsi_type, words, withdrawn_in)


def _orphans(rows: list[Row], lines: dict[str, int]) -> list[tuple[int, str]]:
    """A subdivision whose 3-character category is not in the file."""
    return [
        (lines[row.compact], _("catégorie %(category)s absente du fichier") % {"category": c})
        for row in rows
        if (c := row.compact[:3]) not in lines
    ]
