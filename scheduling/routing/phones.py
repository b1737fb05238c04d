"""Phone numbers: validate and normalise to E.164 with Google's libphonenumber rules.

Pure: no Flask, no DB, no clock.
"""

from scheduling.errors import N_


def normalise_phone(raw: str, region: str | None = None) -> str:
    """The number in E.164 (+4930123456); ValueError with a message people understand."""
    import phonenumbers  # about 1 MB: loaded by the first phone question, not in every worker

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError(
            N_("Enter the number with its country code, for example +49 30 1234567.")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(N_("This is not a valid phone number. Check the digits and country code."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
