"""The one error of the expectation language: what is wrong, and at which column of which line."""

from __future__ import annotations

__all__ = ["ExpectationSyntaxError"]


class ExpectationSyntaxError(ValueError):
    """A line the grammar does not accept; ``column`` is 1-based."""

    def __init__(self, message: str, column: int, text: str = "") -> None:
        self.message = message
        self.column = column
        self.text = text
        where = f"column {column}"
        if text:
            where += f" of {text!r}\n  {text}\n  {' ' * (column - 1)}^"
        super().__init__(f"{message} (at {where})")
