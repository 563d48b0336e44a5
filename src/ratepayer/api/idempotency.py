"""Idempotency keys: a write request sent twice is done once.

Every POST of the API carries an ``Idempotency-Key`` header (any string of 1
to 255 printable characters the client chooses, a UUID for instance).

* The key is stored with a fingerprint of the request (method, path, body —
  for a file upload the form fields and each file's sha256, since the
  multipart boundary differs between two sends of the same file) and the
  response, **in the same transaction as the action**: a crash leaves both
  or neither, never an action without its key.
* The same key again with the same request returns the stored response
  (status and body) with ``Idempotent-Replayed: true``; the action is not
  done again.
* The same key with a different request is refused: 409
  ``idempotency_key_reused``.
* Two sends at the same moment: the second waits on the key's unique index
  until the first commits, then replays its response.
* Only answers that did something (2xx) are kept. A refusal changed nothing,
  so the key is not used up: the client may correct the cause and retry
  with the same key.

Keys belong to the token's user; two users' keys never collide.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json

from django.db import IntegrityError, transaction
from ninja.responses import NinjaJSONEncoder, Status
from pydantic import BaseModel

from .errors import ApiError
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        for name in sorted(request.POST):
            digest.update(json.dumps([name, request.POST.getlist(name)]).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                file_hash = hashlib.sha256()
                for piece in upload.chunks():
                    file_hash.update(piece)
                upload.seek(0)
                digest.update(json.dumps([name, upload.name, file_hash.hexdigest()]).encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _key(request) -> str:
    key = request.headers.get(HEADER, "")
    if not key.strip():
        raise ApiError(400, "idempotency_key_required",
                       f"Send an '{HEADER}' header with every POST (a new random value, such as a UUID, per "
                       "action; the same value when you retry it). Nothing was changed.")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(400, "idempotency_key_invalid",
                       f"The '{HEADER}' header must be 1 to {MAX_KEY_LENGTH} printable characters. "
                       "Nothing was changed.")
    return key


def _jsonable(data):
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    return json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def _replay(stored: IdempotencyKey, print_: str):
    if stored.fingerprint != print_:
        raise ApiError(409, "idempotency_key_reused",
                       f"The '{HEADER}' {stored.key!r} was used for another request "
                       f"({stored.method} {stored.path} on {stored.created_at:%Y-%m-%d %H:%M} UTC with another "
                       "body). Use a new key for a new action. Nothing was changed.")
    return Status(stored.status_code, stored.response)


SECRET_SHOWN_ONCE = "(shown once, in the first answer; it is not kept)"


def idempotent(view, secret: tuple[str, ...] = ()):
    """Wrap a POST endpoint: require the key, replay or run-and-store.

    ``secret``: top-level fields of the answer (a temporary password) that are
    not stored with the key: a replay answers them as ``SECRET_SHOWN_ONCE``."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = _key(request)
        print_ = fingerprint(request)
        user = request.auth
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
        if stored is not None:
            request.idempotent_replay = True
            return _replay(stored, print_)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        user=user, key=key, fingerprint=print_, method=request.method, path=request.path[:500],
                        status_code=0, response={})
            except IntegrityError:
                row = None
            if row is None:
                # Another send of this key committed while we were on our way.
                stored = IdempotencyKey.objects.get(user=user, key=key)
                request.idempotent_replay = True
                return _replay(stored, print_)
            result = view(request, *args, **kwargs)
            if isinstance(result, Status):
                status, data = result.status_code, result.value
            else:
                status, data = result if isinstance(result, tuple) else (200, result)
            payload = _jsonable(data)
            if status >= 300:
                # a refusal returned, not raised: it changed nothing; the key stays free
                transaction.set_rollback(True)
                return Status(status, payload)
            stored_payload = payload
            if secret and isinstance(payload, dict):
                stored_payload = {k: (SECRET_SHOWN_ONCE if k in secret else v) for k, v in payload.items()}
            IdempotencyKey.objects.filter(pk=row.pk).update(status_code=status, response=stored_payload)
        return Status(status, payload)

    # ninja resolves string annotations in the wrapper's module; give it the view's, resolved there.
    wrapper.__signature__ = inspect.signature(view, eval_str=True)
    wrapper.idempotent = True
    return wrapper
