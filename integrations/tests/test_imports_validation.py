"""Validation of a big file in the worker (issue 13, item 1): the job is ``validating`` with a
progress bar, then ``validated`` with its preview; the API answers 202 and is polled; cancel, a new
mapping and a stalled worker; small files are still validated at once; access."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from clients.models import Counterparty
from integrations.imports import clients as importer
from integrations.imports import live, samplefile, services
from integrations.models import ImportJob

pytestmark = pytest.mark.django_db
State = ImportJob.State
BIG = services.INLINE_ROWS + 100  # just over the inline limit: validated in the worker
TASK = "integrations.imports.tasks.validate_import"


@pytest.fixture(autouse=True)
def frequent_checkpoints(monkeypatch):
    monkeypatch.setattr(services, "CHECKPOINT_ROWS", 500)  # several progress reports for BIG rows


def big_csv(rows=BIG):
    return SimpleUploadedFile("big.csv", samplefile.csv_bytes(rows, encoding="cp1251"), content_type="text/csv")


def queued_rounds(job_id):
    """The rounds of the validation tasks queued for the job, oldest first."""
    tasks = DBTaskResult.objects.filter(task_path=TASK).order_by("enqueued_at")
    return [t.args_kwargs["args"][1] for t in tasks if t.args_kwargs["args"][0] == job_id]


def work_off(job_id):
    """What the worker does with the last validation task queued for the job."""
    services.validate_in_worker(job_id, queued_rounds(job_id)[-1])
    return ImportJob.objects.get(pk=job_id)


def queue_big_job(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.validate_when_mapped(services.create_job(user, big_csv()))
    return job


@pytest.fixture
def reports(monkeypatch):
    """Every progress report the worker writes, as (progress, step)."""
    seen = []
    real = live.report

    def record(job_id, progress, step):
        seen.append((progress, step))
        real(job_id, progress, step)

    monkeypatch.setattr(live, "report", record)
    return seen


def test_a_big_file_is_validated_in_the_worker_with_progress(manager, reports, django_capture_on_commit_callbacks):
    job = queue_big_job(manager, django_capture_on_commit_callbacks)
    assert (job.state, job.total_rows, job.summary, job.preview) == (State.VALIDATING, BIG, {}, [])
    assert queued_rounds(job.pk) == [1]
    assert services.live_progress(job) == (0, "Waiting for the worker…")
    assert not services.validation_stalled(job)
    reports.clear()
    job = work_off(job.pk)
    assert job.state == State.VALIDATED, job.error
    assert job.summary["create"] == BIG and job.error_rows == 0 and len(job.preview) == services.PREVIEW_ROWS
    progress = [p for p, _step in reports]
    assert progress == sorted(progress) and len(progress) >= 6 and 0 < progress[-1] <= 95
    assert {step for _p, step in reports} == {"Reading the file", "Validating the rows"}
    assert live.progress(job.pk) is None  # cleared: the preview is the result
    # Nothing was written, and the run starts from here as after an inline validation.
    assert not Counterparty.all_objects.exists()
    services.start(job, manager)
    assert ImportJob.objects.get(pk=job.pk).state == State.RUNNING


def test_a_small_file_is_still_validated_at_once(manager):
    job = services.validate_when_mapped(services.create_job(manager, big_csv(services.INLINE_ROWS)))
    assert job.state == State.VALIDATED and job.summary["create"] == services.INLINE_ROWS
    assert queued_rounds(job.pk) == []


def test_the_page_shows_the_progress_then_the_preview(client_for, manager, django_capture_on_commit_callbacks):
    c = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(reverse("integrations:import_add"), {"file": big_csv(), "kind": "clients"})
    assert resp.status_code == 302
    job = ImportJob.objects.get()
    assert job.state == State.VALIDATING
    status_url = reverse("integrations:import_status", args=[job.pk])
    page = c.get(job.get_absolute_url()).content.decode()
    assert 'data-state="validating"' in page and f'hx-get="{status_url}"' in page
    assert 'data-testid="mapping"' in page and 'data-testid="preview"' not in page
    assert 'data-testid="cancel"' in page and 'data-testid="validation-stalled"' not in page
    live.report(job.pk, 40, "Validating the rows")  # the worker halfway
    status = c.get(status_url)
    assert status.status_code == 200 and "HX-Refresh" not in status
    assert "40 %" in status.content.decode() and "Validating the rows" in status.content.decode()
    work_off(job.pk)
    status = c.get(status_url)
    assert status["HX-Refresh"] == "true"  # the poll reloads the page: the preview
    page = c.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="preview"' in page and "import-status" not in page and "Импорт" in page
    # New decisions (Apply): the preview of a big file is computed again in the worker.
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(reverse("integrations:import_decisions", args=[job.pk]), {"policy": "skip_matches"})
    assert resp.status_code == 302 and queued_rounds(job.pk) == [1, 2]
    assert 'data-state="validating"' in c.get(job.get_absolute_url()).content.decode()
    job = work_off(job.pk)
    assert (job.state, job.policy) == (State.VALIDATED, "skip_matches")


def test_the_api_answers_202_and_is_polled(api, manager, django_capture_on_commit_callbacks):
    c = api(manager)
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post("/api/imports/", {"file": big_csv(), "kind": "clients"}, format="multipart")
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert body["state"] == "validating" and body["summary"] == {} and body["stalled"] is False
    job_id = body["id"]
    live.report(job_id, 50, "Validating the rows")
    polled = c.get(f"/api/imports/{job_id}/").json()
    assert (polled["state"], polled["progress"], polled["step"]) == ("validating", 50, "Validating the rows")
    # No run before the report is there.
    resp = c.post(f"/api/imports/{job_id}/run/", {"policy": "update_tax_id"}, format="json")
    assert resp.status_code == 400 and "still being validated" in resp.content.decode()
    work_off(job_id)
    polled = c.get(f"/api/imports/{job_id}/").json()
    assert polled["state"] == "validated" and polled["summary"]["create"] == BIG and polled["progress"] == 0
    # A new mapping: 202 again, a new round.
    mapping = polled["mapping"][:2] + [""] * (len(polled["mapping"]) - 2)
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(f"/api/imports/{job_id}/mapping/", {"mapping": mapping}, format="json")
    assert resp.status_code == 202 and resp.json()["state"] == "validating"
    assert queued_rounds(job_id) == [1, 2]
    assert work_off(job_id).state == State.VALIDATED
    # Decisions with the run: a big file is not validated again in the request (the run does it).
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(f"/api/imports/{job_id}/run/", {"policy": "skip_matches"}, format="json")
    assert resp.status_code == 202 and resp.json()["state"] == "running"
    services.run(job_id)
    assert c.get(f"/api/imports/{job_id}/").json()["created_count"] == BIG


def test_cancel_during_validation(api, manager, reports, monkeypatch, django_capture_on_commit_callbacks):
    job = queue_big_job(manager, django_capture_on_commit_callbacks)
    real = importer.ClientImporter.clean
    cancelled = []

    def cancel_midway(self, row, mapping, ctx):
        if row.number == 1000 and not cancelled:  # the user presses Cancel while the worker validates
            cancelled.append(api(manager).post(f"/api/imports/{job.pk}/cancel/").json()["state"])
        return real(self, row, mapping, ctx)

    monkeypatch.setattr(importer.ClientImporter, "clean", cancel_midway)
    reports.clear()
    job = work_off(job.pk)
    assert cancelled == ["cancelled"]
    assert job.state == State.CANCELLED and job.summary == {} and job.preview == []
    assert max(p for p, _step in reports) < 50  # stopped at the next checkpoint, not at the end
    assert live.progress(job.pk) is None
    assert api(manager).post(f"/api/imports/{job.pk}/mapping/", {"mapping": job.mapping},
                             format="json").status_code == 400


def test_cancel_on_the_page_before_the_worker_starts(client_for, manager, django_capture_on_commit_callbacks):
    job = queue_big_job(manager, django_capture_on_commit_callbacks)
    resp = client_for(manager).post(reverse("integrations:import_cancel", args=[job.pk]), follow=True)
    assert 'data-testid="import-cancelled"' in resp.content.decode()
    job = work_off(job.pk)  # the queued task finds nothing to do
    assert job.state == State.CANCELLED and job.summary == {}


def test_a_new_mapping_supersedes_the_validation_under_way(manager, django_capture_on_commit_callbacks):
    job = queue_big_job(manager, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_mapping(job, ["name"] + [""] * (len(job.headers) - 1))
        services.request_validation(job)
    old, new = queued_rounds(job.pk)
    services.validate_in_worker(job.pk, old)  # the first task, late: it does not save its report
    job.refresh_from_db()
    assert (job.state, job.summary) == (State.VALIDATING, {})
    services.validate_in_worker(job.pk, new)
    job.refresh_from_db()
    values = job.preview[0]["values"]  # the new mapping's: the name only
    assert job.state == State.VALIDATED and "tax_id" not in values and values["contacts"] == ""


def test_a_stalled_validation_is_said_and_can_be_started_again(client_for, api, manager, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    """The worker died while validating (its task never ends): after STALLED_AFTER without a
    report the page and the API say so, and checking the rows again queues a new round."""
    job = queue_big_job(manager, django_capture_on_commit_callbacks)
    c = client_for(manager)
    later = time.time() + services.STALLED_AFTER.total_seconds() + 1
    monkeypatch.setattr(services.time, "time", lambda: later)
    assert services.validation_stalled(job)
    assert 'data-testid="validation-stalled"' in c.get(job.get_absolute_url()).content.decode()
    assert api(manager).get(f"/api/imports/{job.pk}/").json()["stalled"] is True
    mapping = {f"col_{i}": key for i, key in enumerate(job.mapping)}
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(reverse("integrations:import_mapping", args=[job.pk]), mapping)
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.state == State.VALIDATING and queued_rounds(job.pk) == [1, 2]
    monkeypatch.undo()
    assert not services.validation_stalled(job)
    assert work_off(job.pk).state == State.VALIDATED


def test_a_failure_in_the_worker_fails_the_job_with_the_reason(client_for, manager, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    job = queue_big_job(manager, django_capture_on_commit_callbacks)

    def broken(self, rows, ctx):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(importer.ClientImporter, "match", broken)
    job = work_off(job.pk)
    assert job.state == State.FAILED and "the disk went away" in job.error and job.finished_at
    page = client_for(manager).get(job.get_absolute_url()).content.decode()
    assert "The rows could not be checked" in page and "/status/" not in page  # no more polling


def test_another_managers_validating_job_is_not_found(api, client_for, manager, teammate,
                                                      django_capture_on_commit_callbacks):
    job = queue_big_job(manager, django_capture_on_commit_callbacks)
    assert client_for(teammate).get(job.get_absolute_url()).status_code == 404
    assert client_for(teammate).get(reverse("integrations:import_status", args=[job.pk])).status_code == 404
    assert client_for(teammate).post(reverse("integrations:import_cancel", args=[job.pk])).status_code == 404
    assert api(teammate).get(f"/api/imports/{job.pk}/").status_code == 404
    assert api(teammate).post(f"/api/imports/{job.pk}/cancel/").status_code == 404
    assert api(teammate).post(f"/api/imports/{job.pk}/mapping/", {"mapping": job.mapping},
                              format="json").status_code == 404
    assert ImportJob.objects.get(pk=job.pk).state == State.VALIDATING
    assert queued_rounds(job.pk) == [1]
