"""Parsing of the API's numeric query and path parameters."""

# Ids are 64-bit signed integers in every supported database.
MAX_ID = 2**63 - 1


def whole_number(raw: str, maximum: int = MAX_ID) -> int | None:
    """``raw`` as an integer from 0 to ``maximum``, or ``None`` if it is not one.

    Stricter than ``int()``: no sign, no spaces, no underscores, ASCII
    digits only, so what the client sent is exactly what is used. The bound
    keeps a huge number from reaching the database driver, which would fail
    on it instead of finding nothing.
    """
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(maximum)):
        return None
    number = int(raw)
    return number if number <= maximum else None
