"""Sample rows of every owner-scoped model and probes of the routes generic code cannot guess.

The generated access matrix (core/tests/test_access_matrix.py) builds, for an owner, one row of
every model with ``owner_scoped = True`` and walks every route and API endpoint of those models.
Apps contribute from their ``tests/factories.py`` (imported by ``load_contributions``):

    @samples.sample(Deal)
    def deal_sample(world):
        return DealFactory(counterparty=world.get(Counterparty), responsible=world.owner,
                           title=world.text("deal"))

    samples.probe("sales:deal_move", method="post", action=access.CHANGE, target=Deal,
                  data=lambda world, deal: {...})

A model without a sample, or a route / API action of an owner-scoped model that is neither
generic (list, card, edit, delete, history; API CRUD, history, restore) nor probed, fails the
meta-tests: a new app cannot forget them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

from core import access

SAMPLES = {}  # model -> builder(world) -> saved instance
PROBES = {}  # URL name ("app:name", or "api:<basename>-<action url name>") -> Probe


def sample(model):
    """Register the builder of ``model``'s sample row (a decorator)."""

    def register(builder):
        SAMPLES[model] = builder
        return builder

    return register


@dataclass(frozen=True)
class Probe:
    """How to exercise a route the generic walk does not understand.

    ``kind="row"``: the route acts on one row of ``target`` (its pk goes into the URL's ``pk``);
    a persona allowed ``action`` on the owner's row gets a status below 400, others get 404 and
    nothing changes. ``kind="list"``: the route lists rows; the owner's texts must be absent
    for a persona who does not see them (and present when ``positive`` and they do).
    """

    method: str = "get"
    kind: str = "row"
    action: str = access.VIEW
    target: type | None = None
    data: Callable | None = None  # (world, target row or None) -> dict (POST body / GET query)
    kwargs: Callable | None = None  # (world) -> URL kwargs, when not {"pk": target row's pk}
    positive: bool = True
    extra: dict = field(default_factory=dict)


def probe(name, **kwargs):
    PROBES[name] = Probe(**kwargs)
    return PROBES[name]


def owner_scoped_models():
    return [m for m in apps.get_models() if getattr(m, "owner_scoped", False)]


def all_rows(model):
    """Every row, the trash included (derived rows, such as analysis results, have no trash)."""
    return getattr(model, "all_objects", model._default_manager).all()


def tracked_fields(model):
    """What a refused request must not change: version and trash state, or every field of a
    derived row (it has neither)."""
    if getattr(model, "derived", False):
        return [f.attname for f in model._meta.concrete_fields]
    return ["version", "deleted_at"]


def load_contributions():
    """Import every installed app's ``tests.factories``: they register samples and probes."""
    autodiscover_modules("tests.factories")


class World:
    """One owner's client and one row of every owner-scoped model, texts marked with ``token``."""

    def __init__(self, owner, token):
        self.owner = owner
        self.token = token
        self.rows = {}

    def text(self, label):
        return f"{self.token} {label}"

    def get(self, model):
        if model not in self.rows:
            self.rows[model] = SAMPLES[model](self)
        return self.rows[model]

    def build(self):
        for model in owner_scoped_models():
            self.get(model)
        return self

    def state(self):
        """What a refused request must not change: each sample's version and trash state, and counts."""
        rows = {m: (all_rows(type(o)).filter(pk=o.pk).values_list(*tracked_fields(type(o))).first())
                for m, o in self.rows.items()}
        counts = {m: all_rows(m).count() for m in self.rows}
        return rows, counts
