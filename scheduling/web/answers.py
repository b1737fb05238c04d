"""Reading a questions page's posted fields (q_<key>) into raw answers for routing."""


def answers_from_form(routing_form, form) -> dict:
    """The raw answers a questions page posts (fields q_<key>), for the routing operations.

    Shared by the public questions page and the admin test page, which posts the same fields.
    """
    raw: dict = {}
    for question in routing_form.questions:
        name = f"q_{question.key}"
        if question.kind == "multiple_choice":
            raw[question.key] = form.getlist(name)
        elif name in form:
            raw[question.key] = form.get(name, "")
    return raw
