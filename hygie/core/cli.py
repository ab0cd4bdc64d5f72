"""Shared behaviour of Hygie's commands: --json output and clear failures.

A command fails with CommandError (exit 1, message on stderr) and changes nothing:
each command does its writes in one transaction, after all input is checked."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class HygieCommand(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="sortie JSON (scripts)")

    def emit(self, options: dict[str, Any], data: Any, text: str) -> None:
        if options.get("json"):
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
        else:
            self.stdout.write(text)


def fail_on_validation(error: ValidationError) -> CommandError:
    if hasattr(error, "error_dict"):
        parts = [f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()]
        return CommandError("; ".join(parts))
    return CommandError(" ".join(error.messages))
