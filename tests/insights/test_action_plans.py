"""Action plans: made from a driver with the library's suggestions, edited on one page (the
date round trip included), tasks with owners in the team, progress updates, sharing with
the team, the plans list, which drivers get a "Create action plan", and the follow-up."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.utils.html import escape

from servicechain.insights import selectors
from servicechain.insights.access import Audience
from servicechain.insights.models import ActionPlan, AnalysisRun, PlanTask, ProgressUpdate
from servicechain.org.access import scope_for
from servicechain.org.models import AuditEvent, Employee, Unit
from servicechain.surveys.action_library import load_action_library
from tests.factories import member

pytestmark = pytest.mark.django_db


def demo_plan(world) -> ActionPlan:
    return ActionPlan.objects.get(organization=world.organization, driver="recognition")


def plan_url(world, plan) -> str:
    return f"/o/{world.slug}/insights/plans/{plan.pk}/"


def audience(world, role: str) -> Audience:
    return Audience(scope_for(world.users[role], world.slug))


class BrowserForm(HTMLParser):
    """What a browser would submit from the page's POST form, as the page rendered it.

    An <input type=date> can only hold an ISO date: given anything else it shows blank and
    submits "" (the defect this file guards against), so that is what is submitted here.
    """

    def __init__(self, html: str):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "plan-form" in a.get("class", ""):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value", "on")
            elif kind == "date":
                value = a.get("value") or ""
                self.fields[a["name"]] = value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else ""
            else:
                self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select, self._first_option = a.get("name"), None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                self.fields[self._select] = value
            if "selected" in a:
                self.fields[self._select] = value
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            # A browser drops the newline that starts a textarea's content.
            start = not self.fields[self._textarea]
            self.fields[self._textarea] += data.removeprefix("\n") if start else data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_form(client, url) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200
    return BrowserForm(response.content.decode()).fields


def latest_closed_wave(world):
    """The newest wave with final results (an open wave's are not)."""
    waves = selectors.employee_waves(world.organization)
    return next(w for w in waves if w.status == "closed")


def header_status(html: str) -> str:
    return re.search(r'data-testid="plan-status">([^<]+)<', html)[1]


# ----------------------------------------------------------------------------- the defect


def test_a_status_change_saves_with_the_due_date_as_the_page_rendered_it(demo_world, client):
    plan = demo_plan(demo_world)
    client.force_login(demo_world.users["manager"])
    fields = page_form(client, plan_url(demo_world, plan))
    assert fields["due_date"] == plan.due_date.isoformat(), "a date input shows only ISO dates"

    response = client.post(plan_url(demo_world, plan), fields | {"status": "done"})

    assert response.status_code == 302, response.content.decode()[:500]
    html = client.get(plan_url(demo_world, plan)).content.decode()
    assert header_status(html) == "Done"
    plan.refresh_from_db()
    assert (plan.status, plan.due_date) == ("done", demo_plan(demo_world).due_date)


def test_a_refused_save_shows_the_saved_status_and_keeps_what_was_typed(demo_world, client):
    plan = demo_plan(demo_world)
    client.force_login(demo_world.users["manager"])
    fields = page_form(client, plan_url(demo_world, plan))
    posted = fields | {"status": "done", "due_date": "", "progress-note": "Board is full"}

    response = client.post(plan_url(demo_world, plan), posted)

    html = response.content.decode()
    assert response.status_code == 422 and "This field is required" in html
    assert header_status(html) == "In progress", "the header shows the saved plan"
    assert '<option value="done" selected>' in html and "Board is full" in html
    plan.refresh_from_db()
    assert plan.status == "in_progress" and not plan.progress_updates.filter(note="Board is full")


# ----------------------------------------------------------------------------- making a plan


def test_a_new_plan_starts_from_the_drivers_suggested_actions(demo_world, client):
    manager = demo_world.users["manager"]
    client.force_login(manager)
    url = f"/o/{demo_world.slug}/insights/plans/new/?unit={demo_world.manager_unit.pk}&driver=tools"
    fields = page_form(client, url)
    library = load_action_library()["tools"]
    html = client.get(url).content.decode()
    assert escape(library.rationale) in html and escape(library.references[0]) in html
    assert all(escape(a.title) in html for a in library.actions)
    assert fields["suggestions"], "the suggestions start ticked"

    kept = [library.actions[0].code, library.actions[2].code]
    data = {k: v for k, v in fields.items() if k != "suggestions"}
    data |= {"title": "Fix the tills", "due_date": "2030-03-31", "suggestions": kept}
    data |= {"other_tasks": "Log every crash\n\nReplace the two oldest tills"}
    response = client.post(url, data)

    plan = ActionPlan.objects.get(title="Fix the tills")
    assert response.status_code == 302 and response["Location"].endswith(f"/plans/{plan.pk}/")
    assert (plan.unit, plan.driver, plan.owner, plan.status) == (
        demo_world.manager_unit,
        "tools",
        manager,
        "planned",
    )
    tasks = list(plan.tasks.order_by("pk"))
    assert [t.title for t in tasks] == [
        library.actions[0].title,
        library.actions[2].title,
        "Log every crash",
        "Replace the two oldest tills",
    ]
    assert [t.suggestion for t in tasks[:2]] == kept
    assert all(t.due_date <= plan.due_date and t.assignee is None for t in tasks)
    event = AuditEvent.objects.get(action="insights.action_plan.create", target_id=str(plan.pk))
    assert event.actor == manager and event.detail["tasks"] == 4
    assert AuditEvent.objects.filter(action="insights.plan_task.add", actor=manager).count() >= 4


def test_a_new_plan_without_a_driver_asks_for_one_instead_of_showing_the_first_as_chosen(
    demo_world, client
):
    client.force_login(demo_world.users["manager"])
    url = f"/o/{demo_world.slug}/insights/plans/new/?unit={demo_world.manager_unit.pk}"
    fields = page_form(client, url)
    html = client.get(url).content.decode()
    assert fields["driver"] == "", "the browser shows the blank 'Choose a driver' choice"
    assert "Choose a driver…" in html and "Pick a driver to see suggested actions." in html

    response = client.post(url, fields | {"title": "No driver", "due_date": "2030-03-31"})
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    assert not ActionPlan.objects.filter(title="No driver").exists()


def test_changing_the_driver_swaps_in_its_suggestions(demo_world, client):
    client.force_login(demo_world.users["manager"])
    response = client.get(f"/o/{demo_world.slug}/insights/plans/new/suggestions/?driver=pay")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<fieldset id="suggestions"')
    assert all(escape(a.title) in html for a in load_action_library()["pay"].actions)
    assert escape(load_action_library()["tools"].actions[0].title) not in html


def test_suggestions_of_another_driver_are_refused_with_a_clear_message(demo_world, client):
    client.force_login(demo_world.users["hr_analyst"])
    response = client.post(
        f"/api/orgs/{demo_world.slug}/insights/plans",
        {
            "unit_id": demo_world.manager_unit.pk,
            "driver": "pay",
            "title": "x",
            "due_date": "2030-01-01",
            "suggestions": ["tools-fault-log"],
        },
        content_type="application/json",
    )
    assert response.status_code == 422 and "tools-fault-log" in response.json()["detail"]
    assert not ActionPlan.objects.filter(title="x").exists()


def test_a_plan_needs_a_real_driver_and_an_owner_who_may_plan(demo_world, client):
    client.force_login(demo_world.users["hr_analyst"])
    base = {"unit_id": demo_world.manager_unit.pk, "title": "x", "due_date": "2030-01-01"}
    url = f"/api/orgs/{demo_world.slug}/insights/plans"
    bad_driver = client.post(url, base | {"driver": "snacks"}, content_type="application/json")
    assert bad_driver.status_code == 422 and "driver" in bad_driver.json()["detail"]
    employee_owner = client.post(
        url,
        base | {"driver": "pay", "owner_id": demo_world.users["employee"].pk},
        content_type="application/json",
    )
    assert employee_owner.status_code == 422 and "owner" in employee_owner.json()["detail"]


# ----------------------------------------------------------------------------- tasks and progress


def test_one_save_adds_edits_completes_and_removes_tasks_each_change_audited(demo_world, client):
    plan = demo_plan(demo_world)
    manager = demo_world.users["manager"]
    client.force_login(manager)
    tasks = list(plan.tasks.order_by("due_date", "pk"))
    fields = page_form(client, plan_url(demo_world, plan))
    rows = int(fields["tasks-TOTAL_FORMS"])
    assert rows == len(tasks) + 1, "one blank row to add a task"
    open_task = next(i for i, t in enumerate(tasks) if not t.done)
    helper = selectors.plan_assignees(plan).first()
    new = rows - 1
    fields |= {
        f"tasks-{open_task}-done": "on",
        "tasks-0-title": "Thanks at every huddle",
        f"tasks-{len(tasks) - 1}-remove": "on",
        f"tasks-{new}-title": "Ask the customers' compliments desk to copy us in",
        f"tasks-{new}-assignee": str(helper.pk),
        f"tasks-{new}-due_date": "2030-02-01",
    }

    response = client.post(plan_url(demo_world, plan), fields)

    assert response.status_code == 302, response.content.decode()[:600]
    saved = {t.title: t for t in plan.tasks.all()}
    assert "Thanks at every huddle" in saved and tasks[-1].title not in saved
    assert saved[tasks[open_task].title].done and saved[tasks[open_task].title].done_at
    added = saved["Ask the customers' compliments desk to copy us in"]
    assert (added.assignee, added.due_date) == (helper, dt.date(2030, 2, 1))
    actions = set(
        AuditEvent.objects.filter(
            actor=manager, action__startswith="insights.plan_task"
        ).values_list("action", flat=True)
    )
    assert actions == {
        "insights.plan_task.add",
        "insights.plan_task.update",
        "insights.plan_task.remove",
    }
    page = client.get(plan_url(demo_world, plan)).content.decode()
    assert escape("Ask the customers' compliments desk to copy us in") in page
    done = sum(t.done for t in saved.values())
    assert f"{done} of {len(saved)} tasks done" in page


def test_a_task_owner_must_be_in_the_units_team_or_the_plan_owner(demo_world, client):
    plan = demo_plan(demo_world)
    outsider = Employee.objects.filter(organization=demo_world.organization).exclude(
        unit__path__startswith=demo_world.manager_unit.path
    )[0]
    client.force_login(demo_world.users["manager"])
    url = f"/api/orgs/{demo_world.slug}/insights/plans/{plan.pk}/tasks"
    refused = client.post(
        url, {"title": "x", "assignee_id": outsider.pk}, content_type="application/json"
    )
    assert refused.status_code == 422 and "team of" in refused.json()["detail"]
    team = selectors.plan_assignees(plan)
    assert outsider not in team and team.exists()
    assert all(
        e.unit_id == plan.unit_id or (e.unit.parent_id == plan.unit_id and e.is_manager)
        for e in team
    )
    mine = client.post(url, {"title": "Mine"}, content_type="application/json").json()
    assert mine["assignee_id"] is None and mine["due_date"] == plan.due_date.isoformat()


def test_a_progress_update_is_dated_signed_and_on_the_timeline(demo_world, client):
    plan = demo_plan(demo_world)
    manager = demo_world.users["manager"]
    client.force_login(manager)
    fields = page_form(client, plan_url(demo_world, plan))
    assert fields["progress-note"] == ""

    client.post(plan_url(demo_world, plan), fields | {"progress-note": "Awards shortlist done"})

    update = ProgressUpdate.objects.get(plan=plan, note="Awards shortlist done")
    assert update.author == manager
    timeline = client.get(plan_url(demo_world, plan)).content.decode().split('id="timeline"')[1]
    assert timeline.index("Awards shortlist done") < timeline.index("Board gets 10-15 notes")
    assert manager.get_full_name() in timeline
    event = AuditEvent.objects.get(action="insights.progress_update.add", target_id=str(update.pk))
    assert event.actor == manager


def test_a_blank_progress_update_is_refused_through_the_api(demo_world, client):
    plan = demo_plan(demo_world)
    client.force_login(demo_world.users["manager"])
    response = client.post(
        f"/api/orgs/{demo_world.slug}/insights/plans/{plan.pk}/progress",
        {"note": ""},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert plan.progress_updates.count() == 2


def test_updating_a_plan_records_what_changed(demo_world, client):
    plan = demo_plan(demo_world)
    client.force_login(demo_world.users["hr_analyst"])
    response = client.patch(
        f"/api/orgs/{demo_world.slug}/insights/plans/{plan.pk}",
        {"status": "done", "notes": "Board is up"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "done"
    event = AuditEvent.objects.filter(action="insights.action_plan.update").latest("created_at")
    assert event.detail["status"] == {"from": "in_progress", "to": "done"}


# ----------------------------------------------------------------------------- sharing


def test_employees_read_a_plan_shared_with_their_team_and_cannot_change_it(demo_world, client):
    plan = demo_plan(demo_world)
    assert plan.shared_with_team and demo_world.employee_unit.is_within(plan.unit)
    client.force_login(demo_world.users["employee"])

    listed = client.get(f"/o/{demo_world.slug}/insights/plans/").content.decode()
    page = client.get(plan_url(demo_world, plan)).content.decode()

    assert plan.title in listed
    assert "plan-form" not in page and "tasks-TOTAL_FORMS" not in page, "read only"
    assert all(escape(t.title) in page for t in plan.tasks.all())
    assert "Board gets 10-15 notes a week" in page
    refused = client.post(plan_url(demo_world, plan), {"status": "done"})
    assert refused.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "in_progress"


def test_an_unshared_plan_is_hidden_from_employees(demo_world, client):
    plan = demo_plan(demo_world)
    client.force_login(demo_world.users["manager"])
    fields = page_form(client, plan_url(demo_world, plan))
    fields.pop("shared_with_team")
    assert client.post(plan_url(demo_world, plan), fields).status_code == 302
    event = AuditEvent.objects.filter(action="insights.action_plan.update").latest("created_at")
    assert event.detail == {"shared_with_team": {"from": "True", "to": "False"}}

    client.force_login(demo_world.users["employee"])
    assert client.get(plan_url(demo_world, plan)).status_code == 404
    listed = client.get(f"/o/{demo_world.slug}/insights/plans/").content.decode()
    assert "No plan has been shared with your team yet." in listed


def test_a_manager_below_reads_a_shared_plan_above_but_cannot_change_it(demo_world, client):
    plan = demo_plan(demo_world)
    store = Unit.objects.filter(parent=demo_world.manager_unit).first()
    store_manager = member(demo_world.organization, "manager", unit=store)
    client.force_login(store_manager)
    assert client.get(plan_url(demo_world, plan)).status_code == 200
    api = f"/api/orgs/{demo_world.slug}/insights/plans/{plan.pk}"
    assert client.patch(api, {"status": "done"}, content_type="application/json").status_code == 403
    assert (
        client.post(f"{api}/tasks", {"title": "x"}, content_type="application/json").status_code
        == 403
    )
    assert client.post(plan_url(demo_world, plan), {"status": "done"}).status_code == 403


def test_hr_sees_every_plan_and_an_employee_only_those_shared_with_their_team(demo_world, client):
    other = (
        Unit.objects.filter(organization=demo_world.organization, depth=1)
        .exclude(pk__in=demo_world.manager_unit.ancestor_ids())
        .first()
    )
    own_unit = ActionPlan.objects.create(
        organization=demo_world.organization,
        unit=demo_world.employee_unit,
        driver="pay",
        title="Explain the pay review",
        owner=demo_world.users["hr_analyst"],
        due_date=dt.date(2030, 1, 1),
    )
    ActionPlan.objects.create(
        organization=demo_world.organization,
        unit=other,
        driver="worklife",
        title="Rota four weeks ahead",
        owner=demo_world.users["hr_analyst"],
        due_date=dt.date(2030, 1, 1),
        shared_with_team=True,
    )

    def titles(role):
        client.force_login(demo_world.users[role])
        return {
            p["title"] for p in client.get(f"/api/orgs/{demo_world.slug}/insights/plans").json()
        }

    assert titles("hr_analyst") >= {
        "Explain the pay review",
        "Rota four weeks ahead",
        "Say thank you, every week",
    }
    assert titles("employee") == {"Say thank you, every week"}
    assert "Rota four weeks ahead" not in titles("manager")
    own_unit.shared_with_team = True
    own_unit.save()
    assert titles("employee") == {"Say thank you, every week", "Explain the pay review"}


# ----------------------------------------------------------------------------- the list


def test_the_plans_list_shows_progress_overdue_flags_and_a_status_rollup(demo_world, client):
    plan = demo_plan(demo_world)
    late = ActionPlan.objects.create(
        organization=demo_world.organization,
        unit=demo_world.manager_unit,
        driver="pay",
        title="Explain the pay review",
        owner=demo_world.users["manager"],
        due_date=dt.date(2020, 1, 31),
    )
    PlanTask.objects.create(plan=late, title="Town hall", due_date=dt.date(2020, 1, 15))
    client.force_login(demo_world.users["manager"])

    html = client.get(f"/o/{demo_world.slug}/insights/plans/").content.decode()

    rows = dict(re.findall(r'<tr data-plan="(\d+)">(.*?)</tr>', html, re.S))
    done = plan.tasks.filter(done=True).count()
    assert f"{done}/{plan.tasks.count()} tasks" in rows[str(plan.pk)]
    assert "Overdue" in rows[str(late.pk)] and "Overdue" not in rows[str(plan.pk)]
    assert "0/1 tasks" in rows[str(late.pk)]
    rollup = re.search(r'<p id="plan-rollup">(.*?)</p>', html, re.S)[1]
    assert "1 planned" in rollup and "1 in progress" in rollup and "1 overdue" in rollup
    assert list(rows) == [str(late.pk), str(plan.pk)], "open plans, the earliest due first"
    exported = client.get(f"/o/{demo_world.slug}/insights/plans/?format=csv&table=plans")
    assert b"tasks_done" in exported.content and b"overdue" in exported.content


# ----------------------------------------------------------------------------- which drivers


def test_plan_candidates_are_shown_drivers_below_the_organisation(demo_world):
    wave = latest_closed_wave(demo_world)
    results = selectors.wave_results(wave)
    focus = demo_world.manager_unit
    root = Unit.objects.get(organization=demo_world.organization, depth=0)
    cells = selectors.cells(results.snapshot, [focus.pk, root.pk])

    candidates = selectors.plan_candidates(audience(demo_world, "manager"), results, focus)

    for code in selectors.driver_codes(results.snapshot):
        mine, company = cells.get((focus.pk, code)), cells.get((root.pk, code))
        shown = mine is not None and not mine.suppressed
        below = shown and company is not None and not company.suppressed
        below = below and mine.value < company.value
        assert (code in candidates) == below, code
    assert candidates, "the demo area scores below the company on some driver"
    assert selectors.plan_candidates(audience(demo_world, "employee"), results, focus) == []


def test_no_plan_is_offered_for_a_withheld_unit(demo_world):
    units = list(Unit.objects.filter(path__startswith=demo_world.manager_unit.path))
    manager = audience(demo_world, "manager")
    checked = 0
    for wave in selectors.employee_waves(demo_world.organization):
        results = selectors.wave_results(wave)
        if not results.ready:
            continue
        cells = selectors.cells(results.snapshot, [u.pk for u in units])
        for unit in units:
            row = cells.get((unit.pk, ""))
            if row is None or row.suppressed:
                assert selectors.plan_candidates(manager, results, unit) == [], unit.name
                checked += 1
    assert checked, "the demo keeps a unit of the manager's area below the minimum"


def test_a_focus_driver_of_driver_impact_is_a_candidate_though_it_scores_well(demo_world):
    wave = latest_closed_wave(demo_world)
    results = selectors.wave_results(wave)
    hr = audience(demo_world, "hr_analyst")
    focus = Unit.objects.get(organization=demo_world.organization, depth=0)
    codes = selectors.driver_codes(results.snapshot)
    before = selectors.plan_candidates(hr, results, focus)
    cells = selectors.cells(results.snapshot, [focus.pk])
    scores = {c: cells[(focus.pk, c)].value for c in codes}
    mean = sum(scores.values()) / len(scores)
    assert before == [c for c in codes if scores[c] < mean], "the organisation's weaker half"
    target = next(c for c in codes if c not in before)
    drivers = [
        {
            "code": c,
            "importance": 50.0 if c == target else 1.0,
            "score": 0.0 if c == target else 99.0,
        }
        for c in codes
    ]
    AnalysisRun.objects.create(
        organization=demo_world.organization,
        kind=AnalysisRun.Kind.DRIVER_IMPACT,
        wave=wave,
        unit=focus,
        fingerprint="test",
        status=AnalysisRun.Status.DONE,
        result={"employee": {"drivers": drivers}},
    )
    assert selectors.plan_candidates(hr, results, focus) == [
        c for c in codes if c in before or c == target
    ]


def test_driver_impact_offers_a_plan_only_for_candidate_drivers(demo_world):
    from servicechain.insights.pages import driver_impact_page

    manager = audience(demo_world, "manager")
    page = driver_impact_page(manager, wave_id=None, unit_id=None)
    results = selectors.wave_results(page.wave)
    assert page.plan_drivers == selectors.plan_candidates(manager, results, page.focus)
    employee = driver_impact_page(audience(demo_world, "employee"), wave_id=None, unit_id=None)
    assert employee.plan_drivers == []


# ----------------------------------------------------------------------------- follow-up


def test_a_plan_shows_how_its_driver_moved_at_the_next_wave(demo_world, client):
    from servicechain.insights.templatetags.insights import signed

    ActionPlan.objects.filter(organization=demo_world.organization).delete()
    hr = audience(demo_world, "hr_analyst")
    waves = [w for w in selectors.employee_waves(demo_world.organization) if w.status == "closed"]

    def changes(later, earlier, depth):
        """Unit id -> change of recognition, where the gate shows the unit in both waves."""
        units = list(Unit.objects.filter(organization=demo_world.organization, depth=depth))
        now = selectors.cells(selectors.wave_results(later).snapshot, [u.pk for u in units])
        then = selectors.cells(selectors.wave_results(earlier).snapshot, [u.pk for u in units])
        out = {}
        for unit in units:
            a, b = now.get((unit.pk, "recognition")), then.get((unit.pk, "recognition"))
            if a and b and not a.suppressed and not b.suppressed:
                out[unit.pk] = a.value - b.value
        return out

    pairs = [(w, selectors.previous_wave(w)) for w in waves if selectors.previous_wave(w)]
    later, earlier, shown = next(
        (a, b, changes(a, b, depth))
        for a, b in pairs
        for depth in (2, 3, 1)
        if len(changes(a, b, depth)) >= 2
    )
    planned = Unit.objects.get(pk=next(iter(shown)))
    plan = ActionPlan.objects.create(
        organization=demo_world.organization,
        unit=planned,
        driver="recognition",
        title="Thank people weekly",
        owner=demo_world.users["hr_analyst"],
        due_date=dt.date(2030, 1, 1),
    )
    ActionPlan.objects.filter(pk=plan.pk).update(created_at=earlier.closes_at)

    follow_up = selectors.plan_follow_up(hr, ActionPlan.objects.get(pk=plan.pk))

    assert follow_up["wave"] == later and follow_up["with_plan"].n == 1
    assert follow_up["with_plan"].value == pytest.approx(shown.pop(planned.pk))
    assert follow_up["without_plan"].n == len(shown)
    assert follow_up["without_plan"].value == pytest.approx(sum(shown.values()) / len(shown))
    client.force_login(demo_world.users["hr_analyst"])
    html = client.get(plan_url(demo_world, plan)).content.decode()
    assert f"changed by <strong>{signed(follow_up['with_plan'].value)}</strong>" in html


def test_a_plan_made_with_action_lines_gets_one_task_per_line(demo_world):
    from servicechain.insights import services

    plan = services.action_plan_create(
        organization=demo_world.organization,
        unit=demo_world.manager_unit,
        driver="teamwork",
        title="Buddy shifts",
        owner=demo_world.users["manager"],
        due_date=dt.date(2030, 1, 31),
        actions="Pair new starters\n\n  Rotate buddies monthly  ",
        actor=demo_world.users["manager"],
    )
    tasks = list(plan.tasks.order_by("pk"))
    assert [t.title for t in tasks] == ["Pair new starters", "Rotate buddies monthly"]
    assert all(t.due_date == plan.due_date and t.assignee is None for t in tasks)
