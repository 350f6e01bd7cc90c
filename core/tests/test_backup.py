"""Backup and restore: every table's rows and every file come back, in an empty install."""

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from activities.models import InteractionDay
from activities.tests.factories import InteractionFactory, TaskFactory
from clients.models import ContactPerson, Counterparty
from clients.tests.factories import ContactInfoFactory, ContactPersonFactory, CounterpartyFactory
from core import backup, registry
from core.models import User
from sales.models import Deal, DealLine, DealTotal, Document, SaleDay
from sales.services import documents
from sales.tests.factories import DealFactory, OrderFactory, OrderLineFactory, PaymentFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def all_counts():
    """Rows of every table of a Django model (not the manifest's list: checked independently); of a
    rollup, its groups that count rows (a group emptied by a change stays as a zero row until a
    rebuild, and a restore makes none)."""
    counts = backup.row_counts(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with connection.cursor() as cursor:
        for rollup in registry.rollups:
            first = next(iter(rollup.sums))
            cursor.execute(f"SELECT COUNT(*) FROM {rollup.table} WHERE {first} <> 0")  # noqa: S608
            counts[rollup.table] = cursor.fetchone()[0]
    return counts


def media_bytes(root):
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def crm(manager, teammate, head, settings):
    """Some of everything: clients, persons, contacts, interactions, tasks, deals, orders, a
    shipment (its sale day kept by triggers), payments, a generated document (a file in
    MEDIA_ROOT), history rows, a trashed client."""
    cp = CounterpartyFactory(name="Ромашка", main_manager=manager)
    person = ContactPersonFactory(counterparty=cp, last_name="Иванов")
    ContactInfoFactory(counterparty=cp)
    InteractionFactory(counterparty=cp, responsible=manager)
    TaskFactory(author=head, assignee=manager)
    deal = DealFactory(counterparty=cp, responsible=manager, title="Станки")
    DealLine.objects.create(deal=deal, product="Станок", quantity=2, price=100)
    order = OrderFactory(counterparty=cp, responsible=manager)
    ShipmentFactory(line=OrderLineFactory(order=order, quantity=2, price=100), quantity=2)
    PaymentFactory(order=order, amount=50)
    documents.generate("proposal", "docx", deal, manager, language="en")
    cp.name = "Ромашка и партнёры"
    cp.save()  # a second history row
    CounterpartyFactory(name="В корзине", main_manager=teammate).delete()
    person.save()
    (Path(settings.MEDIA_ROOT) / "документы").mkdir(parents=True, exist_ok=True)
    (Path(settings.MEDIA_ROOT) / "документы" / "скан.bin").write_bytes(bytes(range(256)) * 10)
    return cp


def wipe(settings):
    """An empty install: the database flushed and migrated seeds back, MEDIA_ROOT emptied."""
    with backup.constraints_checked_now():
        call_command("flush", "--no-input", verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)


def test_round_trip_restores_every_row_and_file(crm, settings, tmp_path):
    counts, files = all_counts(), media_bytes(settings.MEDIA_ROOT)
    assert Document.objects.exists() and len(files) == 2
    history = [t for t in counts if t.endswith("historicalcounterparty")]
    assert history and counts[history[0]] >= 3
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--output", str(archive), verbosity=0)

    wipe(settings)
    assert not Counterparty.all_objects.exists() and not Path(settings.MEDIA_ROOT).exists()
    call_command("restore", str(archive), verbosity=0)

    assert all_counts() == counts
    assert media_bytes(settings.MEDIA_ROOT) == files
    assert Counterparty.objects.get(pk=crm.pk).name == "Ромашка и партнёры"
    assert Counterparty.all_objects.filter(deleted_at__isnull=False).count() == 1
    doc = Document.objects.get()
    with doc.file.open("rb") as f:
        assert f.read() == files[doc.file.name]
    # New rows get fresh ids (sequences reset on PostgreSQL), and the users can log in again.
    new = CounterpartyFactory(main_manager=User.objects.get(username="manager1"))
    assert new.pk > max(Counterparty.all_objects.exclude(pk=new.pk).values_list("pk", flat=True))
    ContactPerson.objects.create(counterparty=new, last_name="Новый")
    assert Deal.objects.count() == 1
    assert SaleDay.objects.get().amount == 200  # not in the archive: the triggers filled it again
    assert [d.count for d in InteractionDay.objects.all()] == [1]  # the rollups likewise
    assert [(t.count, t.amount) for t in DealTotal.objects.all()] == [(1, Deal.objects.get().amount)]


def test_manifest_describes_the_archive(crm, settings, tmp_path):
    archive = tmp_path / "b.tar.gz"
    manifest = backup.backup(archive)
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        assert json.load(tar.extractfile("manifest.json")) == manifest
    assert names == {"manifest.json", "data.jsonl", *(f"media/{f['path']}" for f in manifest["files"])}
    assert manifest["version"] and manifest["database"] == connection.vendor
    assert manifest["tables"]["clients_counterparty"] == 2
    assert "clients.0001_initial" in manifest["migrations"]
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in manifest["files"])


def test_restore_refuses_a_database_that_is_not_empty(crm, tmp_path):
    archive = tmp_path / "b.tar.gz"
    backup.backup(archive)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))
    crm.name = "Изменено после резервной копии"
    crm.save()
    call_command("restore", str(archive), "--force", verbosity=0)  # replaces everything
    assert Counterparty.objects.get(pk=crm.pk).name == "Ромашка и партнёры"


def test_restore_is_all_or_nothing(crm, settings, tmp_path, monkeypatch):
    archive = tmp_path / "b.tar.gz"
    backup.backup(archive)
    wipe(settings)
    seeded = all_counts()
    real_counts = backup.row_counts
    monkeypatch.setattr(backup, "row_counts", lambda names: {**real_counts(names), "clients_counterparty": 99})
    with pytest.raises(CommandError, match="clients_counterparty"):
        call_command("restore", str(archive))
    monkeypatch.undo()
    assert all_counts() == seeded  # rolled back
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).iterdir())


def test_restore_refuses_a_damaged_archive(crm, settings, tmp_path):
    archive, damaged = tmp_path / "b.tar.gz", tmp_path / "damaged.tar.gz"
    manifest = backup.backup(archive)
    wipe(settings)
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name.startswith("media/"):
                data = b"X" + data[1:]
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged))
    assert not Counterparty.all_objects.exists()
    assert manifest["files"]


def test_restore_refuses_other_migrations(crm, settings, tmp_path, monkeypatch):
    archive = tmp_path / "b.tar.gz"
    backup.backup(archive)
    wipe(settings)
    monkeypatch.setattr(backup, "migrations_applied", lambda: ["clients.0001_initial"])
    with pytest.raises(CommandError, match="other migrations"):
        call_command("restore", str(archive))


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tar")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("restore", str(bogus))
    with tarfile.open(tmp_path / "empty.tar.gz", "w:gz"):
        pass
    with pytest.raises(CommandError, match="Not a Klientura backup"):
        call_command("restore", str(tmp_path / "empty.tar.gz"))


def test_restore_refuses_paths_outside_media_root(tmp_path):
    manifest = {"format": backup.FORMAT, "application": "klientura", "migrations": backup.migrations_applied(),
                "tables": backup.row_counts(backup.tables(backup.dumped_models())),
                "data": {"size": 0, "sha256": ""}, "files": [{"path": "../evil", "size": 1, "sha256": ""}]}
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps(manifest).encode()), ("media/../evil", b"x")):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="Unexpected entry"):
        call_command("restore", str(archive))
    assert not (tmp_path / "evil").exists()
