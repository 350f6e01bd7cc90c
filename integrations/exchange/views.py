"""Bank statements: the log, the upload, a statement's card, and the review list of payments."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core import access
from core.views import generic

from ..models import BankStatement, BankStatementLine, ExchangeLog
from . import statements
from .clientbank import StatementError
from .filtersets import StatementFilterSet, StatementLineFilterSet
from .forms import AssignForm, StatementUploadForm
from .tables import StatementLineTable, StatementTable


class StatementListView(generic.ObjectListView):
    model = BankStatement
    filterset_class = StatementFilterSet
    table_class = StatementTable
    add_url_name = "integrations:bankstatement_upload"
    export_name = "bank-statements"

    def get_base_queryset(self):
        return self.get_queryset().select_related("uploaded_by")


class StatementUploadView(generic.RestrictedMixin, View):
    """Heads and administrators upload a statement; errors name the line and field, nothing is stored."""

    model = BankStatement
    template_name = "integrations/exchange/statement_upload.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.can(request.user, access.ADD, BankStatement):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": StatementUploadForm()})

    def post(self, request):
        form = StatementUploadForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > statements.MAX_FILE_SIZE:
                form.add_error("file", _("The file is larger than 10 MB."))
            else:
                try:
                    log = statements.load(upload.name, upload.read(), request.user)
                except StatementError as exc:
                    errors = exc.messages
                else:
                    messages.success(request, load_message(log))
                    return HttpResponseRedirect(log.get_absolute_url())
        return render(request, self.template_name, {"form": form, "errors": errors}, status=400)


def load_message(log):
    return _("Loaded: %(incoming)s incoming payments, %(matched)s registered automatically, %(review)s to "
             "review, %(duplicates)s loaded before, %(outgoing)s outgoing skipped.") % {
        "incoming": log.incoming, "matched": log.matched, "review": log.review, "duplicates": log.duplicates,
        "outgoing": log.outgoing}


class StatementDetailView(generic.ObjectDetailView):
    model = BankStatement
    template_name = "integrations/exchange/statement_detail.html"

    def get_extra_context(self, obj):
        lines = (BankStatementLine.objects.restrict(self.request.user).filter(statement=obj)
                 .select_related("counterparty", "order").order_by("line_no", "pk"))
        return {"lines": lines}


class StatementLineListView(generic.ObjectListView):
    model = BankStatementLine
    filterset_class = StatementLineFilterSet
    table_class = StatementLineTable
    export_name = "bank-payments"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "order")


class StatementLineDetailView(generic.ObjectDetailView):
    model = BankStatementLine
    template_name = "integrations/exchange/line_detail.html"

    def get_object(self, pk, action=access.VIEW):
        return get_object_or_404(self.get_queryset(action).select_related(
            "statement", "counterparty", "order", "invoice", "payment", "resolved_by"), pk=pk)

    def get_extra_context(self, obj, form=None):
        user = self.request.user
        can_change = access.may(user, access.CHANGE, obj)
        return {
            "can_change": can_change,
            "form": form or (AssignForm(user=user, line=obj) if can_change and obj.open else None),
            # The candidates the reader may see (a head sees all; a manager their own clients' orders).
            "candidates": obj.candidates.restrict(user).select_related("counterparty"),
        }


class StatementLineActionView(StatementLineDetailView):
    """POSTs from the line's card; 404 unless the user may change the line."""

    def get(self, request, pk):
        return HttpResponseRedirect(reverse("integrations:bankstatementline", args=[pk]))

    def post(self, request, pk):
        line = self.get_object(pk, access.CHANGE)
        try:
            result = self.act(line)
        except statements.ReviewError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(line.get_absolute_url())
        if isinstance(result, AssignForm):  # invalid: shown again with its errors
            return render(request, self.template_name,
                          {"object": line, **self.get_extra_context(line, form=result)}, status=400)
        messages.success(request, _("Saved: %(name)s") % {"name": line})
        return HttpResponseRedirect(line.get_absolute_url())


class StatementLineAssignView(StatementLineActionView):
    def act(self, line):
        form = AssignForm(self.request.POST, user=self.request.user, line=line)
        if not form.is_valid():
            return form
        return statements.assign(line, form.cleaned_data["order"], self.request.user)


class StatementLineIgnoreView(StatementLineActionView):
    def act(self, line):
        return statements.ignore(line, self.request.user)


class StatementLineReopenView(StatementLineActionView):
    def act(self, line):
        return statements.reopen(line, self.request.user)


class ExchangeLogView(generic.RestrictedMixin, View):
    """The CommerceML exchange log (administrators and heads): the last 200 steps."""

    model = ExchangeLog

    def get(self, request):
        if not access.can_assign(request.user):
            raise PermissionDenied
        entries = ExchangeLog.objects.restrict(request.user).select_related("user")[:200]
        return render(request, "integrations/exchange/exchange_log.html", {
            "entries": entries, "endpoint": request.build_absolute_uri(reverse("integrations:onec_exchange"))})
