"""Billing rates through the rating package's public interface only
(``from ratepayer import rating`` / ``from ratepayer.rating import ...``),
never its modules' private classes (issue 11: rating_batch subclassed them)."""

from __future__ import annotations

import ast
from pathlib import Path

import ratepayer.billing

BILLING = Path(ratepayer.billing.__file__).parent


def test_billing_imports_only_the_public_rating_interface():
    from ratepayer import rating

    found = []
    for path in sorted(BILLING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ratepayer.rating"):
                if node.module != "ratepayer.rating":
                    found.append(f"{path.name}: from {node.module}")
                found += [f"{path.name}: {a.name} is not public" for a in node.names
                          if node.module == "ratepayer.rating" and a.name not in rating.__all__]
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "rating":
                if node.attr not in rating.__all__:
                    found.append(f"{path.name}: rating.{node.attr} is not public")
    assert found == []
