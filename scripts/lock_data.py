"""Write requirements-data.txt: each pin of requirements-data.in with every file hash.

pip-compile cannot lock a package without resolving its dependencies, and the data
packages are installed with --no-deps (decision 0012). This reads PyPI's simple index
(PEP 503: each link carries #sha256=...) for each exact pin and lists the hashes of all
the release's files, so `pip install --require-hashes --no-deps` accepts the wheel of
any platform and nothing else.
"""

from __future__ import annotations

import re
import sys
import urllib.request
from pathlib import Path

INDEX = "https://pypi.org/simple"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)$")


def release_hashes(name: str, version: str) -> list[str]:
    normalized = re.sub(r"[-_.]+", "-", name).lower()
    url = f"{INDEX}/{normalized}/"  # a fixed https URL: S310 does not apply
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
        page = response.read().decode()
    stem = re.escape(re.sub(r"[-_.]+", "_", name)) + "|" + re.escape(normalized)
    files = r"(?:-[^\"#<]*\.whl|\.tar\.gz|\.zip)"
    pattern = re.compile(rf"(?:{stem})-{re.escape(version)}{files}#sha256=([0-9a-f]{{64}})", re.I)
    hashes = sorted(set(pattern.findall(page)))
    if not hashes:
        raise SystemExit(f"error: PyPI lists no file for {name}=={version}")
    return hashes


def main(source: Path, target: Path) -> None:
    lines = [
        "# Written by `make lock` (scripts/lock_data.py) from requirements-data.in: do not edit.",
        "# Installed with --no-deps --require-hashes (decision 0012).",
    ]
    for raw in source.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        if match is None:
            raise SystemExit(f"error: {source}: {line!r} is not an exact pin (name==version)")
        hashes = release_hashes(*match.groups())
        lines.append(f"{line} \\")
        hash_lines = [f"    --hash=sha256:{digest}" for digest in hashes]
        lines.extend(hash_line + " \\" for hash_line in hash_lines[:-1])
        lines.append(hash_lines[-1])
    target.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
