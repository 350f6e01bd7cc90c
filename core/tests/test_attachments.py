"""Attachments of clients, deals, orders and complaints (core.attachments; issue 13, item 7)."""

from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from clients.tests.factories import CounterpartyFactory
from core import attachments as service
from core.models import Attachment
from core.tests.factories import attachment_upload
from sales.tests.factories import DealFactory, OrderFactory
from service.tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

CYRILLIC = "Договор поставки №1.pdf"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_of(manager):
    return CounterpartyFactory(main_manager=manager, name="Ромашка")


def panel_url(record):
    return reverse("attachments", args=[record._meta.label_lower, record.pk])


def add_url(record):
    return reverse("attachment_add", args=[record._meta.label_lower, record.pk])


def download(c, attachment):
    return c.get(reverse("attachment_download", args=[attachment.pk]))


def content_of(resp):
    return b"".join(resp.streaming_content)


# --- Upload and download --------------------------------------------------------------------------

def test_upload_and_download_round_trip_with_a_cyrillic_name(client_for, manager, client_of):
    c = client_for(manager)
    card = client_of.get_absolute_url()
    resp = c.post(add_url(client_of), {"file": attachment_upload(CYRILLIC, b"%PDF-1.4 bytes"),
                                       "description": "подписан", "next": card})
    assert resp.status_code == 302 and resp["Location"] == card
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.size, attachment.description) == (CYRILLIC, 14, "подписан")
    assert attachment.uploaded_by == manager and attachment.record == client_of
    assert attachment.mime_type == "application/pdf"
    # Stored under attachments/<app>/<model>/<id>/ with a random, plain name; never a media URL.
    stored = attachment.file.name
    assert stored.startswith(f"attachments/clients/counterparty/{client_of.pk}/") and stored.endswith(".pdf")
    assert stored.isascii() and "Договор" not in stored

    resp = download(c, attachment)
    assert resp.status_code == 200
    assert content_of(resp) == b"%PDF-1.4 bytes"
    assert resp["Content-Disposition"].startswith("attachment;")
    assert f"filename*=utf-8''{quote(CYRILLIC)}" in resp["Content-Disposition"]
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in resp["Cache-Control"]

    panel = c.get(panel_url(client_of), **HTMX)
    assert panel.status_code == 200
    text = panel.content.decode()
    assert CYRILLIC in text and "подписан" in text and str(manager) in text
    assert 'data-testid="attachment-form"' in text


def test_htmx_upload_answers_with_the_panel(client_for, manager, client_of):
    resp = client_for(manager).post(add_url(client_of), {"file": attachment_upload("смета.xlsx")}, **HTMX)
    assert resp.status_code == 200
    assert "смета.xlsx" in resp.content.decode() and 'data-testid="attachments-panel"' in resp.content.decode()
    assert "<html" not in resp.content.decode()


def test_html_is_downloaded_as_bytes_never_rendered(client_for, manager, client_of):
    attachment = service.attach(client_of, b"<script>alert(1)</script>", "page.html", manager)
    resp = download(client_for(manager), attachment)
    assert resp["Content-Type"] == "application/octet-stream"
    assert resp["Content-Disposition"].startswith("attachment;")


def test_attach_service_takes_bytes_and_cleans_the_name(manager, client_of):
    attachment = service.attach(client_of, b"letter", "../../etc/\x00pass\x1fwd", manager,
                                content_type="message/rfc822")
    assert attachment.name == "passwd"
    assert attachment.mime_type == "message/rfc822"  # no extension: as the letter declared it
    assert service.attach(client_of, b"x", "a.pdf", None, content_type="text/plain").mime_type == "application/pdf"
    assert service.attach(client_of, b"x", "noext", None, content_type="bad type").mime_type == \
        "application/octet-stream"
    assert service.clean_name("C:\\Users\\me\\отчёт.docx") == "отчёт.docx"
    assert attachment.file.read() == b"letter"
    assert service.attach(client_of, b"x", "  ", None).name  # an empty name still gets one
    assert service.clean_name("a" * 300 + ".docx").endswith(".docx")
    assert len(service.clean_name("a" * 300 + ".docx")) == 255


def test_attach_refuses_models_without_attachments(manager):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        service.attach(manager, b"x", "a.txt", manager)
    assert "file" in exc.value.message_dict


# --- Validation: size limit and empty files, with the field named ---------------------------------

def test_form_refuses_a_file_over_the_limit_and_an_empty_file(client_for, manager, client_of, settings):
    settings.KLIENTURA_ATTACHMENT_MAX_MB = 1
    c = client_for(manager)
    big = attachment_upload("big.bin", b"x" * (1024 * 1024 + 1))
    resp = c.post(add_url(client_of), {"file": big})
    assert resp.status_code == 400
    assert "larger than 1 MB" in resp.context["form"].errors["file"][0]
    assert 'data-testid="attachment-file-error"' in resp.content.decode()
    resp = c.post(add_url(client_of), {"file": attachment_upload("empty.txt", b"")}, **HTMX)
    assert resp.status_code == 400
    assert resp.context["form"].errors["file"]
    assert 'data-testid="attachment-file-error"' in resp.content.decode()
    resp = c.post(add_url(client_of), {})
    assert resp.status_code == 400 and resp.context["form"].errors["file"]
    assert not Attachment.all_objects.exists()
    # Exactly at the limit is fine.
    resp = c.post(add_url(client_of), {"file": attachment_upload("ok.bin", b"x" * (1024 * 1024))})
    assert resp.status_code == 302


def test_api_refuses_a_file_over_the_limit_and_an_empty_file(api, manager, client_of, settings):
    settings.KLIENTURA_ATTACHMENT_MAX_MB = 1
    c = api(manager)
    data = {"model": "clients.counterparty", "object_id": client_of.pk}
    resp = c.post("/api/attachments/", {**data, "file": attachment_upload("big.bin", b"x" * (1024 * 1024 + 1))},
                  format="multipart")
    assert resp.status_code == 400 and "larger than 1 MB" in resp.json()["file"][0]
    resp = c.post("/api/attachments/", {**data, "file": attachment_upload("e.txt", b"")}, format="multipart")
    assert resp.status_code == 400 and "file" in resp.json()
    resp = c.post("/api/attachments/", {**data, "model": "core.user"}, format="multipart")
    assert resp.status_code == 400 and {"model", "file"} <= set(resp.json())
    assert not Attachment.all_objects.exists()


# --- API ------------------------------------------------------------------------------------------

def test_api_upload_list_retrieve_download_delete_restore(api, manager, client_of):
    c = api(manager)
    other = CounterpartyFactory(main_manager=manager)
    resp = c.post("/api/attachments/", {"model": "clients.counterparty", "object_id": client_of.pk,
                                        "file": attachment_upload(CYRILLIC, b"pdf"), "description": "d"},
                  format="multipart")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["name"], body["size"], body["model"], body["object_id"]) == (CYRILLIC, 3, "clients.counterparty",
                                                                               client_of.pk)
    assert body["uploaded_by"] == manager.pk
    service.attach(other, b"other", "other.txt", manager)

    listed = c.get("/api/attachments/", {"model": "clients.counterparty", "object_id": client_of.pk}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert len(c.get("/api/attachments/").json()["results"]) == 2
    assert c.get("/api/attachments/", {"model": "nope.nope"}).status_code == 400
    assert c.get(f"/api/attachments/{body['id']}/").json()["description"] == "d"

    resp = c.get(body["download"])
    assert resp.status_code == 200 and content_of(resp) == b"pdf"
    assert f"filename*=utf-8''{quote(CYRILLIC)}" in resp["Content-Disposition"]

    assert c.delete(f"/api/attachments/{body['id']}/").status_code == 204
    assert c.get(f"/api/attachments/{body['id']}/").status_code == 404
    assert c.get(body["download"]).status_code == 404
    resp = c.post(f"/api/attachments/{body['id']}/restore/")
    assert resp.status_code == 200
    assert c.get(body["download"]).status_code == 200


# --- Access -----------------------------------------------------------------------------------------

def test_another_managers_client_attachments_are_404_in_the_ui(client_for, manager, teammate, client_of):
    attachment = service.attach(client_of, b"secret", "secret.txt", manager)
    c = client_for(teammate)
    assert c.get(panel_url(client_of)).status_code == 404
    assert c.get(panel_url(client_of), **HTMX).status_code == 404
    assert download(c, attachment).status_code == 404
    resp = c.post(add_url(client_of), {"file": attachment_upload()})
    assert resp.status_code == 404
    delete = reverse("attachment_delete", args=[attachment.pk])
    assert c.get(delete).status_code == 404 and c.post(delete).status_code == 404
    assert Attachment.objects.count() == 1 and not Attachment.all_objects.trashed().exists()
    # A label that takes no attachments, or does not exist: 404 too.
    assert c.get(reverse("attachments", args=["core.user", teammate.pk])).status_code == 404
    assert c.get(reverse("attachments", args=["clients.nothing", 1])).status_code == 404


def test_another_managers_client_attachments_are_hidden_in_the_api(api, manager, teammate, client_of):
    attachment = service.attach(client_of, b"secret", "secret.txt", manager)
    c = api(teammate)
    assert c.get("/api/attachments/").json()["results"] == []
    params = {"model": "clients.counterparty", "object_id": client_of.pk}
    assert c.get("/api/attachments/", params).json()["results"] == []
    assert c.get(f"/api/attachments/{attachment.pk}/").status_code == 404
    assert c.get(f"/api/attachments/{attachment.pk}/download/").status_code == 404
    assert c.delete(f"/api/attachments/{attachment.pk}/").status_code == 404
    # Uploading to someone else's client: the same answer as to a record that does not exist.
    foreign = c.post("/api/attachments/", {**params, "file": attachment_upload()}, format="multipart")
    missing = c.post("/api/attachments/", {**params, "object_id": 10 ** 9, "file": attachment_upload()},
                     format="multipart")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json() and "object_id" in foreign.json()
    assert Attachment.all_objects.count() == 1


def test_heads_see_everything_and_read_only_roles_only_read(client_for, api, manager, head, quality, client_of):
    attachment = service.attach(client_of, b"data", "a.txt", manager)
    assert download(client_for(head), attachment).status_code == 200
    assert client_for(head).post(add_url(client_of), {"file": attachment_upload()}).status_code == 302
    q = client_for(quality)
    assert download(q, attachment).status_code == 200
    panel = q.get(panel_url(client_of), **HTMX)
    assert panel.status_code == 200 and 'data-testid="attachment-form"' not in panel.content.decode()
    assert 'data-testid="attachment-delete"' not in panel.content.decode()
    assert q.post(add_url(client_of), {"file": attachment_upload()}).status_code == 404
    assert q.post(reverse("attachment_delete", args=[attachment.pk])).status_code == 404
    assert api(quality).delete(f"/api/attachments/{attachment.pk}/").status_code == 403
    assert not Attachment.objects.get(pk=attachment.pk).is_deleted


def test_quality_specialists_attach_files_to_complaints(client_for, api, quality, manager, client_of):
    complaint = ComplaintFactory(counterparty=client_of)
    resp = client_for(quality).post(add_url(complaint), {"file": attachment_upload("photo.jpg", b"jpeg")})
    assert resp.status_code == 302
    resp = api(quality).post("/api/attachments/", {"model": "service.complaint", "object_id": complaint.pk,
                                                   "file": attachment_upload("act.pdf", b"pdf")}, format="multipart")
    assert resp.status_code == 201, resp.content
    assert api(quality).delete(f"/api/attachments/{resp.json()['id']}/").status_code == 204


def test_a_manager_sees_the_files_of_their_clients_records_only(api, manager, teammate, client_of):
    deal = DealFactory(counterparty=client_of, responsible=manager)
    theirs = CounterpartyFactory(main_manager=teammate)
    mine = service.attach(deal, b"d", "deal.txt", manager)
    service.attach(OrderFactory(counterparty=theirs, responsible=teammate), b"o", "order.txt", teammate)
    ids = [row["id"] for row in api(manager).get("/api/attachments/").json()["results"]]
    assert ids == [mine.pk]


# --- Trash ------------------------------------------------------------------------------------------

def test_attachments_go_to_the_trash_with_their_record_and_come_back(client_for, api, manager, client_of):
    c = client_for(manager)
    deal = DealFactory(counterparty=client_of, responsible=manager)
    on_client = service.attach(client_of, b"c", "client.txt", manager)
    on_deal = service.attach(deal, b"d", "deal.txt", manager)
    client_of.delete()
    for attachment in (on_client, on_deal):  # the deal's client is in the trash: the deal is hidden too
        assert download(c, attachment).status_code == 404
        assert api(manager).get(f"/api/attachments/{attachment.pk}/download/").status_code == 404
    assert api(manager).get("/api/attachments/").json()["results"] == []
    trash = c.get(reverse("trash")).content.decode()
    assert "client.txt" not in trash  # not restorable on its own: it comes back with the client
    assert c.post(reverse("restore", args=["core.attachment", on_client.pk])).status_code == 404
    client_of.restore()
    assert download(c, on_client).status_code == 200 and download(c, on_deal).status_code == 200
    deal.delete()
    assert download(c, on_deal).status_code == 404 and download(c, on_client).status_code == 200


def test_an_attachment_deleted_alone_goes_to_the_trash_and_is_restored(client_for, manager, client_of):
    c = client_for(manager)
    attachment = service.attach(client_of, b"c", "alone.txt", manager)
    delete = reverse("attachment_delete", args=[attachment.pk])
    assert c.get(delete).status_code == 200
    resp = c.post(delete, {"next": client_of.get_absolute_url()})
    assert resp.status_code == 302 and resp["Location"] == client_of.get_absolute_url()
    assert Attachment.all_objects.get(pk=attachment.pk).is_deleted
    assert download(c, attachment).status_code == 404
    assert "alone.txt" not in c.get(panel_url(client_of), **HTMX).content.decode()
    restore = reverse("restore", args=["core.attachment", attachment.pk])
    assert restore in c.get(reverse("trash")).content.decode()
    assert c.post(restore).status_code == 302
    assert download(c, attachment).status_code == 200
    resp = c.post(delete, **HTMX)  # from the panel: the panel comes back without it
    assert resp.status_code == 200 and "alone.txt" not in resp.content.decode()


def test_purging_a_record_deletes_its_attachments_and_files(manager, client_of, django_capture_on_commit_callbacks):
    deal = DealFactory(counterparty=client_of, responsible=manager)
    on_client = service.attach(client_of, b"c", "client.txt", manager)
    on_deal = service.attach(deal, b"d", "deal.txt", manager)
    kept = service.attach(CounterpartyFactory(main_manager=manager), b"k", "kept.txt", manager)
    names = [on_client.file.name, on_deal.file.name]
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        client_of.hard_delete()  # the deal goes with its client (CASCADE): its files too
    assert list(Attachment.all_objects.values_list("pk", flat=True)) == [kept.pk]
    assert not any(default_storage.exists(n) for n in names)
    assert default_storage.exists(kept.file.name)


# --- The cards ----------------------------------------------------------------------------------------

def test_the_client_card_has_an_attachments_tab_with_the_count(client_for, manager, client_of):
    service.attach(client_of, b"a", "a.txt", manager)
    service.attach(client_of, b"b", "b.txt", manager)
    page = client_for(manager).get(client_of.get_absolute_url()).content.decode()
    assert 'data-testid="attachments-tab"' in page
    assert 'data-testid="attachments-count">2<' in page
    assert panel_url(client_of) in page


def test_the_tab_counts_up_to_99(manager, client_of, monkeypatch):
    monkeypatch.setattr(service, "SHOWN", 2)
    for name in "abc":
        service.attach(client_of, name.encode(), f"{name}.txt", manager)
    assert service.count_for(manager, client_of) == "2+"
    Attachment.objects.get(name="c.txt").delete()  # the trash
    assert service.count_for(manager, client_of) == 2


@pytest.mark.parametrize("kind", ["deal", "order", "complaint"])
def test_deal_order_and_complaint_cards_have_the_attachments_panel(kind, client_for, manager, client_of):
    record = {"deal": lambda: DealFactory(counterparty=client_of, responsible=manager),
              "order": lambda: OrderFactory(counterparty=client_of, responsible=manager),
              "complaint": lambda: ComplaintFactory(counterparty=client_of)}[kind]()
    service.attach(record, b"x", f"{kind}-file.txt", manager)
    resp = client_for(manager).get(record.get_absolute_url())
    assert resp.status_code == 200
    page = resp.content.decode()
    assert 'data-testid="attachments-panel"' in page and f"{kind}-file.txt" in page
    assert add_url(record) in page  # the manager may change the record: the upload form is there
