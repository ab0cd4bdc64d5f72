"""The example charts in the system Chromium, under a CSP stricter than Hygie's.

Marked `browser` like tests/browser: a missing Chromium fails, it does not skip.
"""

from __future__ import annotations

import pytest

from hygie.clinical.charts.preview import EXAMPLES, PAGE_CSP, page, render

pytestmark = pytest.mark.browser


def test_every_example_renders_in_chromium_without_a_csp_violation(tmp_path):
    html = tmp_path / "charts.html"
    html.write_text(page(), encoding="utf-8")
    shots, refused = render(html, tmp_path, EXAMPLES)
    assert refused == []
    assert len(shots) == len(EXAMPLES)
    # A chart that failed to draw would be a blank, a few hundred bytes of PNG.
    assert all(shot.stat().st_size > 3000 for shot in shots)


def test_the_watch_does_see_inline_style_refused(tmp_path):
    # Guard for the test above: what it would catch is really reported.
    html = tmp_path / "styled.html"
    html.write_text(
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}"></head><body>'
        '<figure id="styled"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" '
        'width="100" style="background: red"><rect width="10" height="10"/></svg></figure>'
        "</body></html>",
        encoding="utf-8",
    )
    _shots, refused = render(html, tmp_path, ["styled"])
    assert refused
