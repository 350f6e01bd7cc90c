"""Models that take part in shared features (the trash), registered by their apps."""

TRASH_MODELS = []


def register_trash(*models):
    for model in models:
        if model not in TRASH_MODELS:
            TRASH_MODELS.append(model)
