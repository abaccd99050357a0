"""SHA-256 digests as agentpack writes them everywhere: 64 lowercase hexadecimal characters."""

_HEX = frozenset("0123456789abcdef")


def is_sha256(text: object) -> bool:
    """Whether ``text`` is a lowercase hex SHA-256 digest (64 characters), safe to use as a file name."""
    return isinstance(text, str) and len(text) == 64 and _HEX.issuperset(text)


def are_sha256(texts) -> bool:
    """Whether every one of ``texts`` is such a digest, checked in one pass (a lock lists thousands)."""
    texts = list(texts)
    if not all(isinstance(text, str) and len(text) == 64 for text in texts):
        return False
    joined = "".join(texts)
    # Deleting the hex digits leaves nothing exactly when there is nothing else: one C pass.
    return joined.isascii() and not joined.encode("ascii").translate(None, b"0123456789abcdef")
