"""The life of an import: upload → mapping → validation and preview → run in the worker.

Validation reads, cleans and matches every row: a file of up to ``INLINE_ROWS`` rows is validated
in the request (the preview at once); a bigger one goes to the worker (state ``validating``, its
progress through ``live``) so that no request waits for 100 000 rows.

``run`` writes every row in ONE transaction: an error, a cancel or a killed worker leaves the
base exactly as it was. The rows are read, validated and matched again when the run starts (the
base may have changed since the preview), with the policy and per-row decisions of the preview.
"""

import io
import logging
import os
import time
from datetime import timedelta

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
INLINE_ROWS = 2000  # up to this many rows are validated in the request (well under a second)
CHECKPOINT_ROWS = 2000  # rows cleaned between two progress reports (and cancel checks)
# A validation with no sign of life for this long may have lost its worker: the page and the
# API say so, and posting the mapping again queues it anew.
STALLED_AFTER = timedelta(minutes=10)
State = ImportJob.State
WAITING = gettext_noop("Waiting for the worker…")


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
    if job.state not in (State.UPLOADED, State.MAPPED, State.VALIDATING, State.VALIDATED):
        raise ValidationError(_("This import has already run."))
    job.mapping = list(mapping)
    job.state = State.MAPPED  # a validation still going on for the old mapping stops at its next checkpoint
    job.save(update_fields=["mapping", "state"])
    if remember:
        fields.save(job.kind, job.headers, mapping, user or job.created_by,
                    shared=shared and access.can_assign(user or job.created_by))


# --- Validation and preview ---------------------------------------------------------------------------

def columns_of(job):
    """{target: column name} of the mapped columns."""
    return {key: job.headers[i] for i, key in enumerate(job.mapping) if key}


def analyse(job, table=None, checkpoint=lambda share: None):
    """(rows, scope): every row cleaned, matched and decided for the job's owner. ``checkpoint``
    gets the share done (0…1) every ``CHECKPOINT_ROWS`` rows and between the steps."""
    table = table or read_table(job)
    if len(table.headers) != len(job.headers):
        raise ValidationError(_("The file's columns changed since it was mapped."))
    user = job.created_by
    importer = kinds.get(job.kind)
    ctx = importer.context(user, columns_of(job))
    rows = []
    for n, (number, cells) in enumerate(table.rows, start=1):
        rows.append(importer.clean(importer.row_class(number, cells), job.mapping, ctx))
        if n % CHECKPOINT_ROWS == 0:
            checkpoint(0.8 * n / len(table.rows))
    checkpoint(0.8)
    importer.match(rows, ctx)
    checkpoint(0.95)
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


def report_of(job, rows, scope):
    """The validation report as the job's field values: counts, the first errors, the preview."""
    importer = kinds.get(job.kind)
    summary = summary_of(rows)
    flagged = [r for r in rows if r.valid and (r.flag or r.matches)]
    shown = rows[:PREVIEW_ROWS] + flagged[:KEPT_FLAGGED]
    names = importer.match_names(shown, scope)  # the matched records' names: a query per 900, not per row
    return {"summary": summary, "total_rows": len(rows), "error_rows": summary["errors"],
            "errors": [{"row": r.number, "column": c, "message": m} for r in rows for c, m in r.errors][:KEPT_ERRORS],
            "preview": [row_preview(importer, r, scope, names) for r in rows[:PREVIEW_ROWS]],
            "flagged": [row_preview(importer, r, scope, names) for r in flagged[:KEPT_FLAGGED]]}


def validate(job):
    """Validate every row now (in this process) and keep the report, the preview and the rows to decide."""
    rows, scope = analyse(job)
    values = report_of(job, rows, scope)
    for name, value in values.items():
        setattr(job, name, value)
    job.state = State.VALIDATED
    job.save(update_fields=[*values, "state"])
    return job


def validates_inline(job):
    return job.total_rows <= INLINE_ROWS


def request_validation(job):
    """Validate the rows of a mapped job: a small file at once, a big one in the worker (the job
    is ``validating`` until the worker saves the report). Also after new decisions."""
    from .tasks import validate_import

    if job.state not in (State.MAPPED, State.VALIDATED):
        raise ValidationError(_("The rows of this import cannot be validated now."))
    if validates_inline(job):
        return validate(job)
    round_ = job.validation_round + 1
    claimed = ImportJob.objects.filter(pk=job.pk, state=job.state, validation_round=job.validation_round).update(
        state=State.VALIDATING, validation_round=round_, progress=0, step=WAITING, error="")
    if not claimed:
        raise ValidationError(_("This import was changed meanwhile: reload the page."))
    live.clear(job.pk)
    live.report(job.pk, 0, WAITING)  # the first sign of life, for the stalled check
    transaction.on_commit(lambda: validate_import.enqueue(job.pk, round_))
    job.refresh_from_db()
    return job


def validate_when_mapped(job):
    """After an upload: validate when the mapping (given or guessed) has the required columns."""
    if job.state == State.UPLOADED:
        if fields.check(job.kind, job.mapping):
            return job  # the user maps the columns first
        job.state = State.MAPPED
        job.save(update_fields=["state"])
    return request_validation(job)


def validation_stalled(job):
    """Whether a validation has shown no sign of life for ``STALLED_AFTER`` (its worker died, or is
    stuck behind other work): the user may then validate it again."""
    if job.state != State.VALIDATING:
        return False
    report = live.progress(job.pk) or {}
    return time.time() - report.get("at", 0) > STALLED_AFTER.total_seconds()


def validate_in_worker(job_id, round_):
    """The worker's validation of a big file: the same analysis as ``validate``, with progress; the
    report is saved only if the job still waits for this round (a cancel or a new mapping wins)."""
    current = ImportJob.objects.filter(pk=job_id, state=State.VALIDATING, validation_round=round_)
    job = current.select_related("created_by").first()
    if job is None:
        return None
    step = gettext_noop("Validating the rows")

    def checkpoint(share):
        if not current.exists():
            raise Cancelled
        live.report(job_id, 5 + int(90 * share), step)

    try:
        live.report(job_id, 2, gettext_noop("Reading the file"))
        table = read_table(job)
        checkpoint(0)
        rows, scope = analyse(job, table, checkpoint)
        values = report_of(job, rows, scope)
    except Cancelled:
        if not ImportJob.objects.filter(pk=job_id, state=State.VALIDATING).exists():
            live.clear(job_id)  # cancelled; a newer round keeps its own progress
        return job_id
    except Exception as exc:  # noqa: BLE001 - the job says why; the user uploads the file again
        if not isinstance(exc, ValidationError):
            log.exception("validation of import %s failed", job_id)
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
        if current.update(state=State.FAILED, finished_at=timezone.now(), step="", error=message):
            live.clear(job_id)
        return job_id
    if current.update(state=State.VALIDATED, progress=0, step="", **values):
        live.clear(job_id)
    return job_id


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
    if job.state == State.VALIDATING:
        raise ValidationError(_("The rows are still being checked: wait for the preview."))
    if job.state != State.VALIDATED:
        raise ValidationError(_("Validate the file before running the import."))
    set_decisions(job, policy, overrides, skip_errors)
    if job.error_rows and not job.skip_errors:
        raise ValidationError(_("%(count)s rows have errors: correct the file, or choose to skip them.")
                              % {"count": job.error_rows})
    claimed = ImportJob.objects.filter(pk=job.pk, state=State.VALIDATED).update(
        state=State.RUNNING, started_by=user, started_at=timezone.now(), progress=0, step=WAITING, error="")
    if not claimed:
        raise ValidationError(_("This import is already running."))
    live.clear(job.pk)
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    job.refresh_from_db()
    return job


def cancel(job):
    """Stop an import: before it runs (also while its rows are validated), at once; while it runs,
    the worker stops at the next batch and rolls everything back."""
    if job.state == State.RUNNING:
        live.request_cancel(job.pk)
        return job
    if job.finished:
        raise ValidationError(_("This import has already finished."))
    if ImportJob.objects.filter(pk=job.pk, state=job.state).update(state=State.CANCELLED,
                                                                   finished_at=timezone.now(), step=""):
        live.clear(job.pk)  # a validating worker notices the state at its next checkpoint
    job.refresh_from_db()
    return job


def live_progress(job):
    """(progress, step) as the user should see them: the worker's report while it validates or runs."""
    if job.state in (State.VALIDATING, State.RUNNING):
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
