from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PmsiType(models.IntegerChoices):
    """The ATIH "type MCO/HAD" of a code (column `type` of the source file): where
    the PMSI allows it. Type 3 is the only one that matters outside a hospital: a
    category or sub-category that has subdivisions, or a code the ATIH withdrew;
    it is never coded (decision 0012)."""

    NO_RESTRICTION = 0, _("sans restriction")
    NOT_MAIN_OR_RELATED = 1, _("interdit en DP et DR, autorisé ailleurs")
    EXTERNAL_CAUSE = 2, _("cause externe de morbidité, interdit en DP et DR")
    NOT_CODABLE = 3, _("non codable : catégorie subdivisée ou code père interdit")
    NOT_MAIN = 4, _("interdit en DP, autorisé ailleurs")
