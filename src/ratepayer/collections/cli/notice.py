"""``ratepayer collections notice --document FILE.json [--out NOTICE.pdf] [--email]``

Renders a collection notice from a notice document in JSON (the fields of
``collections.documents.NoticeDocument``, as ``NoticeDocument.as_dict()`` writes
them; ``-`` reads standard input) — to see a notice in a language, try a template
or a translation without building an account. Writes the PDF to ``--out``;
``--email`` prints the e-mail's subject and body. A document that cannot be
printed is refused naming the field. No database needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import CommandError

from ratepayer.collections.documents import (
    NoticeDocument,
    NoticeDocumentError,
    notice_email,
    render_notice_pdf,
)

HELP = "render a collection notice (PDF, e-mail text) from a notice document in JSON"


def add_arguments(parser) -> None:
    parser.add_argument("--document", required=True, help="the notice document, JSON (- for standard input)")
    parser.add_argument("--out", help="write the PDF here")
    parser.add_argument("--email", action="store_true", help="print the e-mail's subject and body")


def handle(command, options) -> None:
    source = options["document"]
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--document: cannot read {source}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--document: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise CommandError("--document: a notice document is a JSON object of its fields")
    try:
        doc = NoticeDocument.from_dict(data)
    except NoticeDocumentError as exc:
        raise CommandError(str(exc)) from None
    if not options.get("out") and not options.get("email"):
        raise CommandError("say what to make: --out NOTICE.pdf, --email or both")
    if options.get("out"):
        pdf = render_notice_pdf(doc)
        Path(options["out"]).write_bytes(pdf)
        command.stdout.write(f"{doc.kind} notice for account {doc.account_number} ({doc.language}): "
                             f"{options['out']}, {len(pdf):,} bytes")
    if options.get("email"):
        subject, body = notice_email(doc)
        command.stdout.write(f"Subject: {subject}\n\n{body}")
