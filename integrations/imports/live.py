"""Progress and cancel requests of a running import (and the progress of a validation in the
worker), outside the database.

The import writes everything in one transaction, so nothing it writes to the database is seen
before it commits — not even its progress — and on SQLite the transaction holds the write lock:
a "cancel" written to the job's row would wait for the import to end. The worker therefore
reports its progress, and the web asks it to stop, through two small files under
``MEDIA_ROOT/imports/live/`` (shared by the web and the worker, like the uploaded files).
"""

import json
import os
import time
from pathlib import Path

from django.conf import settings


def _dir():
    path = Path(settings.MEDIA_ROOT) / "imports" / "live"
    path.mkdir(parents=True, exist_ok=True)
    return path


def report(job_id, progress, step):
    """Write the progress atomically (a reader never sees half a file), with the time: the
    worker's last sign of life."""
    target = _dir() / f"{int(job_id)}.json"
    temp = target.with_suffix(".tmp")
    temp.write_text(json.dumps({"progress": int(progress), "step": step, "at": time.time()}), encoding="utf-8")
    os.replace(temp, target)


def progress(job_id):
    """{"progress": …, "step": …, "at": epoch seconds} the worker last reported, or None."""
    try:
        return json.loads((_dir() / f"{int(job_id)}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def request_cancel(job_id):
    (_dir() / f"{int(job_id)}.cancel").touch()


def cancel_requested(job_id):
    return (_dir() / f"{int(job_id)}.cancel").exists()


def clear(job_id):
    for suffix in (".json", ".cancel", ".tmp"):
        try:
            (_dir() / f"{int(job_id)}{suffix}").unlink()
        except FileNotFoundError:
            pass
