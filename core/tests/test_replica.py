"""Reports read from the replica (``DATABASE_REPLICA_URL``); writes and other pages never do.

The replica here is a second connection to the test database (as Django's test ``MIRROR`` does),
so the test commits (transactional) and tells the two apart by the queries each connection ran.
"""

import re

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from core import dbrouter

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, dbrouter.REPLICA])
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture(scope="module", autouse=True)
def declared(django_db_setup, django_db_blocker):
    """Before the tests' database set-up checks the aliases they use (module scope runs first);
    the test database exists by then, so the mirror points at it."""
    default = connections.settings[DEFAULT_DB_ALIAS]
    connections.settings[dbrouter.REPLICA] = {**default, "TEST": {**default["TEST"], "MIRROR": DEFAULT_DB_ALIAS}}
    yield
    connections[dbrouter.REPLICA].close()
    del connections[dbrouter.REPLICA]
    del connections.settings[dbrouter.REPLICA]


@pytest.fixture
def replica():
    return connections[dbrouter.REPLICA]


def sql(captured):
    return [q["sql"] for q in captured.captured_queries]


def test_a_report_reads_from_the_replica_and_writes_to_the_primary(replica, head, client_for):
    c = client_for(head)
    with CaptureQueriesContext(replica) as on_replica, \
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        page = c.get(reverse("report", args=["complaint-processing"]), {"by": "type"})
    assert page.status_code == 200
    read = sql(on_replica)
    assert any("service_complaint" in q for q in read)  # the report's rows came from the replica
    assert not [q for q in read if WRITE.match(q)]
    primary = sql(on_primary)
    assert not [q for q in primary if "service_complaint" in q]
    assert [q for q in primary if WRITE.match(q) and "core_reportpreference" in q]  # remembered filters


def test_other_pages_and_every_write_use_the_primary(replica, head, client_for):
    cp = CounterpartyFactory(name="Реплика")
    with CaptureQueriesContext(replica) as on_replica:
        assert client_for(head).get(reverse("clients:counterparty_list")).status_code == 200
    assert sql(on_replica) == []
    with dbrouter.replica_reads():
        assert dbrouter.read_alias() == dbrouter.REPLICA
        with CaptureQueriesContext(replica) as on_replica:
            assert Counterparty.objects.get(pk=cp.pk).name == "Реплика"  # read there…
            Counterparty.objects.filter(pk=cp.pk).update(city="Тверь")  # …written here
        assert len(sql(on_replica)) == 1 and not WRITE.match(sql(on_replica)[0])


def test_without_a_replica_reports_read_the_primary(head, client_for, monkeypatch):
    monkeypatch.delitem(connections.settings, dbrouter.REPLICA)
    assert not dbrouter.configured()
    with dbrouter.replica_reads():
        assert dbrouter.read_alias() == DEFAULT_DB_ALIAS
    assert client_for(head).get(reverse("report", args=["complaint-processing"])).status_code == 200


PRIMARY_ONLY = ("django_session", "core_user", "core_reportpreference", "core_savedfilter")


def test_every_report_reads_only_from_the_replica(replica, head, client_for):
    from core import registry

    c = client_for(head)
    for report in registry.reports:
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
            assert c.get(report.get_url()).status_code == 200, report.slug
        elsewhere = [q for q in sql(on_primary) if q.lstrip().upper().startswith(("SELECT", "WITH"))
                     and not any(table in q for table in PRIMARY_ONLY)]
        assert not elsewhere, (report.slug, elsewhere[:2])
