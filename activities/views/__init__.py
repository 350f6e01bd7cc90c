"""Views of the activities app, one module per area; the routes are in ``activities/urls.py``."""
