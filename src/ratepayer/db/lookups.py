"""Lookups of our own, registered on every field by ``ratepayer.db``'s AppConfig."""

from __future__ import annotations

import json

from django.db import models


class Among(models.Lookup):
    """``field__among=ids``: membership in a list passed as ONE parameter.

    ``__in`` with thousands of values prepares each value in Python and sends
    a statement with thousands of placeholders (which psycopg then parses);
    a bill-run chunk does this a dozen times. Here the list travels whole:
    ``= ANY(%s)`` with an array on PostgreSQL, ``IN (SELECT value FROM
    json_each(%s))`` with a JSON array on SQLite. For ints and strings."""

    lookup_name = "among"
    prepare_rhs = False
    can_use_none_as_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            if all(type(v) is int for v in self.rhs):
                # an array literal: psycopg's list adapter inspects every element in Python
                return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, "{" + ",".join(map(str, self.rhs)) + "}"]
            return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(self.rhs)]



def register_lookups() -> None:
    """Make ``__among`` available on every field and relation (from DbConfig.ready)."""
    models.Field.register_lookup(Among)
    models.ForeignObject.register_lookup(Among)
