"""``{% icon "trash" %}``: a Heroicons SVG from the ``heroicons`` package, inline (no CDN, no files).

The ``heroicons`` app need not be installed: its renderer is called directly. Icons are decorative
(``aria-hidden``); the text beside them names the action.
"""

from __future__ import annotations

import functools

import heroicons
from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@functools.lru_cache(maxsize=256)
def svg(name: str, size: int = 16, style: str = "micro", css: str = "icon") -> str:
    """The icon ``name`` as inline SVG (Heroicons' names: ``pencil-square``, ``trash``…), rendered
    once per process: a long list repeats the same few icons on every row."""
    if not name:
        return ""
    return mark_safe(
        heroicons._render_icon(style, name, size, {"class": css, "aria-hidden": "true", "focusable": "false"})
    )


@register.simple_tag
def icon(name: str, size: int = 16, style: str = "micro", css: str = "icon") -> str:
    return svg(str(name or ""), int(size), str(style), str(css))
