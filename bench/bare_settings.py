"""Settings of the FHIR load benchmark's server: Hygie's own (config/settings.py,
from the same environment), plus one URL for the bare view (bench/bare_urls.py).
Nothing else differs, so the bare view and the API share the server, the
middleware, the database settings and the processes of one run."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
