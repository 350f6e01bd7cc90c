"""HTML → PDF with WeasyPrint, shared by documents and report exports.

WeasyPrint needs the Pango library from the system; it is imported on first use so that the
rest of Klientura runs without it, and a missing library gives a clear error instead of a crash.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


class PdfUnavailable(RuntimeError):
    pass


def html_to_pdf(html, base_url=None):
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango / HarfBuzz shared libraries not installed
        raise PdfUnavailable(_(
            "PDF output needs the Pango library: on Debian run "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0 (%(error)s)"
        ) % {"error": exc}) from exc
    return HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).write_pdf()


def render_pdf(template_name, context, request=None):
    """Render a Django template to PDF bytes."""
    return html_to_pdf(render_to_string(template_name, context, request=request))
