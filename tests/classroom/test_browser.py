"""The dashboard and the class game, driven in headless Chromium (issue 15, item 4).

Screenshots go to the test's tmp_path (dashboard-*.png, teacher-*.png, student-*.png).
"""
from __future__ import annotations

import re

TIMEOUT = 45_000
#: URLs a page may load: this machine only (blob: and data: URLs are made in the page).
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:http://127.0.0.1")


def _open(context, url):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(LOCAL) else None)
    page.goto(url, wait_until="commit")
    return page, external


def _fill(page, label, value):
    box = page.get_by_label(label)
    box.fill(value)
    box.press("Enter")


def _figure_sources(page):
    return [img.get_attribute("src") for img in page.locator("img").all()]


def test_dashboard_steps_and_panels_change(browser, dashboard_url, tmp_path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
    page, external = _open(ctx, dashboard_url + "/")
    page.get_by_text("tick 0 of 153").wait_for()
    page.get_by_text("GSP1: not checked (no cases)").wait_for()
    page.wait_for_timeout(500)
    before = _figure_sources(page)
    page.screenshot(path=str(tmp_path / "dashboard-0.png"), full_page=True)
    step = page.get_by_role("button", name="Step")
    for k in range(1, 4):
        step.click()
        page.get_by_text(f"tick {k} of 153").wait_for()
    page.get_by_text("3 agents arrived").wait_for()
    page.wait_for_timeout(500)
    after = _figure_sources(page)
    page.screenshot(path=str(tmp_path / "dashboard-3.png"), full_page=True)
    assert len(after) >= 3 and after != before  # the arrivals, prices and capacity figures were redrawn
    # a bad scenario shows the CLI's field-level error line in the page
    box = page.get_by_label("Scenario file")
    box.fill("no-such-scenario.toml")
    box.press("Enter")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("error: scenario = 'no-such-scenario.toml': expected an existing TOML file").wait_for()
    page.screenshot(path=str(tmp_path / "dashboard-error.png"), full_page=True)
    assert external == []  # nothing fetched from outside the machine
    ctx.close()


def test_three_students_play_a_class_game(browser, dashboard_url, tmp_path):
    teacher_ctx = browser.new_context(viewport={"width": 1300, "height": 1000})
    teacher, external = _open(teacher_ctx, dashboard_url + "/class")
    external_pages = [external]
    _fill(teacher, "Number of students", "3")
    teacher.get_by_role("button", name="Open a new game").click()
    heading = teacher.get_by_text(re.compile(r"Join code: [A-Z0-9]{6}"))
    heading.wait_for()
    code = re.search(r"Join code: ([A-Z0-9]{6})", heading.inner_text()).group(1)
    teacher.get_by_text("Seat 3 -- join code").wait_for()
    teacher.screenshot(path=str(tmp_path / "teacher-cards.png"), full_page=True)

    plays = {1: ("tell the truth", None), 2: ("swap", None), 3: ("my own report (typed below)", "Course_7 > Course_3")}
    students = {}
    for seat in plays:  # one browser session per student, loading side by side
        ctx = browser.new_context(viewport={"width": 1000, "height": 800})
        page, ext = _open(ctx, dashboard_url + "/join")
        external_pages.append(ext)
        students[seat] = (ctx, page)
    # a wrong join code is refused
    intruder = students[1][1]
    _fill(intruder, "Join code", "WRONG1")
    intruder.get_by_role("button", name="Join", exact=True).click()
    intruder.get_by_text("error: join code = 'WRONG1'").wait_for()
    for seat, (choice, text) in plays.items():
        page = students[seat][1]
        _fill(page, "Join code", code)
        _fill(page, "Seat number", str(seat))
        page.get_by_role("button", name="Join", exact=True).click()
        page.get_by_role("button", name=choice, exact=True).click()
        if text:
            _fill(page, "Your report", text)
        page.get_by_role("button", name="Submit my report").click()
        page.get_by_text(f"Seat {seat}: your report is in").wait_for()

    teacher.get_by_role("button", name="Refresh").click()
    teacher.get_by_text("Reports in: 3 of 3").wait_for()
    teacher.get_by_role("button", name="Run the market and reveal").click()
    teacher.get_by_text("The reveal").wait_for()
    for seat in plays:
        teacher.get_by_text(re.compile(f"Seat {seat}: (you told the truth|your report got)")).wait_for()
    teacher.get_by_text("Seat 1: you told the truth and got").wait_for()
    teacher.get_by_text("Auditor's verdict").wait_for()
    teacher.get_by_text(re.compile("GSP1")).first.wait_for()
    teacher.locator(".reveal").screenshot(path=str(tmp_path / "teacher-reveal.png"))

    ctx2, page2 = students[2]
    page2.get_by_role("button", name="Show my result").click()
    page2.get_by_text(re.compile(r"Seat 2: your report got .* the truth would have got")).wait_for()
    page2.screenshot(path=str(tmp_path / "student-2-result.png"), full_page=True)
    assert all(ext == [] for ext in external_pages)  # nothing fetched from outside the machine
    for ctx, _ in students.values():
        ctx.close()
    teacher_ctx.close()
