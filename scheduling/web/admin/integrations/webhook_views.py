"""Integrations: webhook subscriptions with their delivery log (admins and managers), and the
outbox (failed messages with "retry"; admins only). "Send again" belongs to a webhook's log, so
managers may use it too."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import OutboxMessage, User, WebhookDelivery, WebhookSubscription
from scheduling.operations import outbox as outbox_ops
from scheduling.operations import webhooks as ops
from scheduling.operations.health import heartbeat_is_stale, latest_heartbeat
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

from .integration_forms import WebhookForm

LOG_ROWS = 50
# Secrets are shown once: the browser must not keep the page (back button, history, disk cache).
NO_STORE = {"Cache-Control": "no-store"}


def _get_sub(admin: User, sub_id: int) -> WebhookSubscription:
    sub = db.session.get(WebhookSubscription, sub_id)
    if sub is None or sub.organisation_id != admin.organisation_id:
        raise NotFound("No such webhook.")
    return sub


def _get_message(admin: User, message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.organisation_id != admin.organisation_id:
        raise NotFound("No such message.")
    return message


def _apply_errors(form, exc: InvalidRequest) -> None:
    for name, message in exc.fields.items():
        getattr(form, name).errors.append(message)


def _list_page(admin: User, form: WebhookForm, status: int = 200):
    subs = db.session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.organisation_id == admin.organisation_id)
        .order_by(WebhookSubscription.id)
    ).all()
    return render_template("admin/webhooks/list.html", subs=subs, form=form), status


@bp.route("/webhooks", methods=["GET", "POST"])
@roles_required("admin", "manager")
def webhooks():
    admin = current_user()
    if request.method == "GET":
        return _list_page(admin, WebhookForm(formdata=None))
    form = WebhookForm()
    if form.validate():
        try:
            sub, secret = ops.create_subscription(
                admin.organisation_id,
                form.url.data,
                form.events.data,
                form.description.data or "",
                admin,
                clock.utcnow(),
                secret_key=current_app.config["SECRET_KEY"],
                allow_private=bool(current_app.config["WEBHOOK_ALLOW_PRIVATE"]),
            )
        except InvalidRequest as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            db.session.commit()
            page = render_template("admin/webhooks/secret.html", sub=sub, secret=secret)
            return page, 201, NO_STORE
    return _list_page(admin, form, 400)


def _detail_page(sub: WebhookSubscription, form: WebhookForm, status: int = 200):
    log = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == sub.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(LOG_ROWS)
    ).all()
    return render_template("admin/webhooks/detail.html", sub=sub, form=form, log=log), status


@bp.route("/webhooks/<int:id>", methods=["GET", "POST"])
@roles_required("admin", "manager")
def webhooks_detail(id: int):
    admin = current_user()
    sub = _get_sub(admin, id)
    if request.method == "GET":
        data = {
            "url": sub.url,
            "description": sub.description,
            "events": sub.events,
            "active": sub.active,
        }
        return _detail_page(sub, WebhookForm(formdata=None, data=data))
    form = WebhookForm()
    if form.validate():
        try:
            ops.update_subscription(
                sub,
                form.url.data,
                form.events.data,
                form.description.data or "",
                form.active.data,
                admin,
                clock.utcnow(),
                allow_private=bool(current_app.config["WEBHOOK_ALLOW_PRIVATE"]),
            )
        except InvalidRequest as exc:
            db.session.rollback()
            sub = _get_sub(admin, id)
            _apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Webhook saved."), "ok")
            return redirect(url_for(".webhooks_detail", id=sub.id))
    return _detail_page(sub, form, 400)


@bp.post("/webhooks/<int:id>/rotate")
@roles_required("admin", "manager")
def webhooks_rotate(id: int):
    admin = current_user()
    sub = _get_sub(admin, id)
    hours = float(current_app.config["WEBHOOK_ROTATION_HOURS"])
    secret = ops.rotate_secret(
        sub, admin, clock.utcnow(), secret_key=current_app.config["SECRET_KEY"], hours=hours
    )
    db.session.commit()
    page = render_template(
        "admin/webhooks/secret.html", sub=sub, secret=secret, rotated=True, hours=hours
    )
    return page, 200, NO_STORE


@bp.post("/webhooks/<int:id>/test")
@roles_required("admin", "manager")
def webhooks_test(id: int):
    user = current_user()
    sub = _get_sub(user, id)
    try:
        ops.send_test_event(sub, user, clock.utcnow())
    except InvalidRequest:
        db.session.rollback()
        flash(_("Switch the webhook on first: a switched-off webhook sends nothing."), "warning")
    else:
        db.session.commit()
        flash(
            _(
                "A signed test event with a sample booking is queued for %(url)s. The worker "
                "sends it through the outbox; the result appears in the delivery log below.",
                url=sub.url,
            ),
            "ok",
        )
    return redirect(url_for(".webhooks_detail", id=sub.id))


@bp.post("/webhooks/<int:id>/delete")
@roles_required("admin", "manager")
def webhooks_delete(id: int):
    admin = current_user()
    sub = _get_sub(admin, id)
    ops.delete_subscription(sub, admin, clock.utcnow())
    db.session.commit()
    flash(_("Webhook deleted."), "ok")
    return redirect(url_for(".webhooks"))


@bp.get("/outbox")
@roles_required("admin")
def outbox():
    admin = current_user()
    org_id = admin.organisation_id
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.organisation_id == org_id)
            .group_by(OutboxMessage.status)
        ).all()
    )
    failed = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.organisation_id == org_id, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.updated_at.desc())
        .limit(100)
    ).all()
    waiting = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.organisation_id == org_id,
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.attempts > 0,
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(100)
    ).all()
    heartbeat = latest_heartbeat()
    return render_template(
        "admin/outbox/index.html",
        counts=counts,
        failed=failed,
        waiting=waiting,
        heartbeat=heartbeat,
        heartbeat_stale=heartbeat_is_stale(heartbeat, clock.utcnow()),
    )


@bp.post("/outbox/<int:id>/retry")
@roles_required("admin")
def outbox_retry(id: int):
    admin = current_user()
    message = _get_message(admin, id)
    if message.status != "failed":
        flash(_("Only failed messages can be retried."), "warning")
    else:
        outbox_ops.retry_failed(message, admin, clock.utcnow())
        db.session.commit()
        flash(_("The message is queued again."), "ok")
    return redirect(url_for(".outbox"))


@bp.post("/outbox/<int:id>/send-again")
@roles_required("admin", "manager")
def outbox_send_again(id: int):
    admin = current_user()
    message = _get_message(admin, id)
    if message.kind != "webhook":
        raise NotFound("Only webhook messages can be sent again.")
    sub = db.session.get(WebhookSubscription, message.subscription_id)
    if sub is None or not sub.active:
        flash(_("Switch the webhook on first."), "warning")
    else:
        ops.send_again(message, admin, clock.utcnow())
        db.session.commit()
        flash(_("The event is queued again."), "ok")
    return redirect(url_for(".webhooks_detail", id=message.subscription_id))
