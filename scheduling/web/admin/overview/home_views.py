"""The admin start page: what is coming up for the people you look after."""

from datetime import timedelta

from flask import render_template
from sqlalchemy import select

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import Booking
from scheduling.operations.rule_checks import stale_rules
from scheduling.web.admin.access import current_user, login_required, visible_host_ids
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.nav import MANAGERS


def stale_rules_for(user) -> list:
    """Rules to fix, for those who may edit them (managers and admins)."""
    return stale_rules(user.organisation_id) if user.role in MANAGERS else []


@bp.get("/")
@login_required
def home():
    user = current_user()
    now = clock.utcnow()
    upcoming = db.session.scalars(
        select(Booking)
        .where(
            Booking.host_id.in_(visible_host_ids(user)),
            Booking.status == "confirmed",
            Booking.end_at > now,
            Booking.start_at < now + timedelta(days=7),
        )
        .order_by(Booking.start_at)
        .limit(50)
    ).all()
    return render_template(
        "admin/home.html", upcoming=upcoming, user=user, stale_rules=stale_rules_for(user)
    )
