from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    # The label is the app's name; Python's own ``collections`` is never imported relatively.
    name = "ratepayer.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from .actions import policy

        policy.register_approval_handlers()  # collection policy changes (maker-checker)
