"""Repositories: load and store one kind of thing inside a unit of work. They never commit."""


class StaleBatch(Exception):
    """A bulk write was prepared (read, checked, sealed) before its transaction, and what it was
    prepared against changed meanwhile: nothing of it may be written. Roll back and prepare it
    again (``handlers.imports``)."""

    def __init__(self, what: str):
        super().__init__(f"{what} while the import was being prepared")
