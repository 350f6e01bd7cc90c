"""The analysis computation (set-based SQL): see docs/analytics.md for the definitions."""


def compute(run):
    raise NotImplementedError  # being written by the lead
