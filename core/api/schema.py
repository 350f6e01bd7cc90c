"""OpenAPI post-processing: the error responses every operation can give, with their bodies.

drf-spectacular documents the success response only; clients (and schemathesis in the test
suite) must also know the errors. The bodies are those of core.api.exceptions and DRF:
``{"detail": …}`` for 401 / 403 / 404 / 429, field → messages for 400, and 409 with the
current record.
"""

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Field name → list of messages (``non_field_errors`` for the whole record, "
                   "nested objects for nested fields), or ``detail`` for a malformed request.",
    "additionalProperties": {},
}
CONFLICT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["conflict", "in_use"]},
        "current": {"type": "object", "additionalProperties": {},
                    "description": "The record as it is now: reapply the change to it."},
    },
    "required": ["detail", "code"],
}
COMPONENTS = {"Error": ERROR, "ValidationError": VALIDATION_ERROR, "Conflict": CONFLICT}

DESCRIPTIONS = {
    "400": ("ValidationError", "Invalid input: the body names the fields."),
    "401": ("Error", "Not authenticated: send Authorization: Token <key>."),
    "403": ("Error", "Your role may not do this."),
    "404": ("Error", "No such record, or you may not see it."),
    "409": ("Conflict", "The record was changed by someone else since the version you sent "
            "(or, deleting a settings row, live records still use it)."),
    "429": ("Error", "Too many requests (or too many failed logins): try again later."),
}
WRITES = {"put", "patch", "delete", "post"}


def error_codes(path, method, operation):
    """The error statuses an operation can answer with."""
    authenticated = any(requirement for requirement in operation.get("security", [{}]))
    params = operation.get("parameters", [])
    codes = {"400"} if (params or "requestBody" in operation or method in WRITES) else set()
    if authenticated:
        codes |= {"401", "403"}
    query = {p.get("name") for p in params if p.get("in") == "query"}
    if "{" in path or query & {"cursor", "user"}:
        codes.add("404")  # a hidden or missing record (also ?user= of the calendar), a bad cursor
    if method in ("put", "patch", "delete") or path.endswith(("/restore/", "/move/", "/merge/")):
        codes |= {"404", "409"}
    if not authenticated:
        codes.add("429")  # the login throttle and lock-out
    return codes


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in sorted(error_codes(path, method, operation)):
                component, description = DESCRIPTIONS[code]
                operation["responses"].setdefault(code, {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                })
    return result
