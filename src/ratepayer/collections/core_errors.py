"""Errors of the collections backbone (policy, daily job, service orders): a
message a clerk can act on, the field it is about and a stable API code.
Nothing is changed when one is raised."""

from __future__ import annotations


class CollectionsCoreError(Exception):
    code = "collections_refused"

    def __init__(self, message: str, *, field: str = ""):
        self.field = field
        super().__init__(message)


class PolicyError(CollectionsCoreError):
    code = "collection_policy_refused"


class ServiceOrderError(CollectionsCoreError):
    code = "service_order_refused"


class CollectionRunError(CollectionsCoreError):
    code = "collections_run_refused"
