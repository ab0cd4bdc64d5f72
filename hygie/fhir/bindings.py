"""Required terminology bindings of the elements Hygie reads and writes.

fhir.resources checks structure and cardinality but not bindings: it accepts a
Patient whose gender is "femme". These are the FHIR R4 value sets with a
*required* binding on the elements Hygie uses; a code outside them is refused.
"""

from __future__ import annotations

ADMINISTRATIVE_GENDER = frozenset({"male", "female", "other", "unknown"})
NAME_USE = frozenset({"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"})
IDENTIFIER_USE = frozenset({"usual", "official", "temp", "secondary", "old"})
CONTACT_POINT_SYSTEM = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})
CONTACT_POINT_USE = frozenset({"home", "work", "temp", "old", "mobile"})
ADDRESS_USE = frozenset({"home", "work", "temp", "old", "billing"})
ADDRESS_TYPE = frozenset({"postal", "physical", "both"})
LINK_TYPE = frozenset({"replaced-by", "replaces", "refer", "seealso"})
ISSUE_SEVERITY = frozenset({"fatal", "error", "warning", "information"})

# (resource type, dotted path through lists) -> allowed codes
REQUIRED: dict[tuple[str, str], frozenset[str]] = {
    ("Patient", "gender"): ADMINISTRATIVE_GENDER,
    ("Patient", "name.use"): NAME_USE,
    ("Patient", "identifier.use"): IDENTIFIER_USE,
    ("Patient", "telecom.system"): CONTACT_POINT_SYSTEM,
    ("Patient", "telecom.use"): CONTACT_POINT_USE,
    ("Patient", "address.use"): ADDRESS_USE,
    ("Patient", "address.type"): ADDRESS_TYPE,
    ("Patient", "link.type"): LINK_TYPE,
    ("Practitioner", "gender"): ADMINISTRATIVE_GENDER,
    ("Practitioner", "name.use"): NAME_USE,
    ("Practitioner", "identifier.use"): IDENTIFIER_USE,
    ("Practitioner", "telecom.system"): CONTACT_POINT_SYSTEM,
    ("Practitioner", "telecom.use"): CONTACT_POINT_USE,
    ("Organization", "identifier.use"): IDENTIFIER_USE,
    ("Organization", "telecom.system"): CONTACT_POINT_SYSTEM,
    ("OperationOutcome", "issue.severity"): ISSUE_SEVERITY,
}
