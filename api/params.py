"""Parsing of the API's numeric query and path parameters."""


def whole_number(raw: str) -> int | None:
    """``raw`` as a non-negative integer, or ``None`` if it is not one.

    Stricter than ``int()``: no sign, no spaces inside, no underscores, ASCII
    digits only, so what the client sent is exactly what is used.
    """
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None
