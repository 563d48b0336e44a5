from django.conf import settings


def console(request):
    from ratepayer.staff import permissions

    from .nav import links_for

    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return {
        "utility_name": settings.UTILITY_NAME,
        "caps": permissions.capabilities(user) if user is not None else frozenset(),
        "nav_links": links_for(user) if authenticated else [],
    }
