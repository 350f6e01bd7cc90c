import datetime

from django.utils import translation

from core.tables import Column, Table


class Row:
    pk = 7
    name = "<b>Ромашка</b> & Co"
    amount = 1234.5
    created_at = datetime.date(2026, 3, 1)

    def get_absolute_url(self):
        return "/clients/7/?a=1&b=2"


class RowTable(Table):
    selectable = True
    default_sort = "name"
    name = Column("Name", order_by="name", linkify=True)
    amount = Column("Amount", css="text-end")
    created_at = Column("Created")
    shown = Column("Shown", render=lambda o: "<i>raw</i>")


def test_rows_are_escaped_localized_and_selectable():
    with translation.override("ru"):
        html = RowTable([Row()]).body_html(selectable=True)
    assert html == (
        '<tr><td><input type="checkbox" class="form-check-input row-select" name="pk" value="7" '
        'aria-label="Выбрать"></td>'
        '<td><a href="/clients/7/?a=1&amp;b=2">&lt;b&gt;Ромашка&lt;/b&gt; &amp; Co</a></td>'
        '<td class="text-end">1234,5</td><td>01.03.2026</td><td>&lt;i&gt;raw&lt;/i&gt;</td></tr>')


def test_rows_without_selection_match_the_cells():
    table = RowTable([Row(), Row()])
    html = table.body_html()
    assert html.count("<tr>") == 2 and "checkbox" not in html
    cells = "".join(f"<td{' class=' + chr(34) + css + chr(34) if css else ''}>{cell}</td>"
                    for cell, css in table.body()[0][1])
    assert html.startswith(f"<tr>{cells}</tr>")
