"""The verbs of ``ratepayer collections <verb>``: one module per verb, each with ``HELP``,
``add_arguments(parser)`` and ``handle(command, options)``; the management command
``collections/management/commands/collections.py`` lists them in ``VERBS``. A new verb
is a new module here and one line in ``VERBS``."""
