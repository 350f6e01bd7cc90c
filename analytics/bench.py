"""Placeholder (bench case comes next)."""


def register():
    pass
