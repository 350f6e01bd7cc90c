"""The life of an import: upload → mapping → validation and preview → run in the worker.

``run`` writes every row in ONE transaction: an error, a cancel or a killed worker leaves the
base exactly as it was. The rows are read, validated and matched again when the run starts (the
base may have changed since the preview), with the policy and per-row decisions of the preview.
"""

import io
import logging
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import access
from core.export import xlsx_value

from ..models import ImportJob, ImportKind, ImportPolicy, RowAction
from . import fields, kinds, live, readers

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
PREVIEW_ROWS = 20
KEPT_ERRORS = 1000
KEPT_FLAGGED = 500
State = ImportJob.State


class Cancelled(Exception):
    pass


def may_import(user, kind=None):
    """Who imports: whoever may add the records imported (core.access) — clients and interactions:
    heads, administrators, marketers and sales managers (into their own scope); products: whoever
    may add products (heads and administrators); read-only roles nothing. Without a kind: any."""
    if not access.can(user, access.ADD, ImportJob):
        return False
    if kind is None:
        return any(importer.may_import(user) for importer in kinds.all_importers())
    return kind in ImportKind.values and kinds.get(kind).may_import(user)


def importable_kinds(user):
    """[(kind, label)] the user may import."""
    return [(value, label) for value, label in ImportKind.choices if may_import(user, value)]


# --- Upload and mapping -------------------------------------------------------------------------------

def create_job(user, upload, kind=ImportKind.CLIENTS, mapping=None):
    """A new job from an uploaded file: read, mapping guessed (or the saved one). ValidationError
    names the problem with the file."""
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Unknown kind of import.")})
    if not may_import(user, kind):
        raise PermissionDenied
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": _("The file is larger than %(size)s MB.") % {"size": MAX_FILE_BYTES >> 20}})
    data = upload.read()
    try:
        table = readers.read(data, upload.name)
    except readers.ReadError as exc:
        raise ValidationError({"file": str(exc)}) from None
    if not table.rows:
        raise ValidationError({"file": _("The file has column names but no rows.")})
    if table.format == "vcard" and kind != ImportKind.CLIENTS:
        raise ValidationError({"file": _("A vCard file holds contacts: import it as clients.")})
    if len(table.rows) > MAX_ROWS:
        raise ValidationError({"file": _("More than %(max)s rows: split the file.") % {"max": MAX_ROWS}})
    guessed, _source = fields.initial(kind, table.headers, user, table.format)
    if mapping is not None:
        mapping = list(mapping) + [""] * (len(table.headers) - len(mapping))
        problems = fields.check(kind, mapping[:len(table.headers)])
        if problems:
            raise ValidationError({"mapping": problems})
    file_name = os.path.basename(upload.name or "").replace("\x00", "")
    job = ImportJob(kind=kind, created_by=user, file_name=file_name[:255],
                    file_format=table.format, encoding=table.encoding, delimiter=table.delimiter,
                    headers=table.headers, mapping=(mapping or guessed)[:len(table.headers)],
                    total_rows=len(table.rows), state=State.MAPPED if mapping is not None else State.UPLOADED,
                    policy=kinds.get(kind).default_policy)
    job.file.save(file_name or "import", ContentFile(data), save=False)
    job.save()
    return job


def read_table(job):
    with job.file.open("rb") as handle:
        return readers.read(handle.read(), job.file_name)


def set_mapping(job, mapping, *, remember=False, shared=False, user=None):
    problems = fields.check(job.kind, mapping)
    if len(mapping) != len(job.headers):
        problems.append(_("The mapping must name a field (or none) for each of the %(n)s columns.")
                        % {"n": len(job.headers)})
    if problems:
        raise ValidationError({"mapping": problems})
    if job.state not in (State.UPLOADED, State.MAPPED, State.VALIDATED):
        raise ValidationError(_("This import has already run."))
    job.mapping = list(mapping)
    job.state = State.MAPPED
    job.save(update_fields=["mapping", "state"])
    if remember:
        fields.save(job.kind, job.headers, mapping, user or job.created_by,
                    shared=shared and access.can_assign(user or job.created_by))


# --- Validation and preview ---------------------------------------------------------------------------

def columns_of(job):
    """{target: column name} of the mapped columns."""
    return {key: job.headers[i] for i, key in enumerate(job.mapping) if key}


def analyse(job, table=None, checkpoint=lambda progress: None):
    """(rows, scope): every row cleaned, matched and decided for the job's owner."""
    table = table or read_table(job)
    if len(table.headers) != len(job.headers):
        raise ValidationError(_("The file's columns changed since it was mapped."))
    user = job.created_by
    importer = kinds.get(job.kind)
    ctx = importer.context(user, columns_of(job))
    rows = []
    for n, (number, cells) in enumerate(table.rows, start=1):
        rows.append(importer.clean(importer.row_class(number, cells), job.mapping, ctx))
        if n % 5000 == 0:
            checkpoint(n / len(table.rows))
    importer.match(rows, ctx)
    scope = importer.scope(user)
    importer.decide(rows, job.policy, job.overrides or {}, scope)
    return rows, scope


def summary_of(rows):
    counts = {a: 0 for a in RowAction.values}
    for row in rows:
        if row.valid:
            counts[row.action] += 1
    counts["errors"] = sum(1 for r in rows if not r.valid)
    counts["flagged"] = sum(1 for r in rows if r.valid and (r.flag or r.matches))
    return counts


def row_preview(importer, row, scope, names):
    return {"row": row.number, "action": row.action, "flag": row.flag, "duplicate_of": row.duplicate_of,
            "values": importer.preview_values(row),
            "errors": [{"column": c, "message": m} for c, m in row.errors],
            "matches": importer.describe_matches(row, scope, names)}


def validate(job):
    """Validate every row and keep the report, the preview and the rows to decide."""
    rows, scope = analyse(job)
    errors = [{"row": r.number, "column": c, "message": m} for r in rows for c, m in r.errors]
    flagged = [r for r in rows if r.valid and (r.flag or r.matches)]
    job.summary = summary_of(rows)
    job.total_rows = len(rows)
    job.error_rows = job.summary["errors"]
    job.errors = errors[:KEPT_ERRORS]
    importer = kinds.get(job.kind)
    shown = rows[:PREVIEW_ROWS] + flagged[:KEPT_FLAGGED]
    names = importer.match_names(shown, scope)  # the matched records' names: a query per 900, not per row
    job.preview = [row_preview(importer, r, scope, names) for r in rows[:PREVIEW_ROWS]]
    job.flagged = [row_preview(importer, r, scope, names) for r in flagged[:KEPT_FLAGGED]]
    job.state = State.VALIDATED
    job.save(update_fields=["summary", "total_rows", "error_rows", "errors", "preview", "flagged", "state"])
    return job


def set_decisions(job, policy=None, overrides=None, skip_errors=None):
    """The preview's choices: the default policy and the actions chosen for flagged rows."""
    if policy is not None:
        if policy not in ImportPolicy.values or policy not in kinds.get(job.kind).policies:
            raise ValidationError({"policy": _("Unknown policy “%(value)s”.") % {"value": policy}})
        job.policy = policy
    if overrides is not None:
        clean = {}
        for number, action in dict(overrides).items():
            if action not in RowAction.values:
                raise ValidationError({"overrides": _("Row %(row)s: the action must be create, update or skip.")
                                       % {"row": number}})
            if not str(number).isdigit():
                raise ValidationError({"overrides": _("“%(value)s” is not a row number.") % {"value": number}})
            clean[str(int(number))] = action
        job.overrides = clean
    if skip_errors is not None:
        job.skip_errors = bool(skip_errors)
    job.save(update_fields=["policy", "overrides", "skip_errors"])


def errors_xlsx(job):
    """The rows with errors as uploaded, with a last column of the messages (bytes of an XLSX)."""
    from openpyxl import Workbook

    table = read_table(job)
    messages = {}
    rows, _scope = analyse(job, table)
    for row in rows:
        if row.errors:
            messages[row.number] = "; ".join(f"{c}: {m}" if c else m for c, m in row.errors)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Errors")[:31])
    sheet.append([xlsx_value(sheet, h) for h in [_("Row"), *table.headers, _("Errors")]])
    for number, cells in table.rows:
        if number in messages:
            sheet.append([xlsx_value(sheet, v) for v in [number, *cells, messages[number]]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Running ------------------------------------------------------------------------------------------

def start(job, user, *, policy=None, overrides=None, skip_errors=None):
    """Queue the import for the worker (after the caller's transaction commits)."""
    from .tasks import run_import

    if not may_import(user, job.kind):
        raise PermissionDenied  # e.g. a marketer may change a head's job, but not import products
    if job.state != State.VALIDATED:
        raise ValidationError(_("Validate the file before running the import."))
    set_decisions(job, policy, overrides, skip_errors)
    if job.error_rows and not job.skip_errors:
        raise ValidationError(_("%(count)s rows have errors: correct the file, or choose to skip them.")
                              % {"count": job.error_rows})
    claimed = ImportJob.objects.filter(pk=job.pk, state=State.VALIDATED).update(
        state=State.RUNNING, started_by=user, started_at=timezone.now(), progress=0,
        step=gettext_noop("Waiting for the worker…"), error="")
    if not claimed:
        raise ValidationError(_("This import is already running."))
    live.clear(job.pk)
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    job.refresh_from_db()
    return job


def cancel(job):
    """Stop an import: before it runs, at once; while it runs, the worker stops at the next batch
    and rolls everything back."""
    if job.state == State.RUNNING:
        live.request_cancel(job.pk)
        return job
    if job.finished:
        raise ValidationError(_("This import has already finished."))
    ImportJob.objects.filter(pk=job.pk, state=job.state).update(state=State.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def live_progress(job):
    """(progress, step) as the user should see them: the worker's report while it runs."""
    if job.state == State.RUNNING:
        report = live.progress(job.pk)
        if report:
            return report["progress"], report["step"]
    return job.progress, job.step


def run(job_id):
    """The worker's part: everything in one transaction, or nothing."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.state != State.RUNNING:
        return None
    user = job.created_by
    importer = kinds.get(job.kind)

    def report(progress, step):
        live.report(job.pk, progress, step)
        if live.cancel_requested(job.pk):
            raise Cancelled

    try:
        if not may_import(user, job.kind):
            raise ValidationError(_("The owner of this import may no longer import this kind of records."))
        report(2, gettext_noop("Reading the file"))
        table = read_table(job)
        validating = gettext_noop("Validating the rows")
        report(5, validating)
        rows, _scope = analyse(job, table, lambda share: report(5 + int(25 * share), validating))
        bad = [r for r in rows if not r.valid]
        if bad and not job.skip_errors:
            raise ValidationError(_("%(count)s rows have errors (the first: row %(row)s).")
                                  % {"count": len(bad), "row": bad[0].number})
        todo = sum(1 for r in rows if r.valid and r.action in (RowAction.CREATE, RowAction.UPDATE)) or 1
        report(30, gettext_noop("Writing"))
        writer = importer.writer(user, job.history_reason,
                                 lambda done: report(30 + int(69 * done / todo), gettext_noop("Writing")))
        with transaction.atomic():
            writer.write(rows)
            report(99, gettext_noop("Writing"))
    except Cancelled:
        _finish(job, State.CANCELLED)
        return job.pk
    except Exception as exc:  # noqa: BLE001 - any failure: nothing was written, the job says why
        if not isinstance(exc, ValidationError):
            log.exception("import %s failed", job.pk)
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
        _finish(job, State.FAILED, error=message)
        return job.pk
    skipped = len(rows) - writer.created - writer.updated
    _finish(job, State.DONE, progress=100, created_count=writer.created, updated_count=writer.updated,
            skipped_count=skipped)
    return job.pk


def _finish(job, state, **values):
    ImportJob.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), step="", **values)
    live.clear(job.pk)
