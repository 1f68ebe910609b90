"""``{% icon "trash" %}``: a Heroicons SVG from the ``heroicons`` package, inline (no CDN, no files).

The ``heroicons`` app need not be installed: its renderer is called directly. Icons are decorative
(``aria-hidden``); the text beside them names the action.
"""

from __future__ import annotations

import heroicons
from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def icon(name: str, size: int = 16, style: str = "micro", css: str = "icon") -> str:
    """The icon ``name`` (Heroicons' names: ``pencil-square``, ``trash``, ``ellipsis-horizontal``…)."""
    if not name:
        return ""
    return mark_safe(
        heroicons._render_icon(style, str(name), size, {"class": css, "aria-hidden": "true", "focusable": "false"})
    )
