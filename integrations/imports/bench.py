"""Bench case of the imports (``manage.py bench``): a generated CSV of ``--import-rows`` clients
(default: ``--count``, so 100 000; 0 skips it) in Windows-1251 with ``;`` is uploaded, validated
and imported as the bench administrator, the way the worker runs it (one transaction, history
rows), and the times are printed. The imported clients are deleted again right after."""

import time

from django.core.files.uploadedfile import SimpleUploadedFile

from core import registry
from core.management.commands.bench import BenchCase

from . import samplefile

ARGUMENTS = ((("--import-rows",), {"type": int, "default": None,
                                   "help": "Rows of the import bench file (default: --count; 0: skip)."}),)
PREFIX = "Бенч-импорт"


def wanted(run):
    rows = run.opts.get("import_rows")
    return (run.opts.get("count") or 0) if rows is None else rows


def measure(run):
    """Upload, validate and run an import of ``wanted(run)`` rows; print the times."""
    from ..models import ImportJob
    from . import services

    count = wanted(run)
    if not count:
        return
    data = samplefile.csv_bytes(count, encoding="cp1251", prefix=PREFIX)
    run.stdout.write(f"Import bench: {count} client rows, {len(data) / 2**20:.1f} MB CSV (cp1251, ';') …")
    started = time.monotonic()
    job = services.create_job(run.admin, SimpleUploadedFile("bench-import.csv", data))
    uploaded = time.monotonic()
    services.validate(job)
    validated = time.monotonic()
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    services.run(job.pk)
    finished = time.monotonic()
    job.refresh_from_db()
    run.stdout.write(
        f"  upload {uploaded - started:.1f} s, validation and preview {validated - uploaded:.1f} s, "
        f"import (read, validate, match, write in one transaction) {finished - validated:.1f} s: "
        f"{job.get_state_display()}, {job.created_count} created, {job.updated_count} updated"
        + (f" — {job.error}" if job.error else ""))
    run.shared["import_seconds"] = finished - validated
    delete(run)


def cases(run):
    measure(run)
    return []


def delete(run):
    from clients.models import ContactInfo, ContactPerson, Counterparty

    ids = list(Counterparty.all_objects.filter(name__startswith=f"ООО «{PREFIX}").values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        part = ids[start:start + 5000]
        for model in (ContactInfo, ContactPerson):
            model.history.filter(counterparty_id__in=part).delete()
            model.all_objects.filter(counterparty_id__in=part).delete()
        Counterparty.history.filter(id__in=part).delete()
        Counterparty.all_objects.filter(pk__in=part).delete()
    return 0


def summary(run):
    seconds = run.shared.get("import_seconds")
    return f"import of {wanted(run)} rows in {seconds:.1f} s" if seconds is not None else "no import"


def register():
    registry.bench_cases.register("imports", BenchCase(arguments=ARGUMENTS, cases=cases, delete=delete,
                                                       summary=summary), order=90)
