"""The account's collections tab is built from panels, so each part of the
app adds its own (arrangements, contracts, deposits, write-offs) without
touching the others' code: ``register_panel(key, title, template, context,
order)`` from the part's ``AppConfig.ready`` (or its module's import).

``context(request, account, on) -> dict | None`` reads what the panel shows
(a fixed number of queries); ``None`` leaves the panel out for that account.
The template is rendered with that dict plus ``account`` and ``on``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: object  # a template name, or a loaded template (engines[...].from_string)
    context: Callable
    order: int = 100


_panels: dict[str, Panel] = {}


def register_panel(key: str, title: str, template, context: Callable, order: int = 100) -> None:
    _panels[key] = Panel(key, title, template, context, order)


def registered() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def render_panels(request, account, on: date) -> list[dict]:
    """[{key, title, html}] for the account's tab, in order."""
    out = []
    for panel in registered():
        extra = panel.context(request, account, on)
        if extra is None:
            continue
        context = {"account": account, "on": on, **extra}
        html = (render_to_string(panel.template, context, request=request) if isinstance(panel.template, str)
                else panel.template.render(context, request))
        out.append({"key": panel.key, "title": panel.title, "html": html})
    return out
