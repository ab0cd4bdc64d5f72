"""Scheduled jobs: run hourly by `hygie serve`, or by cron with `hygie jobs run`."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from oauth2_provider.models import clear_expired

from hygie.accounts.actions import do_disable_dormant_accounts
from hygie.audit.actions import AuditSource, record_event
from hygie.audit.checkpoints import write_checkpoint
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome
from hygie.audit.verify import verify_chains
from hygie.practices.actions import do_close_expired_memberships

logger = logging.getLogger("hygie.jobs")


def run_scheduled_jobs() -> dict[str, Any]:
    source = AuditSource.system("scheduler")
    closed = do_close_expired_memberships(source=source)
    dormant = do_disable_dormant_accounts(source=source)
    # Expired API tokens and codes are worthless but still rows: remove them.
    clear_expired()
    # A checkpoint vouches for the log as it is: never write one over a damaged log.
    directory = Path(settings.AUDIT_CHECKPOINT_DIR)
    report = verify_chains(directory)
    if not report.ok:
        logger.error("audit log verification failed: %s", report.first_problem)
        checkpoint = "refused: audit log damaged"
    else:
        checkpoint = str(write_checkpoint(directory).path)
    result = {
        "memberships_closed": closed,
        "dormant_disabled": [u.email for u in dormant],
        "audit_ok": report.ok,
        "checkpoint": checkpoint,
    }
    record_event(
        source,
        AuditEventType.JOB_RUN,
        action=AuditAction.EXECUTE,
        entity_type="Job",
        entity_id="scheduled",
        outcome=AuditOutcome.SUCCESS if report.ok else AuditOutcome.MAJOR_FAILURE,
        detail={
            "memberships_closed": closed,
            "dormant_disabled": len(dormant),
            "audit_ok": report.ok,
        },
    )
    return result


def start_scheduler(every_seconds: int, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                result = run_scheduled_jobs()
                logger.info("scheduled jobs: %s", result)
            except Exception:
                # Logged loudly and retried at the next tick; a job failing must not
                # take the server down with it.
                logger.exception("scheduled jobs failed")
            finally:
                close_old_connections()
            stop.wait(every_seconds)

    thread = threading.Thread(target=loop, name="hygie-scheduler", daemon=True)
    thread.start()
    return thread
