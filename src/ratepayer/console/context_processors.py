from django.conf import settings


def console(request):
    from ratepayer.staff import permissions

    from .nav import bar_for, links_for

    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    links = links_for(user) if authenticated else []
    return {
        "utility_name": settings.UTILITY_NAME,
        "caps": permissions.capabilities(user) if user is not None else frozenset(),
        "nav_links": links,
        "nav_bar": bar_for(links, request.path),
    }
