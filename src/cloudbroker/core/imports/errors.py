"""The one error the file layer raises."""

from __future__ import annotations

from cloudbroker.core.errors import DomainError

__all__ = ["ImportFileRefused"]


class ImportFileRefused(DomainError):
    """The uploaded file cannot be read as a whole (format, size, structure or safety).

    Problems with individual rows are not refusals: rows are validated later by a row schema and
    reported one by one. A refusal means nothing from the file can be used.
    """

    code = "import_file_refused"
    status = 422
    default_message = "The file cannot be imported."
