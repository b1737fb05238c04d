"""Data subject requests, operations: find across every kind, never another organisation's
data, rectify, erase (rows stay for the counts, pending messages dropped, mail files deleted),
audit entries without the address, and erasure requests with their due date."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import (
    AuditEntry,
    Booking,
    ConsentRecord,
    Lead,
    OutboxMessage,
    PrivacyRequest,
    WebhookDelivery,
    WidgetAttribution,
)
from scheduling.operations.privacy_requests import close_request, due_date, request_erasure
from scheduling.operations.subject_export import export_subject
from scheduling.operations.subject_requests import (
    audit_request,
    erase_subject,
    find_subject,
    rectify_subject,
    subject_hash,
)
from tests.conftest import FROZEN_NOW
from tests.subject_world import INES, INES_LOWER, OTTO, PHONE, build_world


@pytest.fixture
def world(app, make_event_type, tmp_path, monkeypatch, frozen_now):
    return build_world(app, make_event_type, tmp_path, monkeypatch)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_find_collects_every_kind_case_insensitively(world):
    found = find_subject(world.org.id, "  ines.INVITEE@example.COM ", world.mail_dir)
    assert found.email == INES_LOWER
    assert [b.id for b in found.bookings] == [world.booking.id]
    assert {lead.id for lead in found.leads} == {world.booked_lead.id, world.open_lead.id}
    assert [a.booking_id for a in found.attributions] == [world.booking.id]
    assert [c.id for c in found.consent_decisions] == [world.consent.id]
    # The confirmation and the two reminders to her; not the host's emails about her booking.
    assert sorted(m.topic for m in found.emails) == [
        "booking.confirmation",
        "booking.reminder",
        "booking.reminder",
    ]
    assert all(m.payload["recipient"] == "invitee" for m in found.emails)
    # booking.created (by its booking) and lead.qualified (by the body naming her lead).
    assert sorted(m.topic for m in found.webhook_messages) == ["booking.created", "lead.qualified"]
    assert [d.result for d in found.webhook_deliveries] == ["ok"]
    assert [f.path for f in found.mail_files] == [world.ines_file]
    assert found.counts() == {
        "bookings": 1,
        "leads": 2,
        "attributions": 1,
        "consent_decisions": 1,
        "emails": 3,
        "webhook_messages": 2,
        "webhook_deliveries": 1,
        "mail_files": 1,
    }


def test_another_organisations_data_is_never_found(world):
    other = find_subject(world.other_org.id, INES, world.mail_dir)
    assert [b.id for b in other.bookings] == [world.other_booking.id]
    assert [lead.id for lead in other.leads] == [world.other_lead.id]
    assert [f.path for f in other.mail_files] == [world.foreign_file]
    mine = find_subject(world.org.id, INES, world.mail_dir)
    ids = {m.id for m in mine.emails + mine.webhook_messages}
    theirs = {m.id for m in other.emails + other.webhook_messages}
    assert ids and theirs and not ids & theirs
    assert find_subject(world.org.id, "nobody@example.com", world.mail_dir).empty
    assert find_subject(world.org.id, "", world.mail_dir).empty


def test_export_is_json_safe_and_complete(world):
    import json

    found = find_subject(world.org.id, INES, world.mail_dir)
    data = export_subject(found, world.org, FROZEN_NOW)
    text = json.dumps(data)
    assert data["subject"] == {"email": INES_LOWER}
    assert data["bookings"][0]["note"] == "Please call my mobile"
    assert data["bookings"][0]["outcome"]["note"] == "Ines came"
    answers = {a["question"]: a["answer"] for a in data["leads"][0]["answers"]}
    assert answers["Your phone"] == PHONE and answers["Your about"] == "Ines' bakery in Köln"
    assert data["attributions"][0]["visitor_id"] == "v" * 20
    assert data["consent_decisions"][0]["purposes"] == ["attribution"]
    assert {m["receiver"] for m in data["webhook_messages"]} == {"crm.example"}
    assert "secret-path" not in text
    assert data["mail_files"][0]["subject"] == "Your booking"
    assert "hold no name or address" in data["consent_note"]


def test_rectify_changes_bookings_leads_and_phone_answers(world):
    changed = rectify_subject(
        world.org.id,
        INES,
        FROZEN_NOW,
        name="Ines Neu",
        new_email="ines@new.example",
        phone="0301234567",
    )
    db.session.commit()
    assert changed == {"bookings": 1, "leads": 2}
    db.session.expire_all()
    assert (world.booking.invitee_name, world.booking.invitee_email) == (
        "Ines Neu",
        "ines@new.example",
    )
    for lead in (world.booked_lead, world.open_lead):
        assert lead.email == "ines@new.example" and lead.name == "Ines Neu"
        assert lead.answers["phone"] == "0301234567" and lead.answers["mail"] == "ines@new.example"
        assert lead.answers["about"] == "Ines' bakery in Köln"
    assert world.other_booking.invitee_name == "Ines Invitee"
    assert world.otto_booking.invitee_email == OTTO
    assert find_subject(world.org.id, INES).bookings == []


def test_erase_pseudonymises_everything_and_keeps_the_counts(world):
    counts_before = {m: _count(m) for m in (Booking, Lead, OutboxMessage, WebhookDelivery)}
    pending_before = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.booking_id == world.booking.id, OutboxMessage.status == "pending"
        )
    )
    counts = erase_subject(world.org.id, INES, FROZEN_NOW, world.mail_dir)
    db.session.commit()
    assert counts["bookings"] == 1 and counts["emails"] == 3 and counts["mail_files"] == 1
    db.session.expire_all()
    assert counts_before == {m: _count(m) for m in counts_before}
    booking = world.booking
    assert booking.invitee_name == "erased" and booking.note == "" and booking.erased_at
    assert re.fullmatch(r"erased-[0-9a-f]{16}@erased\.invalid", booking.invitee_email)
    assert (booking.status, booking.start_at) == ("confirmed", world.booking.start_at)
    assert booking.outcome.note == "" and booking.outcome.status == "attended"
    for lead in (world.booked_lead, world.open_lead):
        assert lead.name == "erased" and lead.email.endswith("@erased.invalid")
        assert lead.answers == {"size": "50-200"} and lead.erased_at == FROZEN_NOW
    attribution = db.session.scalar(select(WidgetAttribution))
    assert attribution.visitor_id is None and attribution.first_touch["gclid"] == "erased"
    assert db.session.get(ConsentRecord, world.consent.id).erased_at == FROZEN_NOW
    # Emails to her and webhooks carrying her data: nothing left to send, nothing kept.
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.erased_at.is_not(None))
    ).all()
    assert len(messages) == 5
    assert all(m.payload == {} for m in messages)
    assert sum(m.status == "dropped" for m in messages) == 4  # all but the delivered webhook
    assert pending_before >= 4
    assert all("ines" not in m.last_error.lower() for m in messages)
    # The host's emails stay queued: they are rendered from the (now erased) booking.
    host_mail = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.booking_id == world.booking.id,
            OutboxMessage.kind == "email",
            OutboxMessage.erased_at.is_(None),
        )
    ).all()
    assert host_mail and all(m.payload["recipient"] == "host" for m in host_mail)
    assert db.session.scalar(select(WebhookDelivery)).erased_at == FROZEN_NOW
    assert not world.ines_file.exists()
    assert world.otto_file.exists() and world.foreign_file.exists()
    # Nothing is found any more; others are untouched.
    assert find_subject(world.org.id, INES, world.mail_dir).empty
    assert world.otto_booking.invitee_email == OTTO and world.otto_booking.erased_at is None
    assert world.other_booking.invitee_name == "Ines Invitee"
    assert world.other_lead.email == INES_LOWER
    other = find_subject(world.other_org.id, INES, world.mail_dir)
    assert other.counts()["webhook_messages"] == 2 and other.counts()["emails"] == 3


def test_audit_entry_holds_counts_and_a_keyed_hash_only(world):
    counts = erase_subject(world.org.id, INES, FROZEN_NOW, world.mail_dir)
    audit_request(world.org.id, None, "privacy.erase", counts, "k", INES, FROZEN_NOW, 7, "Erased")
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.erase"))
    text = (entry.summary + str(entry.changes)).lower()
    assert "ines" not in text and "example" not in text
    assert entry.changes["bookings"] == 1 and entry.changes["mail_files"] == 1
    assert entry.changes["subject"] == subject_hash("k", INES_LOWER) != subject_hash("k2", INES)
    assert entry.object_id == 7 and "request #7" in entry.summary


def test_erasure_request_due_in_a_month_once_and_forgets_the_address(world):
    row, new = request_erasure(world.org.id, INES, FROZEN_NOW)
    again, new_again = request_erasure(world.org.id, INES_LOWER, FROZEN_NOW)
    db.session.commit()
    assert new and not new_again and again.id == row.id
    assert row.due_at == datetime(2030, 2, 7, 8, 0, tzinfo=UTC)
    assert due_date(datetime(2030, 1, 31, tzinfo=UTC)) == datetime(2030, 2, 28, tzinfo=UTC)
    assert _count(PrivacyRequest) == 1 and row.subject_email == INES_LOWER
    close_request(row, "done", None, FROZEN_NOW)
    db.session.commit()
    assert row.status == "done" and row.subject_email == "" and row.closed_at == FROZEN_NOW
    third, new_third = request_erasure(world.org.id, INES, FROZEN_NOW)
    assert new_third and third.id != row.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.request"))
    assert "ines" not in (entry.summary + str(entry.changes)).lower()
