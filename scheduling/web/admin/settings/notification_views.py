"""Per event type: reminder offsets and the no-show follow-up email (managers and admins)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.extensions import db
from scheduling.operations import notifications as ops
from scheduling.web.admin.access import current_user, get_event_type, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.integrations.integration_forms import NotificationForm, parse_minutes


@bp.route("/event-types/<int:event_type_id>/notifications", methods=["GET", "POST"])
@roles_required("admin", "manager")
def event_type_notifications(event_type_id: int):
    user = current_user()
    event_type = get_event_type(user, event_type_id)
    minutes, follow_up = ops.notification_settings(event_type.id)
    if request.method == "GET":
        form = NotificationForm(
            formdata=None,
            data={
                "reminders": ", ".join(str(m) for m in minutes),
                "no_show_followup": follow_up,
            },
        )
        return render_template("admin/notifications.html", form=form, event_type=event_type)
    form = NotificationForm()
    if form.validate():
        values, error = parse_minutes(form.reminders.data)
        if error:
            form.reminders.errors.append(error)
        else:
            ops.set_notification_settings(
                event_type, values, bool(form.no_show_followup.data), user, clock.utcnow()
            )
            db.session.commit()
            flash(_("Emails and reminders saved."), "ok")
            return redirect(url_for(".event_type_notifications", event_type_id=event_type.id))
    return render_template("admin/notifications.html", form=form, event_type=event_type), 400
