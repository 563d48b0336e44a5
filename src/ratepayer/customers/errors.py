class CustomerError(Exception):
    """A customer/service action cannot be done as asked; nothing was changed."""


class PossibleDuplicate(CustomerError):
    """The new customer looks like one on file (same name, tax ID or address).

    Nothing was created; the clerk checks ``matches`` and, if it is a new
    customer after all, asks again with the duplicate confirmed (audited)."""

    code = "possible_duplicate"

    def __init__(self, matches):
        self.matches = list(matches)
        shown = "; ".join(f"account {m.account_number} {m.customer_name} ({', '.join(m.reasons)})"
                          for m in self.matches[:5])
        more = f" and {len(self.matches) - 5} more" if len(self.matches) > 5 else ""
        super().__init__(f"This may be a customer already on file: {shown}{more}. Open their account, or confirm "
                         "that this is a new customer.")
