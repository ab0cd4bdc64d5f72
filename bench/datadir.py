# ruff: noqa: S603 (subprocesses are this package's modules and manage.py, run with
# sys.executable and fixed arguments: no outside input reaches them)
"""Benchmark data directories under bench/.data/, generated once and reused.

One directory per (patients, seed, encrypted or not). A directory is reused only
if its bench-meta.json says it was completed with the same parameters; anything
else (an interrupted generation) is removed and made again. On reuse, pending
migrations are applied, since the app changes under the benchmark.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT

DATA_ROOT = ROOT / "bench" / ".data"
META = "bench-meta.json"


def path_for(patients: int, seed: int, *, encryption: bool) -> Path:
    return DATA_ROOT / f"p{patients}-s{seed}-{'enc' if encryption else 'plain'}"


def git_head() -> str:
    """The commit measured, with "+N" for N files changed since (others edit the
    app while benchmarks run; the figures belong to the tree as it was)."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        head = subprocess.run(
            [git, "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        changed = subprocess.run(
            [git, "status", "--porcelain", "--", "hygie", "config"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+{len(changed)}" if changed else head


def env_for(data_dir: Path) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["HYGIE_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("DATABASE_URL", None)  # embedded mode: SQLite in the data directory
    return env


def run_checked(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run, capturing output; on failure stop with the command's own error."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done


def ensure(
    patients: int, seed: int, *, encryption: bool, regenerate: bool = False, log: Any = print
) -> dict[str, Any]:
    """The data directory's metadata, generating the directory if needed."""
    path = path_for(patients, seed, encryption=encryption)
    meta_file = path / META
    wanted = {"patients": patients, "seed": seed, "encryption": encryption}
    if meta_file.exists() and not regenerate:
        meta = json.loads(meta_file.read_text())
        if all(meta.get(k) == v for k, v in wanted.items()):
            log(
                f"reusing {path.relative_to(ROOT)} (generated {meta['generated_at']} "
                f"from code {meta['git_head']})"
            )
            if meta["git_head"].split("+")[0] != git_head().split("+")[0]:
                log(
                    "  the code has changed since: --regenerate if the patient data or its "
                    "indexes are shaped differently now"
                )
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                cwd=ROOT,
                env=env_for(path),
                check=True,
            )
            return {**meta, "path": str(path), "reused": True}
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    log(
        f"generating {path.relative_to(ROOT)}: {patients} patients, seed {seed}, "
        f"{'encrypted' if encryption else 'PLAINTEXT (baseline)'}; this takes a while"
    )
    command = [
        sys.executable,
        "-m",
        "bench.seed",
        "--data-dir",
        str(path),
        "--patients",
        str(patients),
        "--seed",
        str(seed),
    ]
    if not encryption:
        command.append("--no-encryption")
    started = time.monotonic()
    done = run_checked(command, env_for(path))
    wall = time.monotonic() - started
    demo = json.loads(done.stdout.strip().splitlines()[-1])
    meta = {
        **wanted,
        "demo_seconds": demo["seconds"],
        "wall_seconds": round(wall, 1),
        "db_bytes": (path / "hygie.sqlite3").stat().st_size,
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "git_head": git_head(),
    }
    meta_file.write_text(json.dumps(meta, indent=2))
    log(f"generated in {wall:.0f} s (demo command: {demo['seconds']} s)")
    return {**meta, "path": str(path), "reused": False}
