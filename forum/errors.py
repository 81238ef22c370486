"""The errors a rule raises: one module below services, tokens and uploads, so each imports it
at the top instead of from an area module."""


class DomainError(Exception):
    """A rule refused the change; `message` is shown to the person (translatable)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class ValidationErrors(DomainError):
    """Several fields are wrong at once: `errors` maps each to its message."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(next(iter(errors.values())), field=next(iter(errors)))
        self.errors = errors
