"""Sending one email: SMTP (STARTTLS, implicit TLS or plain) or, with no host set, a file.

The file fallback keeps the README's offline demo honest: messages land in instance/mail/ as
.eml files (open them with any mail client) and the log says where.
"""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from scheduling.remote.netguard import Deadline

log = logging.getLogger(__name__)


class MailError(Exception):
    """Sending failed; `permanent` when retrying cannot help (e.g. recipient refused)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def mail_folder(instance_path: str) -> Path:
    """Where the no-MAIL_HOST mode writes .eml files (the retention pass deletes old ones)."""
    return Path(instance_path) / "mail"


def send(config, instance_path: str, message: EmailMessage, file_name: str) -> str:
    """Deliver the message; return where it went."""
    if not config.get("MAIL_HOST"):
        return write_file(mail_folder(instance_path), message, file_name)
    return send_smtp(config, message)


def write_file(folder: Path, message: EmailMessage, file_name: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_name}.eml"
    path.write_bytes(bytes(message))
    log.info("No MAIL_HOST configured: wrote the email to %s", path)
    return str(path)


def send_smtp(config, message: EmailMessage) -> str:
    host, port = config["MAIL_HOST"], int(config["MAIL_PORT"])
    security = (config.get("MAIL_SECURITY") or "starttls").lower()
    timeout = float(config.get("MAIL_TIMEOUT") or 20)
    context = ssl.create_default_context()
    if security == "tls":
        client = smtplib.SMTP_SSL(timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(timeout=timeout)
    # Connected below, under the deadline; TLS (implicit or STARTTLS) checks the certificate
    # against the name smtplib keeps from its constructor, which had none to keep.
    client._host = host
    # MAIL_TIMEOUT bounds the whole conversation: a server that answers a byte at a time would
    # otherwise hold the worker as long as it likes (the socket timeout bounds each read only).
    deadline = Deadline(client, timeout)
    try:
        with deadline, client:
            client.connect(host, port)
            if security == "starttls":
                client.starttls(context=context)
            if config.get("MAIL_USERNAME"):
                client.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            refused = client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        if deadline.fired:
            raise MailError(f"SMTP timed out: no complete exchange within {timeout:g} s") from None
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            raise MailError(f"Recipient refused: {exc.recipients}", permanent=True) from None
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            raise MailError(f"SMTP login failed: {exc.smtp_code} {exc.smtp_error!r}") from None
        raise MailError(f"SMTP error: {exc}") from None
    if deadline.fired:
        raise MailError(f"SMTP timed out: no complete exchange within {timeout:g} s")
    if refused:
        raise MailError(f"Recipients refused: {sorted(refused)}", permanent=True)
    return f"smtp://{host}:{port}"
