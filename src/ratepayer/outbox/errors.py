"""Errors of the outbox, with messages a clerk can act on."""


class OutboxError(Exception):
    """A message cannot be queued or retried as asked. Nothing was changed."""

    code = "outbox_refused"
    http_status = 400
