"""Creates one benchmark data directory: migrate, cache table, then the demo
generator (`hygie demo --patients N --seed S`), in a process of its own.

With --no-encryption the AEAD seam is switched to the identity first (see
bench.variants), so the same synthetic practice is stored in clear: the baseline
that shows what encryption costs. Prints the demo command's JSON on stdout.
"""

from __future__ import annotations

import argparse
import io
import os


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--no-encryption", action="store_true")
    args = parser.parse_args()
    os.environ["HYGIE_DATA_DIR"] = args.data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bench import variants

    variants.apply(audit=True, encryption=not args.no_encryption)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    out = io.StringIO()
    call_command("demo", patients=args.patients, seed=args.seed, json=True, stdout=out)
    print(out.getvalue().strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
