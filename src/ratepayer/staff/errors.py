"""Errors the staff layer raises, with messages a clerk can act on."""


class StaffError(Exception):
    """Base class."""


class PermissionRefused(StaffError):
    """The user's role does not allow this action. Nothing was changed."""


class ApprovalError(StaffError):
    """An approval request cannot be decided as asked."""


class LoginThrottled(StaffError):
    """Too many failed sign-ins."""
