"""Strict reading of settings from the environment (Healthchecks-style).

A value that cannot be parsed stops the start-up with an error naming the variable: a typo
such as ``DEBUG=tru`` must not silently mean "off". Any variable may instead be given as
``NAME_FILE`` (a path, e.g. a Docker or systemd secret): the file's content without the
trailing newline is the value. Setting both is an error.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


def env(name, default=None, environ=None):
    """The raw string value of ``name`` (or of the file named by ``NAME_FILE``), else ``default``."""
    environ = os.environ if environ is None else environ
    value, path = environ.get(name), environ.get(f"{name}_FILE")
    if path is not None:
        if value is not None:
            raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
        try:
            with open(path, encoding="utf-8") as fh:
                value = fh.read()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}.") from None
        value = value.removesuffix("\n").removesuffix("\r")
    return default if value is None else value


def env_str(name, default="", environ=None):
    return env(name, default, environ)


def env_bool(name, default=False, environ=None):
    value = env(name, None, environ)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of 1/true/yes/on or 0/false/no/off.")


def env_int(name, default=0, environ=None, min_value=None):
    value = env(name, None, environ)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if min_value is not None and number < min_value:
        raise ImproperlyConfigured(f"{name}={number} must be at least {min_value}.")
    return number


def env_list(name, default="", environ=None):
    """A comma-separated list; blanks are dropped."""
    return [item.strip() for item in env(name, default, environ).split(",") if item.strip()]
