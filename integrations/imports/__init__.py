"""Import of clients with their contact persons and contact information (issue 13, item 1)."""


def register():
    """Called from IntegrationsConfig.ready(): the menu entry, the bench case and the worker task."""
    from . import bench, tasks, ui  # noqa: F401  (tasks: the worker finds run_import by its path)

    ui.register()
    bench.register()
