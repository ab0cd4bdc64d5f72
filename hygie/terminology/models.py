"""The French CIM-10 as loaded from edsnlp's copy of the ATIH list (decision 0012).

Reference data, shared by every practice and replaced as a whole by
`loading.load_cim10`: other apps keep the code and label a doctor picked, never a
foreign key to these rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext_lazy as _

from hygie.core.models import BaseModel

from .enums import PmsiType

if TYPE_CHECKING:
    _CharField = models.CharField[Any, Any]
else:
    _CharField = models.CharField


class AsciiKeyField(_CharField):
    """A CharField of ASCII keys compared byte by byte on both databases: SQLite's
    default collation already does; on PostgreSQL the column gets COLLATE "C".
    The search asks for prefixes as ranges (`>= "diab" AND < "diac"`, see
    text.prefix_end); under a locale collation (en_US, fr_FR) "+" and other
    punctuation sort out of byte order and such a range would miss rows."""

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class Cim10Code(models.Model):
    """One code of the list, categories included."""

    # The rank of the code in word search results, fixed at load: by depth (the
    # general before the specific), then label length (the fewer words besides
    # the ones asked for, the closer), then code. As the primary key it is
    # SQLite's rowid: the table is stored in that order, a search reads the
    # candidates in that order and stops at its limit, and the 600,000 rows of
    # the word index refer to codes by a small integer. Ids change with each load:
    # other apps keep the code string (decision 0012).
    id = models.IntegerField(primary_key=True)
    compact = AsciiKeyField(_("code compact"), max_length=8)  # "E119"
    code = models.CharField(_("code"), max_length=9)  # "E11.9"
    label = models.CharField(_("libellé"), max_length=400)
    # The 3-character category ("E11"; a category is its own) and the nearest
    # coded ancestor ("E11" for "E11.9", "E11.9" for "E11.90"; none for a category).
    # DO_NOTHING: the loader replaces the whole list in one statement per table,
    # the constraints (deferred) are checked at commit.
    category = models.ForeignKey(
        "self", on_delete=models.DO_NOTHING, related_name="+", verbose_name=_("catégorie")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="children",
        verbose_name=_("code parent"),
    )
    # 0 for a category, 1 for "E11.9", 2 for "E11.90" and "B24.+0".
    depth = models.PositiveSmallIntegerField(_("profondeur"))
    pmsi_type = models.PositiveSmallIntegerField(_("type PMSI"), choices=PmsiType.choices)
    # False for PMSI type 3: subdivided (pick a subdivision) or withdrawn.
    selectable = models.BooleanField(_("sélectionnable"))
    # The year the ATIH withdrew the code ("*** SU17 ***" before the label in the
    # file, removed from `label`): get_cim10 still finds it, for old records;
    # search does not.
    withdrawn_in = models.PositiveSmallIntegerField(_("supprimé en"), null=True)

    class Meta:
        verbose_name = _("code CIM-10")
        verbose_name_plural = _("codes CIM-10")
        # Constraints rather than unique=True: on PostgreSQL, unique=True also adds
        # a LIKE index per column, which nothing here uses.
        constraints = [
            models.UniqueConstraint(fields=["compact"], name="cim10_compact_unique"),
            models.UniqueConstraint(fields=["code"], name="cim10_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Cim10Word(models.Model):
    """One folded word of one code's label (text.label_words): the search index,
    withdrawn codes left out. "Diabète sucré de type 2" gives diabete, sucre, de,
    type, 2."""

    # No database constraint: the loader writes these 600,000 rows with the ids it
    # gives the codes in the same transaction, and PostgreSQL would check each
    # one at commit (5 s, as long as all the rest of the load).
    code = models.ForeignKey(
        Cim10Code,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    word = AsciiKeyField(max_length=40)

    class Meta:
        indexes = [
            # A query word's prefix range, returning codes without visiting the table.
            models.Index(fields=["word", "code"], name="cim10_word_idx"),
            # "Does this code also have a word starting with ...?" (and the foreign key).
            models.Index(fields=["code", "word"], name="cim10_word_by_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code_id}: {self.word}"


class Cim10WordCount(models.Model):
    """How many codes carry each distinct word (about 6,600): the search starts from
    its rarest query word, and a word no label has answers "nothing" at once."""

    word = AsciiKeyField(primary_key=True, max_length=40)
    codes = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.word}: {self.codes}"


class Cim10Release(BaseModel):
    """One load of the list: what was loaded, from where. The newest is the list
    in the tables; the older ones are its history."""

    source_file = models.CharField(_("fichier source"), max_length=500)
    # The Python distribution that shipped the file ("edsnlp", "0.23.0"); empty for
    # a file given by path.
    package = models.CharField(_("paquet"), max_length=100, blank=True)
    package_version = models.CharField(_("version du paquet"), max_length=50, blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    codes = models.PositiveIntegerField(_("codes"))
    selectable_codes = models.PositiveIntegerField(_("codes sélectionnables"))
    loaded_at = models.DateTimeField(_("chargée le"))

    class Meta:
        verbose_name = _("version de la CIM-10")
        verbose_name_plural = _("versions de la CIM-10")
        indexes = [models.Index(fields=["-loaded_at"], name="cim10_release_latest")]

    def __str__(self) -> str:
        return f"CIM-10 {self.sha256[:12]} ({self.codes} codes)"
