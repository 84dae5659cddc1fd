"""Repositories: load and store one kind of thing inside a unit of work. They never commit."""
