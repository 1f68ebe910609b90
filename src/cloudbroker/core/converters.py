"""URL converters shared by every app's ``urls.py`` (registered once, on import)."""

from django.urls import register_converter

__all__ = ["FileFormatConverter"]


class FileFormatConverter:
    """``<fmt:file_format>``: the file formats of imports and exports."""

    regex = "csv|xlsx|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FileFormatConverter, "fmt")
