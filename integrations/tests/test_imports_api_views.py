"""Imports through the API and the pages: upload → mapping → preview → run, and who may import."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from clients.models import Counterparty
from integrations.imports import services
from integrations.models import ImportJob
from integrations.tests.factories_imports import make_job

pytestmark = pytest.mark.django_db
State = ImportJob.State

TEXT = ("Наименование;ИНН;Телефон;Контактное лицо\r\n"
        "ООО Альфа;7707083893;+7 916 123-45-67;Петров Пётр\r\n"
        "ООО Бета;7736050003;;\r\n")


def csv(text=TEXT):
    return SimpleUploadedFile("clients.csv", text.encode("cp1251"), content_type="text/csv")


def work_off(job_id):
    """What the worker does with the queued task."""
    assert DBTaskResult.objects.filter(args_kwargs__args=[job_id]).exists()
    services.run(job_id)


def test_api_upload_validate_run_and_follow(api, manager, django_capture_on_commit_callbacks):
    c = api(manager)
    resp = c.post("/api/imports/", {"file": csv(), "kind": "clients"}, format="multipart")
    assert resp.status_code == 201, resp.content
    job = resp.json()
    assert job["mapping"] == ["name", "tax_id", "phone", "person_name"]
    assert job["state"] == "validated" and job["summary"]["create"] == 2 and job["encoding"] == "cp1251"
    assert [r["values"]["name"] for r in job["preview"]] == ["ООО Альфа", "ООО Бета"]
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(f"/api/imports/{job['id']}/run/", {"policy": "update_tax_id"}, format="json")
    assert resp.status_code == 202, resp.content
    assert resp.json()["state"] == "running"
    work_off(job["id"])
    resp = c.get(f"/api/imports/{job['id']}/")
    assert resp.json()["state"] == "done" and resp.json()["created_count"] == 2 and resp.json()["progress"] == 100
    assert Counterparty.objects.filter(main_manager=manager).count() == 2
    # Running twice is refused.
    assert c.post(f"/api/imports/{job['id']}/run/", {}, format="json").status_code == 400


def test_api_with_a_mapping_and_errors(api, manager):
    c = api(manager)
    text = "A;B\r\nООО Гамма;7707083894\r\n"
    resp = c.post("/api/imports/", {"file": csv(text), "mapping": json.dumps(["name", "tax_id"])}, format="multipart")
    assert resp.status_code == 201, resp.content
    job = resp.json()
    assert job["errors"][0]["row"] == 2 and job["errors"][0]["column"] == "B"
    resp = c.post(f"/api/imports/{job['id']}/run/", {}, format="json")
    assert resp.status_code == 400 and "errors" in resp.content.decode()
    # Unknown fields and broken mappings are 400s naming the problem, never a 500.
    assert c.post("/api/imports/", {"file": csv(text), "mapping": "[1"}, format="multipart").status_code == 400
    resp = c.post("/api/imports/", {"file": csv(text), "mapping": json.dumps(["nope", ""])}, format="multipart")
    assert resp.status_code == 400 and "nope" in resp.content.decode()
    resp = c.post("/api/imports/", {"file": SimpleUploadedFile("x.csv", b"")}, format="multipart")
    assert resp.status_code == 400
    resp = c.post(f"/api/imports/{job['id']}/mapping/", {"mapping": ["name", ""]}, format="json")
    assert resp.status_code == 200 and resp.json()["summary"]["errors"] == 0
    resp = c.post(f"/api/imports/{job['id']}/cancel/")
    assert resp.status_code == 200 and resp.json()["state"] == "cancelled"


def test_who_may_import(api, client_for, manager, teammate, quality, marketer):
    assert not services.may_import(quality) and services.may_import(marketer) and services.may_import(manager)
    assert api(quality).post("/api/imports/", {"file": csv()}, format="multipart").status_code == 403
    assert client_for(quality).get(reverse("integrations:import_add")).status_code == 403
    job = make_job(manager)
    # The teammate neither sees nor runs the manager's job.
    assert api(teammate).get(f"/api/imports/{job.pk}/").status_code == 404
    assert api(teammate).post(f"/api/imports/{job.pk}/run/", {}, format="json").status_code == 404
    assert client_for(teammate).get(job.get_absolute_url()).status_code == 404
    assert [j["id"] for j in api(teammate).get("/api/imports/").json()["results"]] == []


def test_pages_upload_map_preview_run(client_for, manager, django_capture_on_commit_callbacks):
    c = client_for(manager)
    assert c.get(reverse("integrations:import_list")).status_code == 200
    text = "Клиент;Код\r\nООО Дельта;7707083893\r\n"
    resp = c.post(reverse("integrations:import_add"), {"file": csv(text), "kind": "clients"})
    assert resp.status_code == 302
    job = ImportJob.objects.get()
    page = c.get(job.get_absolute_url()).content.decode()
    # «Клиент» is guessed as the name: a small file is validated at once, the mapping stays editable.
    assert 'data-testid="mapping"' in page and 'data-testid="preview"' in page and job.state == State.VALIDATED
    resp = c.post(reverse("integrations:import_mapping", args=[job.pk]), {"col_0": "name", "col_1": "tax_id",
                                                                          "remember": "on"})
    assert resp.status_code == 302
    page = c.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="preview"' in page and "ООО Дельта" in page
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(reverse("integrations:import_decisions", args=[job.pk]),
                      {"policy": "update_tax_id", "run": "1"})
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.state == State.RUNNING
    status_url = reverse("integrations:import_status", args=[job.pk])
    assert f'hx-get="{status_url}"' in c.get(job.get_absolute_url()).content.decode()
    work_off(job.pk)
    status = c.get(reverse("integrations:import_status", args=[job.pk])).content.decode()
    assert 'data-state="done"' in status and "100 %" in status and "hx-get" not in status
    assert Counterparty.objects.get(name="ООО Дельта").tax_id == "7707083893"


def test_a_bad_upload_is_shown_on_the_form(client_for, manager):
    resp = client_for(manager).post(reverse("integrations:import_add"),
                                    {"file": SimpleUploadedFile("x.csv", b"\r\n\r\n"), "kind": "clients"})
    assert resp.status_code == 400 and "empty" in resp.content.decode()
