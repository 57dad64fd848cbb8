"""Evidence: everything a diagnosis reads, gathered once per request into an immutable snapshot."""

from .snapshot import LogExcerpt, ReadError, Snapshot

__all__ = ["LogExcerpt", "ReadError", "Snapshot"]
