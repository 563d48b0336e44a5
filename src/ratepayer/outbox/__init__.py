"""The outbox: e-mail written in the business transaction, delivered after commit.

A domain action never talks to a mail relay. It calls ``queue_message``
inside its own transaction, so the message exists exactly when the business
change does: a rolled-back import leaves no notice about a return that never
happened, and a relay that is down cannot make an import fail. After commit a
background task (``outbox.tasks.deliver_message``) sends it; every ``ratepayer
worker`` also sweeps for due messages, so a message whose task was lost (a
killed worker, a relay that was down) goes out on a later attempt, with
exponential backoff, until it is sent or it has failed ``OUTBOX_MAX_ATTEMPTS``
times and waits for a supervisor (the console's Outgoing e-mail page)."""
