"""What the README promises, read from the README itself, for tests that hold it to its word."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_QUOTED = re.compile(r"`([^`]+)`")


def section(title: str) -> str:
    """The text of the README section headed ``## title``, up to the next such heading."""
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def troubleshooting_symptoms() -> list[str]:
    """Every quoted text in the symptom column of the troubleshooting table, as a user would search for it."""
    symptoms = []
    for line in section("Troubleshooting").splitlines():
        if not line.startswith("| ") or line.startswith(("| symptom", "|---")):
            continue
        symptom_cell = line.split("|")[1]
        symptoms += _QUOTED.findall(symptom_cell)
    return symptoms
