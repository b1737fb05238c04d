"""The widget's admin pages: embed settings with the snippet, funnel report, A/B tests."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scheduling import clock
from scheduling.attribution import (
    aggregate_funnel,
    not_attributed_share,
    variant_stats,
    without_consent,
)
from scheduling.attribution.dashboard import date_range
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import EventType, Host
from scheduling.operations.ab_tests import (
    VariantInput,
    ab_counts,
    create_test,
    get_test,
    stop_test,
    tests_of,
)
from scheduling.operations.embed_settings import prompt_text, settings_of, update_embed_settings
from scheduling.operations.widget_funnel import funnel_rows
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.overview.dashboard_views import money, percent
from scheduling.web.csvsafe import csv_chunks
from scheduling.web.security import csv_download

from .embed_forms import AbTestForm, EmbedSettingsForm, StopForm

CONVERSIONS = ("qualified", "booked", "won")


def _public_base() -> str:
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


@bp.route("/embed", methods=["GET", "POST"])
@roles_required("admin", "manager")
def embed():
    admin = current_user()
    settings = settings_of(admin.organisation_id)
    form = EmbedSettingsForm(
        data=None
        if request.method == "POST"
        else {
            "allowed_origins": "\n".join(settings.allowed_origins),
            "cookie_days": settings.cookie_days,
            "own_prompt": settings.own_prompt,
            "prompt_text": settings.prompt_text,
        }
    )
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                changes = update_embed_settings(
                    admin.organisation,
                    allowed_origins=form.allowed_origins.data or "",
                    own_prompt=bool(form.own_prompt.data),
                    prompt=form.prompt_text.data or "",
                    cookie_days=form.cookie_days.data,
                    actor=admin,
                    now=clock.utcnow(),
                )
            except InvalidRequest as exc:
                db.session.rollback()
                for name in exc.fields:
                    getattr(form, name).errors.append(exc.message)
            else:
                db.session.commit()
                flash(_("Embed settings saved.") if changes else _("Nothing changed."), "ok")
                return redirect(url_for(".embed"))
        status = 400
    event_types = db.session.scalars(
        select(EventType)
        .where(EventType.organisation_id == admin.organisation_id, EventType.active.is_(True))
        .order_by(EventType.id)
    ).all()
    return render_template(
        "admin/embed/settings.html",
        form=form,
        event_types=event_types,
        base=_public_base(),
        default_prompt=prompt_text(settings),
    ), status


def _id_filter(raw: str, name: str, allowed: dict) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) not in allowed:
        label = {"event_type": _("event type"), "host": _("host"), "variant": _("variant")}[name]
        raise InvalidRequest(
            _("Choose the %(name)s filter from the list.", name=label), {name: "unknown"}
        )
    return int(raw)


def _funnel_choices(organisation_id: int) -> dict:
    event_types = db.session.scalars(
        select(EventType).where(EventType.organisation_id == organisation_id).order_by(EventType.id)
    ).all()
    hosts = db.session.scalars(
        select(Host).where(Host.organisation_id == organisation_id).order_by(Host.name)
    ).all()
    variants = []
    for test in tests_of(organisation_id):
        variants += [(v.id, f"{test.name}: {v.name}") for v in test.variants]
    return {
        "event_type": {e.id: e.title for e in event_types},
        "host": {h.id: h.name for h in hosts},
        "variant": dict(variants),
    }


def _funnel(user):
    args = request.args
    choices = _funnel_choices(user.organisation_id)
    period = date_range(args.get("from"), args.get("to"), clock.utcnow().date())
    filters = {name: _id_filter(args.get(name, ""), name, choices[name]) for name in choices}
    touch = args.get("touch", "last")
    if touch not in ("first", "last"):
        raise InvalidRequest(_("Choose first or last touch."), {"touch": "unknown"})
    start, end = period.bounds()
    rows = funnel_rows(
        user.organisation_id,
        start,
        end,
        event_type_id=filters["event_type"],
        host_id=filters["host"],
        variant_id=filters["variant"],
    )
    groups, total = aggregate_funnel(rows, touch)
    share = not_attributed_share(rows)
    return period, choices, filters, touch, groups, total, (share, without_consent(rows))


@bp.get("/funnel")
@roles_required("admin", "manager")
def funnel():
    user = current_user()
    values = {
        key: request.args.get(key, "") for key in ("from", "to", "event_type", "host", "variant")
    }
    values["touch"] = request.args.get("touch", "last")
    try:
        period, choices, _filters, touch, groups, total, (share, unconsented) = _funnel(user)
    except InvalidRequest as exc:
        return render_template(
            "admin/embed/funnel.html",
            error=exc.message,
            values=values,
            choices=_funnel_choices(user.organisation_id),
        ), 400
    values.update({"from": period.first.isoformat(), "to": period.last.isoformat()})
    return render_template(
        "admin/embed/funnel.html",
        error=None,
        values=values,
        choices=choices,
        period=period,
        touch=touch,
        groups=groups,
        total=total,
        share=share,
        unconsented=unconsented,
        money=money,
        percent=percent,
    )


def _revenue_text(revenue: dict) -> str:
    return " ".join(f"{currency} {amount}" for currency, amount in sorted(revenue.items()))


@bp.get("/funnel/export.csv")
@roles_required("admin", "manager")
def funnel_export():
    user = current_user()
    period, _choices, _filters, touch, groups, total, _share = _funnel(user)
    header = ["touch", "source", "medium", "campaign", "views", "qualified", "disqualified"]
    rows = [
        [
            touch,
            source or "not attributed",
            medium,
            campaign,
            t.views,
            t.qualified,
            t.disqualified,
            t.booked,
            t.attended,
            t.won,
            _revenue_text(t.revenue),
        ]
        for (source, medium, campaign), t in [*groups, (("TOTAL", "", ""), total)]
    ]
    name = f"funnel-{period.first.isoformat()}-{period.last.isoformat()}-{touch}.csv"
    return csv_download(csv_chunks([*header, "booked", "attended", "won", "revenue"], rows), name)


def _event_type_choices(organisation_id: int) -> list[tuple[int, str]]:
    return [
        (e.id, e.title)
        for e in db.session.scalars(
            select(EventType)
            .where(EventType.organisation_id == organisation_id)
            .order_by(EventType.id)
        )
    ]


def _new_test_form(organisation_id: int, formdata=None) -> AbTestForm:
    form = AbTestForm(formdata=formdata) if formdata is not None else AbTestForm(formdata=None)
    form.event_type.choices = _event_type_choices(organisation_id)
    if formdata is None:
        form.variants[0].form.name.data = "Control"
        form.variants[0].form.weight.data = 50
        form.variants[1].form.name.data = "B"
        form.variants[1].form.weight.data = 50
    return form


def _variant_inputs(form: AbTestForm) -> list[VariantInput]:
    inputs = []
    for number, entry in enumerate(form.variants):
        v = entry.form
        if not v.name.data:
            if v.headline.data or v.intro.data or v.button_label.data or v.question_order.data:
                # Texts without a name would be dropped without a word: say so instead.
                raise InvalidRequest(
                    _("Give variant %(n)s a name, or clear its texts.", n=number),
                    {"variants": "name"},
                )
            continue
        keys = tuple(k.strip() for k in (v.question_order.data or "").split(",") if k.strip())
        inputs.append(
            VariantInput(
                name=v.name.data,
                weight=v.weight.data or 0,
                headline=v.headline.data or "",
                intro=v.intro.data or "",
                button_label=v.button_label.data or "",
                layout=v.layout.data,
                question_order=keys,
            )
        )
    return inputs


@bp.route("/ab-tests", methods=["GET", "POST"])
@roles_required("admin", "manager")
def ab_tests():
    user = current_user()
    status = 200
    error = None
    if request.method == "POST":
        form = _new_test_form(user.organisation_id, request.form)
        if form.validate():
            event_type = db.session.get(EventType, form.event_type.data)
            try:
                test = create_test(
                    event_type, form.name.data, _variant_inputs(form), user, clock.utcnow()
                )
            except InvalidRequest as exc:
                db.session.rollback()
                error = exc.message
            else:
                db.session.commit()
                flash(_("Test %(name)s started.", name=test.name), "ok")
                return redirect(url_for(".ab_tests_detail", id=test.id))
        status = 400
    else:
        form = _new_test_form(user.organisation_id)
    return render_template(
        "admin/embed/ab_tests.html",
        tests=tests_of(user.organisation_id),
        form=form,
        error=error,
    ), status


def _stats(test) -> dict:
    counts = ab_counts(test)
    control = next((v.id for v in test.variants if v.is_control), None)
    out = {}
    for goal in CONVERSIONS:
        rows = [(v.id, counts[v.id]["exposures"], counts[v.id][goal]) for v in test.variants]
        out[goal] = {s.key: s for s in variant_stats(rows, control)}
    return {"counts": counts, "by_goal": out}


def _stop_form(test, formdata=None) -> StopForm:
    form = StopForm(formdata=formdata) if formdata is not None else StopForm(formdata=None)
    form.winner.choices = [(0, _("No winner: keep the page as it is"))] + [
        (v.id, v.name) for v in test.variants
    ]
    return form


@bp.get("/ab-tests/<int:id>")
@roles_required("admin", "manager")
def ab_tests_detail(id: int):
    user = current_user()
    test = get_test(user.organisation_id, id)
    return render_template(
        "admin/embed/ab_test.html",
        test=test,
        stats=_stats(test),
        goals=CONVERSIONS,
        stop_form=_stop_form(test),
        percent=percent,
    )


@bp.post("/ab-tests/<int:id>/stop")
@roles_required("admin", "manager")
def ab_tests_stop(id: int):
    user = current_user()
    test = get_test(user.organisation_id, id)
    form = _stop_form(test, request.form)
    if not form.validate():
        raise InvalidRequest(_("Choose a winner from the list, or none."), {"winner": "unknown"})
    winner = stop_test(test, form.winner.data or None, user, clock.utcnow())
    db.session.commit()
    if winner is not None:
        flash(_("Test stopped; %(name)s is now the page.", name=winner.name), "ok")
    else:
        flash(_("Test stopped."), "ok")
    return redirect(url_for(".ab_tests_detail", id=test.id))
