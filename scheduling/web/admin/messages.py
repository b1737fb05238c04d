"""Messages made below the web layer (errors.Message), shown in the page's language."""

from flask_babel import gettext

from scheduling.errors import Message


def shown_message(message: str) -> str:
    """A Message translated with its msgid and values; any other text as it is."""
    if isinstance(message, Message):
        return gettext(message.template, **message.params)
    return message
