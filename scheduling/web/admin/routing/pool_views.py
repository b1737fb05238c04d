"""Teams (round-robin pools): settings, members, this period's standing, manual credits.

Managers and admins only: reps get 403 on every route here. Another organisation's teams and
members of another team answer 404 (guessed ids included), for GET and POST alike.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import EventType, Host, Pool, PoolMember, User
from scheduling.operations import pools as ops
from scheduling.operations.routing_rules import targets_of
from scheduling.routing.explanations import explain_pick
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.messages import shown_message
from scheduling.web.admin.nav import MANAGERS

from .pool_forms import PERIOD_LABELS, AddMemberForm, AdjustForm, MemberForm, PoolForm
from .routing_form_views import show_problems

RECENT = 20


def get_pool(user: User, pool_id: int) -> Pool:
    """A team of the user's organisation, or NotFound (whether it exists or not)."""
    pool = db.session.get(Pool, pool_id)
    if pool is None or pool.organisation_id != user.organisation_id:
        raise NotFound("No such team.")
    return pool


def _member_of(pool: Pool, member_id: int) -> PoolMember:
    member = db.session.get(PoolMember, member_id)
    if member is None or member.pool_id != pool.id:
        raise NotFound("No such team member.")
    return member


def _to_detail(pool: Pool, anchor: str | None = None):
    return redirect(url_for("admin.pools_detail", pool_id=pool.id, _anchor=anchor), code=303)


@bp.get("/teams")
@roles_required(*MANAGERS)
def pools():
    user = current_user()
    listed = db.session.scalars(
        select(Pool)
        .where(Pool.organisation_id == user.organisation_id)
        .options(selectinload(Pool.members).selectinload(PoolMember.host))
        .order_by(Pool.name, Pool.id)
    ).all()
    used_by: dict[int, list[str]] = {pool.id: [] for pool in listed}
    if listed:
        for pool_id, title in db.session.execute(
            select(EventType.pool_id, EventType.title)
            .where(EventType.pool_id.in_(list(used_by)))
            .order_by(EventType.title)
        ):
            used_by[pool_id].append(title)
    has_hosts = db.session.scalar(
        select(func.count()).select_from(Host).where(Host.organisation_id == user.organisation_id)
    )
    return render_template(
        "admin/pools/list.html",
        pools=listed,
        used_by=used_by,
        has_hosts=has_hosts,
        period_labels=PERIOD_LABELS,
    )


def _pool_form_page(form: PoolForm, pool: Pool | None, status: int):
    return render_template("admin/pools/form.html", form=form, pool=pool), status


@bp.route("/teams/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def pools_new():
    user = current_user()
    form = PoolForm()
    if request.method == "GET":
        form.tz.data = user.host.tz if user.host else "Europe/Berlin"
        return _pool_form_page(form, None, 200)
    if not form.validate_on_submit():
        return _pool_form_page(form, None, 400)
    try:
        pool = ops.create_pool(user.organisation, form.to_data(), clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return _pool_form_page(form, None, 400)
    db.session.commit()
    flash(_("%(name)s was created. Now add its members.", name=pool.name), "ok")
    return _to_detail(pool)


@bp.route("/teams/<int:pool_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def pools_edit(pool_id: int):
    user = current_user()
    pool = get_pool(user, pool_id)
    if request.method == "GET":
        return _pool_form_page(PoolForm(obj=pool, current_tz=pool.tz), pool, 200)
    form = PoolForm(current_tz=pool.tz)
    if not form.validate_on_submit():
        return _pool_form_page(form, pool, 400)
    try:
        changed = ops.update_pool(pool, form.to_data(), clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return _pool_form_page(form, pool, 400)
    db.session.commit()
    flash(_("Team saved.") if changed else _("Nothing changed."), "ok")
    return _to_detail(pool)


def _detail_page(pool: Pool, status: int = 200, add_form=None, adjust_form=None, notice=None):
    user = current_user()
    now = clock.utcnow()
    start, end, standing = ops.pool_standing(pool, now)
    members = list(pool.members)
    in_team = {member.host_id for member in members}
    hosts = db.session.scalars(
        select(Host)
        .where(Host.organisation_id == user.organisation_id, Host.id.not_in(in_team))
        .order_by(Host.name, Host.id)
    ).all()
    add_form = add_form or AddMemberForm(formdata=None)
    add_form.set_hosts(hosts)
    adjust_form = adjust_form or AdjustForm(formdata=None)
    adjust_form.set_members(members)
    assignments = ops.recent_assignments(pool, RECENT)
    names = targets_of(user.organisation_id).host
    return render_template(
        "admin/pools/detail.html",
        pool=pool,
        standing=standing,
        period_start=start,
        period_end=end,
        assignments=assignments,
        summaries={row.id: _summary(row, names) for row in assignments},
        adjustments=ops.recent_adjustments(pool, RECENT),
        add_form=add_form,
        adjust_form=adjust_form,
        can_add=bool(hosts),
        notice=notice,
        users=ops.pool_users(pool),
        period_labels=PERIOD_LABELS,
        booking_pages="admin.bookings_detail" in current_app.view_functions,
    ), status


def _summary(assignment, names: dict[int, str]) -> str:
    """Why the assignment went to its host, naming hosts (former members too)."""
    return shown_message(explain_pick(assignment.explanation, names))


@bp.get("/teams/<int:pool_id>")
@roles_required(*MANAGERS)
def pools_detail(pool_id: int):
    return _detail_page(get_pool(current_user(), pool_id))


@bp.post("/teams/<int:pool_id>/delete")
@roles_required(*MANAGERS)
def pools_delete(pool_id: int):
    user = current_user()
    pool = get_pool(user, pool_id)
    name = pool.name
    try:
        ops.delete_pool(pool, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        return _detail_page(pool, 400, notice=exc.message)
    db.session.commit()
    flash(_("%(name)s was deleted.", name=name), "ok")
    return redirect(url_for("admin.pools"), code=303)


@bp.post("/teams/<int:pool_id>/members")
@roles_required(*MANAGERS)
def pools_member_add(pool_id: int):
    user = current_user()
    pool = get_pool(user, pool_id)
    form = AddMemberForm()
    # Validate against every host of the organisation; the operation says who is taken.
    form.set_hosts(
        db.session.scalars(select(Host).where(Host.organisation_id == pool.organisation_id))
    )
    if not form.validate_on_submit():
        return _detail_page(pool, 400, add_form=form)
    try:
        member = ops.add_member(pool, form.host.data, form.to_data(), clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return _detail_page(pool, 400, add_form=form)
    db.session.commit()
    flash(_("%(name)s joined the team.", name=member.host.name), "ok")
    return _to_detail(pool, "members")


@bp.route("/teams/<int:pool_id>/members/<int:member_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def pools_member_edit(pool_id: int, member_id: int):
    user = current_user()
    pool = get_pool(user, pool_id)
    member = _member_of(pool, member_id)

    def page(form: MemberForm, status: int):
        return render_template(
            "admin/pools/member.html", pool=pool, member=member, form=form
        ), status

    if request.method == "GET":
        return page(MemberForm(obj=member), 200)
    form = MemberForm()
    if not form.validate_on_submit():
        return page(form, 400)
    try:
        changed = ops.update_member(member, form.to_data(), clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return page(form, 400)
    db.session.commit()
    flash(_("Member saved.") if changed else _("Nothing changed."), "ok")
    return _to_detail(pool, "members")


@bp.post("/teams/<int:pool_id>/members/<int:member_id>/remove")
@roles_required(*MANAGERS)
def pools_member_remove(pool_id: int, member_id: int):
    user = current_user()
    pool = get_pool(user, pool_id)
    member = _member_of(pool, member_id)
    name = member.host.name
    ops.remove_member(member, clock.utcnow(), user)
    db.session.commit()
    flash(_("%(name)s left the team.", name=name), "ok")
    return _to_detail(pool, "members")


@bp.post("/teams/<int:pool_id>/adjust")
@roles_required(*MANAGERS)
def pools_adjust(pool_id: int):
    user = current_user()
    pool = get_pool(user, pool_id)
    form = AdjustForm()
    form.set_members(pool.members)
    if not form.validate_on_submit():
        return _detail_page(pool, 400, adjust_form=form)
    try:
        row = ops.adjust_credit(
            pool, form.member.data, form.amount.data, form.reason.data, clock.utcnow(), user
        )
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return _detail_page(pool, 400, adjust_form=form)
    db.session.commit()
    flash(
        _("%(name)s's count changed by %(amount)s.", name=row.host.name, amount=f"{row.amount:+d}"),
        "ok",
    )
    return _to_detail(pool, "standing")
