"""A routing form's question rows as the pure routing package sees them."""

from scheduling import routing as rt
from scheduling.models import RoutingForm


def questions_of(form: RoutingForm) -> list[rt.Question]:
    """The pure view of a form's questions, in order."""
    result = []
    for row in form.questions:
        show_if = None
        if row.show_if:
            show_if = rt.ShowIf(
                row.show_if.get("question", ""),
                row.show_if.get("operator", "equals"),
                row.show_if.get("value"),
            )
        result.append(
            rt.Question(
                key=row.key,
                label=row.label,
                kind=row.kind,
                required=row.required,
                help_text=row.help_text,
                choices=tuple(
                    rt.Choice(
                        str(c.get("value", "")), str(c.get("label", "")), int(c.get("points", 0))
                    )
                    for c in row.choices or []
                ),
                min_value=row.min_value,
                max_value=row.max_value,
                points_yes=row.points_yes,
                points_no=row.points_no,
                show_if=show_if,
                purpose=row.purpose,
            )
        )
    return result
