"""How other apps name a CIM-10 code outside Hygie (FHIR, CDA). One place, so that a
change of the national canonical URL is one diff (decision 0012)."""

from __future__ import annotations

# The ANS terminology server's canonical URL for the French CIM-10 (ATIH, "à usage
# PMSI"): the system FR Core binds Condition.code to (fr-core-vs-condition-code)
# and uses in its Condition example (J45.9). Codes go with their dot ("E11.9").
CIM10_SYSTEM = "https://smt.esante.gouv.fr/terminologie-cim-10"
# The same code system's OID (the CodeSystem's identifier on the ANS server, and the
# codeSystem attribute of CDA documents of the CI-SIS).
CIM10_OID = "2.16.840.1.113883.6.3"
