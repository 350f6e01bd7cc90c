"""The knowledge base (SPEC §8): articles on products, competitors, services and procedures, in
categories, with sanitised rich text, attachments and links to products and competitors.

Who writes is a role rule (``EDITOR_ROLES``); everyone reads published articles, drafts only the
editors. Full-text search lives in ``knowledge.search`` (PostgreSQL tsvector / SQLite FTS5).
"""

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Counterparty
from core import access
from core.access import Role
from core.models import AliveManager, AllManager, BaseModel, RestrictedQuerySet, not_trashed
from sales.models import Product

from ..sanitize import html_to_text, sanitize

USER = settings.AUTH_USER_MODEL
# Who writes the knowledge base: administrators, heads, quality specialists, service engineers and
# marketers. Quality specialists and service engineers otherwise only read (writer_roles).
EDITOR_ROLES = frozenset({Role.ADMIN, Role.COMPANY_HEAD, Role.SALES_HEAD, Role.QUALITY, Role.SERVICE,
                          Role.MARKETER})
WRITER_ROLES = frozenset({Role.QUALITY, Role.SERVICE})
MAX_ATTACHMENT_SIZE = 20 * 1024 * 1024


def is_editor(user):
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role in EDITOR_ROLES))


class DraftAwareQuerySet(RestrictedQuerySet):
    """``restrict`` that also hides drafts (``published_path`` false) from those who do not edit."""

    def restrict(self, user, action=access.VIEW, *, walk=False):
        qs = super().restrict(user, action, walk=walk)
        path = self.model.published_path
        return qs if is_editor(user) else qs.filter(**{path: True})


class DraftAliveManager(AliveManager.from_queryset(DraftAwareQuerySet)):
    pass


class DraftAllManager(AllManager.from_queryset(DraftAwareQuerySet)):
    pass


PATH_SEPARATOR = " › "


class ArticleCategory(BaseModel):
    """A section of the knowledge base: refrigerated cases, competitors, procedures…; categories
    form a tree («Холодильное оборудование» › «Витрины»).

    A reference list like the others: administrators keep it (Settings), everyone reads it."""

    settings_model = True

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children",
                               help_text=_("Empty: a top-level category."))
    # The names from the root ("A › B"), kept by save(): lists, selects and the trash show the
    # tree without a query per row.
    path = models.TextField(_("full name"), editable=False, blank=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        ordering = ["path", "pk"]
        constraints = [models.UniqueConstraint(fields=["name"], condition=Q(deleted_at__isnull=True),
                                               name="knowledge_category_unique_name")]

    def __str__(self):
        return self.path or self.name

    def get_absolute_url(self):
        return reverse("knowledge:category_edit", args=[self.pk])

    @classmethod
    def tree(cls):
        """{pk: (parent_id, name)} of every category, trashed ones too: one query (a short list)."""
        return {pk: (parent, name) for pk, parent, name in cls.all_objects.values_list("pk", "parent_id", "name")}

    @staticmethod
    def ancestors(tree, pk):
        """Ids from ``pk`` up to its root (``pk`` first); stops at a loop rather than spinning."""
        chain = []
        while pk is not None and pk not in chain and pk in tree:
            chain.append(pk)
            pk = tree[pk][0]
        return chain

    @staticmethod
    def descendants(tree, pk):
        """``pk`` and the ids of all the categories below it."""
        children = {}
        for node, (parent, _name) in tree.items():
            children.setdefault(parent, []).append(node)
        ids, todo = set(), [pk]
        while todo:
            node = todo.pop()
            if node not in ids:
                ids.add(node)
                todo.extend(children.get(node, ()))
        return ids

    def subtree_ids(self):
        """This category's id and those of all its descendants."""
        return self.descendants(self.tree(), self.pk)

    def clean(self):
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A category cannot be its own parent.")})
        if self.pk is not None and self.pk in self.ancestors(self.tree(), self.parent_id):
            raise ValidationError({"parent": _("“%(parent)s” is inside “%(name)s”: a category cannot be moved into "
                                               "its own subcategory.") % {"parent": self.parent, "name": self.name}})

    @classmethod
    def path_in(cls, tree, pk):
        return PATH_SEPARATOR.join(reversed([tree[node][1] for node in cls.ancestors(tree, pk)]))

    def save(self, *args, **kwargs):
        tree = self.tree() if self.parent_id or self.pk else {}
        if self.pk is not None:
            tree[self.pk] = (self.parent_id, self.name)
        parents = [node for node in self.ancestors(tree, self.parent_id) if node != self.pk]
        self.path = PATH_SEPARATOR.join([*reversed([tree[node][1] for node in parents]), self.name])
        super().save(*args, **kwargs)
        if self.pk in tree:
            # A derived column: written straight to the rows below, no new version or history for them.
            below = self.descendants(tree, self.pk) - {self.pk}
            for pk, path in type(self).all_objects.filter(pk__in=below).values_list("pk", "path"):
                wanted = self.path_in(tree, pk)
                if path != wanted:
                    type(self).all_objects.filter(pk=pk).update(path=wanted)

    def restore(self):
        parent = type(self).all_objects.filter(pk=self.parent_id).first() if self.parent_id else None
        if parent is not None and parent.is_deleted:
            raise ValidationError({"parent": _("The parent category “%(name)s” is in the trash: restore it first.")
                                   % {"name": parent}})
        super().restore()


class Article(BaseModel):
    """A knowledge-base article; ``body`` is sanitised HTML, ``body_text`` its words for search."""

    editor_roles = EDITOR_ROLES
    writer_roles = WRITER_ROLES
    published_path = "published"

    objects = DraftAliveManager()
    all_objects = DraftAllManager()

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        COMPETITOR = "competitor", _("Competitor")
        SERVICE = "service", pgettext_lazy("knowledge kind", "Service")
        PROCEDURE = "procedure", pgettext_lazy("knowledge kind", "Procedure")

    title = models.CharField(pgettext_lazy("knowledge", "title"), max_length=250)
    kind = models.CharField(pgettext_lazy("knowledge", "kind"), max_length=10, choices=Kind.choices,
                            default=Kind.PRODUCT)
    category = models.ForeignKey(ArticleCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="articles")
    body = models.TextField(_("text"), blank=True,
                            help_text=_("HTML: paragraphs, headings h2–h4, lists, bold and italic, links, tables, "
                                        "code. Scripts, styles and images from other sites are removed."))
    body_text = models.TextField(editable=False, blank=True)
    products = models.ManyToManyField(Product, verbose_name=_("products"), blank=True,
                                      related_name="knowledge_articles")
    competitors = models.ManyToManyField(Counterparty, verbose_name=_("competitors"), blank=True,
                                         related_name="knowledge_articles",
                                         limit_choices_to={"is_competitor": True})
    _history_m2m_fields = ("products", "competitors")
    author = models.ForeignKey(USER, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="knowledge_articles")
    published = models.BooleanField(_("published"), default=False,
                                    help_text=_("Drafts are seen by the editors only."))

    class Meta:
        verbose_name = pgettext_lazy("knowledge", "article")
        verbose_name_plural = pgettext_lazy("knowledge", "articles")
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["title", "id"], name="knowledge_article_title",
                                condition=Q(deleted_at__isnull=True))]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:article", args=[self.pk])

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("category", ArticleCategory))

    def clean(self):
        self.title = (self.title or "").strip()
        self.body = sanitize(self.body)

    def save(self, *args, **kwargs):
        # Sanitised on every write, whatever the path (form, API, demo, shell).
        self.body = sanitize(self.body)
        self.body_text = html_to_text(self.body)
        super().save(*args, **kwargs)
        from ..search import index_articles

        index_articles([self.pk])

    def hard_delete(self):
        from ..search import unindex_articles

        unindex_articles([self.pk])
        return super().hard_delete()


def check_competitors(counterparties):
    """Only competitors may be linked as such: a clear field error otherwise."""
    wrong = [str(c) for c in counterparties if not c.is_competitor]
    if wrong:
        raise ValidationError(_("Not a competitor: %(names)s. Mark the client as a competitor first.")
                              % {"names": ", ".join(wrong)})


def attachment_path(instance, filename):
    return f"knowledge/{instance.article_id or 0}/{os.path.basename(filename)}"


def check_size(file):
    if file and getattr(file, "size", None) is not None and file.size > MAX_ATTACHMENT_SIZE:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_ATTACHMENT_SIZE // (1024 * 1024)})


class ArticleAttachment(BaseModel):
    """A file attached to an article; stored under MEDIA_ROOT, downloaded only through a view that
    checks access (media are never served by URL)."""

    editor_roles = EDITOR_ROLES
    writer_roles = WRITER_ROLES
    published_path = "article__published"

    objects = DraftAliveManager()
    all_objects = DraftAllManager()

    article = models.ForeignKey(Article, verbose_name=pgettext_lazy("knowledge", "article"), on_delete=models.CASCADE,
                                related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300, validators=[check_size])
    name = models.CharField(_("name"), max_length=200, blank=True, help_text=_("Empty: the file's name."))

    class Meta:
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")
        ordering = ["article", "name", "pk"]

    def __str__(self):
        return self.name or os.path.basename(self.file.name or "")

    def get_absolute_url(self):
        return self.article.get_absolute_url()

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("article", Article))

    def clean(self):
        if not self.name and self.file:
            self.name = os.path.basename(self.file.name)[:200]
