class LedgerError(Exception):
    """A posting was refused; nothing was written."""


class UnbalancedEntry(LedgerError):
    pass


class MissingPostingRule(LedgerError):
    pass
