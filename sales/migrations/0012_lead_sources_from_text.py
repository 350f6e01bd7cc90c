"""Lead sources as a reference list (issue 11): the built-in rows, and each deal's free-text lead
source turned into a link to one (0011 added the link, 0013 drops the text).

Every distinct non-empty text, trimmed, goes to the source named the same whatever the case (a
built-in's English default or old Russian name, or a custom row), else to a new custom row with
that text (the spelling most deals have). One UPDATE per source, not per deal. History rows get
the source their text names; a text found only in history creates nothing and stays empty there.
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Count, F

from sales.defaults import LEAD_SOURCE_NAMES, create_lead_sources

NAME_LENGTH = 150


def _key(text):
    return text.strip().casefold()


def _texts(model):
    """The distinct texts, the most used first: a new source gets the spelling most deals have."""
    # order_by(): the model's ordering would otherwise join the GROUP BY.
    counts = (model._base_manager.exclude(lead_source="").order_by().values_list("lead_source")
              .annotate(n=Count("pk")))
    return [text for text, _n in sorted(counts, key=lambda row: (-row[1], row[0].strip(), row[0]))]


def _known_sources(LeadSource):
    sources = {}
    live_first = F("deleted_at").asc(nulls_first=True)  # live rows win, on PostgreSQL too
    for source in LeadSource._base_manager.order_by(live_first, "order", "pk"):
        entry = LEAD_SOURCE_NAMES.get(source.code)
        for name in [source.name, *(entry if entry else ())]:
            if name:
                sources.setdefault(_key(name), source)
    return sources


def link_deals(apps, schema_editor):
    LeadSource = apps.get_model("sales", "LeadSource")
    create_lead_sources(LeadSource)
    sources = _known_sources(LeadSource)
    for model_name, create in [("Deal", True), ("HistoricalDeal", False)]:
        model = apps.get_model("sales", model_name)
        texts_of = defaultdict(list)  # source pk → the texts naming it
        for text in _texts(model):
            key = _key(text)
            if not key:
                continue
            if key not in sources and create:
                sources[key] = LeadSource._base_manager.create(name=text.strip()[:NAME_LENGTH])
            if key in sources:
                texts_of[sources[key].pk].append(text)
        for pk, texts in texts_of.items():
            model._base_manager.filter(lead_source__in=texts).update(lead_source_link=pk)


def unlink_deals(apps, schema_editor):
    """Back to text: each linked deal (and history row) gets its source's stored name."""
    LeadSource = apps.get_model("sales", "LeadSource")
    names = dict(LeadSource._base_manager.values_list("pk", "name"))
    for model_name in ("Deal", "HistoricalDeal"):
        model = apps.get_model("sales", model_name)
        for pk in model._base_manager.exclude(lead_source_link=None).order_by().values_list(
                "lead_source_link", flat=True).distinct():
            model._base_manager.filter(lead_source_link=pk).update(
                lead_source=names[pk][:NAME_LENGTH], lead_source_link=None)


class Migration(migrations.Migration):
    # Data only: on PostgreSQL, schema changes after these UPDATEs in one transaction would fail
    # ("pending trigger events"), hence three migrations.
    dependencies = [("sales", "0011_leadsource")]

    operations = [migrations.RunPython(link_deals, unlink_deals)]
