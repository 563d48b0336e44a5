from django.conf import settings


def console(request):
    from ratepayer.staff import permissions

    user = getattr(request, "user", None)
    return {
        "utility_name": settings.UTILITY_NAME,
        "caps": permissions.capabilities(user) if user is not None else frozenset(),
    }
