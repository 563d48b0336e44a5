"""Django format modules (``FORMAT_MODULE_PATH``): U.S. number and date formats
in every language the utility's customers read (DESIGN §2).

A U.S. utility bills U.S. customers in dollars: a Spanish or Russian bill, the
console in Spanish or Russian, and every e-mail print "$1,234.56" and U.S. dates
("02/14/2025"), not the conventions of Spain or Russia ("1.234,56", "14.02.2025").
The Spanish and Russian modules re-export the U.S. settings (English uses
Django's own U.S. formats); a new language adds one more two-line module here
(docs/operator-guide/languages.md).
"""
