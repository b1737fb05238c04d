"""Problems: an InvalidRequest that names every wrong field at once, for the admin forms."""

from scheduling.errors import InvalidRequest


class Problems(InvalidRequest):
    """Several things wrong at once, each with the form field it belongs to ("" for none)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(
            " ".join(message for _, message in problems),
            {name: message for name, message in problems if name},
        )
        self.problems = list(problems)


def refuse_if(problems: list[tuple[str, str]]) -> None:
    """Raise Problems when there are any, so a form shows all its mistakes in one go."""
    if problems:
        raise Problems(problems)
