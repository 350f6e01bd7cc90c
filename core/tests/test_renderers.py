"""The Python widget renderer writes exactly what Django's widget templates write."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from core import renderers

FAST, TEMPLATES = renderers.FastWidgetRenderer(), DjangoTemplates()
TEXT = st.text(alphabet=st.sampled_from(list("ab Я<>&\"'=\n%s0")), max_size=6)
ATTR_VALUE = st.one_of(TEXT, st.booleans(), st.integers(-5, 5), st.just(0), st.just(""),
                       TEXT.map(mark_safe), st.just(gettext_lazy("Client")))
ATTRS = st.dictionaries(st.sampled_from(["class", "id", "data-x", "placeholder", "disabled", "required",
                                         "aria-label", "min"]), ATTR_VALUE, max_size=4)
LABEL = st.one_of(TEXT, TEXT.map(mark_safe), st.just(gettext_lazy("Client")), st.integers(0, 2000))
CHOICE = st.tuples(st.one_of(TEXT, st.integers(0, 99), st.none()), LABEL)
CHOICES = st.lists(st.one_of(CHOICE, st.tuples(TEXT.filter(bool), st.lists(CHOICE, max_size=3))), max_size=5)
INPUTS = [forms.TextInput, forms.NumberInput, forms.EmailInput, forms.URLInput, forms.PasswordInput,
          forms.HiddenInput, forms.DateInput, forms.DateTimeInput, forms.TimeInput, forms.CheckboxInput,
          forms.SearchInput, forms.TelInput, forms.ColorInput]
VALUE = st.one_of(st.none(), TEXT, TEXT.map(mark_safe), st.integers(-3, 3), st.booleans(),
                  st.just(datetime.date(2026, 12, 7)), st.decimals("-1000", "1000", places=2))


def both(widget, name, value, attrs):
    return (widget.render(name, value, attrs, renderer=FAST), widget.render(name, value, attrs, renderer=TEMPLATES))


@settings(max_examples=300, deadline=None)
@given(widget=st.sampled_from(INPUTS), name=TEXT, value=VALUE, attrs=ATTRS, own=ATTRS)
def test_inputs(widget, name, value, attrs, own):
    fast, template = both(widget(attrs=own), name, value, attrs)
    assert fast == template


@settings(max_examples=300, deadline=None)
@given(multiple=st.booleans(), name=TEXT, choices=CHOICES, value=st.one_of(VALUE, st.lists(TEXT, max_size=2)),
       attrs=ATTRS)
def test_selects(multiple, name, choices, value, attrs):
    widget = (forms.SelectMultiple if multiple else forms.Select)(choices=choices)
    fast, template = both(widget, name, value, attrs)
    assert fast == template


@settings(max_examples=100, deadline=None)
@given(name=TEXT, value=st.one_of(st.none(), TEXT, TEXT.map(mark_safe)), attrs=ATTRS)
def test_text_areas(name, value, attrs):
    fast, template = both(forms.Textarea(), name, value, attrs)
    assert fast == template


@pytest.mark.parametrize("widget", [forms.NullBooleanSelect(), forms.RadioSelect(choices=[(1, "a")]),
                                    forms.CheckboxSelectMultiple(choices=[(1, "a")]), forms.ClearableFileInput(),
                                    forms.SplitDateTimeWidget()])
def test_other_widgets_are_the_templates(widget):
    assert both(widget, "w", None, {"class": "x"})[0] == both(widget, "w", None, {"class": "x"})[1]


def test_forms_use_it_and_skip_the_templates(monkeypatch):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), renderers.FastWidgetRenderer)

    def no_template(*args, **kwargs):
        raise AssertionError("a template was rendered")
    monkeypatch.setattr(DjangoTemplates, "render", no_template)
    html = forms.Select(choices=[(1, "<b>"), ("", "—")]).render("s", 1, renderer=FAST)
    assert html == ('<select name="s">\n  <option value="1" selected>&lt;b&gt;</option>\n\n'
                    '  <option value="">—</option>\n\n</select>')
    assert forms.DateInput().render("d", datetime.date(2026, 1, 2), renderer=FAST) == \
        '<input type="text" name="d" value="2026-01-02">'
    assert forms.Textarea().render("t", "a<b", renderer=FAST).startswith('<textarea name="t" cols="40" rows="10">')


@pytest.mark.django_db
def test_a_filter_sidebars_model_select_is_read_in_one_plain_query():
    """Django reads a select's options with iterator(): a server-side cursor on PostgreSQL (DECLARE,
    FETCH, CLOSE). The sidebar reads them in one SELECT, and renders the same options."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from knowledge.filtersets import ArticleFilterSet
    from knowledge.models import Article, ArticleCategory

    ArticleCategory.objects.create(name="Витрины")
    ArticleCategory.objects.create(name="Камеры")
    form = ArticleFilterSet({}, queryset=Article.objects.all()).form
    with CaptureQueriesContext(connection) as queries:
        html = str(form["category"])
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]
    assert ">Витрины</option>" in html and ">Камеры</option>" in html
    assert form.fields["category"].queryset.count() == 2  # the field itself still has its queryset
