"""The navigation every page shows: only the pages the user's roles open."""

from django.utils.functional import SimpleLazyObject

from web.nav import navigation, rights_of, section_of


def navigation_context(request) -> dict:
    """Add ``rights`` (what the user may open) and ``nav`` (the menu) lazily: pages that never show them pay nothing."""
    rights = SimpleLazyObject(lambda: rights_of(request))
    return {
        "rights": rights,
        "nav": SimpleLazyObject(lambda: navigation(rights)),
        "nav_section": section_of(request.path),
    }
