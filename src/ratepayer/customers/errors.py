class CustomerError(Exception):
    """A customer/service action cannot be done as asked; nothing was changed."""
