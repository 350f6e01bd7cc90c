"""What apps add to shared features, registered in their ``AppConfig.ready()``.

Dependencies point one way: ``core`` never imports an app built on it, and no app imports a
sibling to reach into it. Instead an app registers its contributions here (NetBox-style) and
the core views, commands and tests read the registries:

- ``trash``: models shown in the trash with restore;
- ``calendar_sources``: event sources of the user calendar;
- ``periodic_tasks``: tasks the scheduler enqueues;
- ``demo_loaders`` and ``bench_cases``: demo data and benchmark cases;
- ``dashboard_tiles``, ``card_tabs``, ``card_panels``, ``navigation``, ``navbar_widgets``, ``page_overlays``,
  ``reports``: UI contributions;
- ``attachments``: models whose records take attached files (core.attachments);
- ``rollups``: grouped counts and sums of a table kept by database triggers (core.rollups);
- ``merge_rules``: how merging two counterparties treats the rows of a model pointing at them
  (clients.merge), for relations the generic move does not fit (derived analytics rows);
- ``model_filters`` and ``table_columns``: extra filters of a model's FilterSets and extra
  columns of a list table, contributed by apps that may not be imported by the model's app.

The shape of each registry's items is defined by the module that consumes it (named in the
registry's ``doc``); a registry only keeps them in order, keyed so a re-import cannot add twice.
"""


class Registry:
    """Items under unique keys, iterated by (order, registration order)."""

    def __init__(self, name, doc=""):
        self.name = name
        self.doc = doc
        self._items = {}

    def register(self, key, item, order=100):
        """Add (or replace) ``item`` under ``key``; returns the item, so it works as a decorator."""
        seq = self._items[key][1] if key in self._items else len(self._items)
        self._items[key] = (order, seq, item)
        return item

    def unregister(self, key):
        self._items.pop(key, None)

    def __getitem__(self, key):
        return self._items[key][2]

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(item for _order, _seq, item in sorted(self._items.values(), key=lambda v: v[:2]))

    def __len__(self):
        return len(self._items)

    def keys(self):
        return [key for key, _v in sorted(self._items.items(), key=lambda kv: kv[1][:2])]

    def items(self):
        return [(key, self._items[key][2]) for key in self.keys()]


trash = Registry("trash", "models; core.views.generic.TrashView")
calendar_sources = Registry("calendar_sources", "core.calendar")
periodic_tasks = Registry("periodic_tasks", "core.scheduling")
demo_loaders = Registry("demo_loaders", "core.management.commands.load_demo")
bench_cases = Registry("bench_cases", "core.management.commands.bench")
dashboard_tiles = Registry("dashboard_tiles", "core.dashboard")
card_tabs = Registry("card_tabs", "core.cards")
card_panels = Registry("card_panels", "core.cards: panels beside the card's main data")
model_filters = Registry("model_filters", "core.filtersets")
table_columns = Registry("table_columns", "core.tables")
navigation = Registry("navigation", "core.navigation")
navbar_widgets = Registry("navbar_widgets", "core.navigation: templates included at the right of the bar")
page_overlays = Registry("page_overlays", "core.navigation: floating templates (toasts) outside the collapsible bar")
reports = Registry("reports", "core.reports")
attachments = Registry("attachments", "core.attachments: models whose records take attached files")
merge_rules = Registry("merge_rules", "clients.merge: model label -> 'leave', 'delete' or a callable")
rollups = Registry("rollups", "core.rollups: grouped counts and sums kept by database triggers")

# Kept for the apps that registered this way; the trash reads ``trash``.
TRASH_MODELS = trash


def register_trash(*models):
    for model in models:
        trash.register(model._meta.label_lower, model)
