class BillingError(Exception):
    """A billing action cannot be done as asked; nothing was changed."""
