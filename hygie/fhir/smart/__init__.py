"""SMART on FHIR authorization server of the FHIR API (decision 0010).

For the API: `grants.grant_for_request(request)` and `security_urls(request)`."""

from .endpoints import security_urls

__all__ = ["security_urls"]
