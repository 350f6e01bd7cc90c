"""Read an HTML form the way a browser submits it: what an unchanged "Save" posts back."""

import datetime
import re

import lxml.html

DATETIME_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$")


def _sanitize(input_type, value):
    """HTML value sanitization: a value the input type cannot hold becomes empty, as in a browser."""
    if input_type == "date":
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return ""
        return value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else ""
    if input_type == "datetime-local":
        return value if DATETIME_LOCAL.match(value) else ""
    if input_type == "number":
        return value if re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", value) else ""
    if input_type in ("text", "search", "tel", "password", "email", "url"):
        return value.replace("\r", "").replace("\n", "")
    return value


def find_form(html, has_field="version"):
    """The post form that carries ``has_field`` (an edit page may hold other forms)."""
    doc = lxml.html.document_fromstring(html)
    for form in doc.forms:
        if (form.get("method") or "").lower() == "post" and form.xpath(f".//*[@name='{has_field}']"):
            return form
    raise AssertionError(f"no post form with a '{has_field}' field")


def form_values(form):
    """(name, value) pairs a browser posts when the form is submitted untouched."""
    values = []
    for el in form.inputs:
        name = el.get("name")
        if not name or "disabled" in el.attrib:
            continue
        tag = el.tag.lower()
        if tag == "textarea":
            text = el.text or ""
            values.append((name, text[1:] if text.startswith("\n") else text))
        elif tag == "select":
            options = el.xpath(".//option")
            chosen = [o for o in options if "selected" in o.attrib]
            if "multiple" not in el.attrib and not chosen and options:
                chosen = options[:1]  # a single select shows (and posts) its first option
            values += [(name, o.get("value", o.text_content())) for o in chosen]
        else:
            input_type = (el.get("type") or "text").lower()
            if input_type in ("submit", "image", "reset", "file", "button"):
                continue
            if input_type in ("checkbox", "radio"):
                if "checked" in el.attrib:
                    values.append((name, el.get("value", "on")))
                continue
            values.append((name, _sanitize(input_type, el.get("value", ""))))
    return values


def as_post_data(pairs):
    data = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data
