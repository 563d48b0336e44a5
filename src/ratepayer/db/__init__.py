"""Database mechanisms every app builds on (DESIGN §3, below the domain apps):

- ``bulk``: set-based inserts (COPY on PostgreSQL) and ``gc_paused`` for the batch paths;
- ``lookups``: the ``__among`` lookup (a list as one parameter), registered by ``apps.DbConfig``;
- ``references``: foreign keys checked once per statement (``StatementReferences`` migrations);
- ``triggers``: append-only tables (``make_append_only`` migrations);
- ``money``: exact sums of amounts on both databases (``MoneySum``: whole cents on SQLite).

Nothing here knows a domain; the domain apps and their migrations import it.
"""
