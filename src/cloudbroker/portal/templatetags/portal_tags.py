from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ row|get_item:key }}``: a dictionary value by a key held in a variable."""
    if not hasattr(mapping, "get"):
        return ""
    value = mapping.get(key, "")
    return "" if value is None else value
