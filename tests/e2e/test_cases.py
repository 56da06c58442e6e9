"""Case reports in a real browser: a Thai epidemiologist imports a CSV through the Cases page,
finds the case with the htmx filter, and opens it to see its lab result."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.policy import Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]
CSV = (
    "country,case_id,disease,classification,onset_date,report_date,area,sex,outcome,"
    "sample_id,test_type,pathogen,subtype,result,sample_date,result_date,laboratory\n"
    "THA,BKK-2024-0042,dengue,confirmed,2024-03-01,2024-03-04,TH-10,F,recovered,"
    "S-0042,RT-PCR,DENV,DENV-2,positive,2024-03-04,2024-03-07,Bangkok Regional Lab\n"
    "THA,BKK-2024-0043,dengue,suspected,,2024-03-05,TH-10,M,,,,,,,,,\n"
)


def test_a_thai_epidemiologist_imports_cases_and_sees_a_lab_result(
    page: Page, live_server: str, make_user: UserFactory, page_log: PageLog, tmp_path: Path
) -> None:
    sign_in(page, live_server, make_user(Role.EPIDEMIOLOGIST, "THA").email)
    page.get_by_role("navigation", name="Modules").get_by_role("link", name="Cases").click()
    expect(page).to_have_url(f"{live_server}/surveillance/cases")
    expect(page.get_by_role("heading", level=1)).to_have_text("Case reports")
    expect(page.get_by_test_id("cases-table").locator("caption")).to_have_text("0 case reports")

    upload = tmp_path / "march.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.get_by_label("File", exact=True).set_input_files(upload)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("import-report")).to_contain_text(
        "Imported march.csv: 2 rows — cases 2 created"
    )
    table = page.get_by_test_id("cases-table")
    expect(table.locator("tbody tr")).to_have_count(2)

    page.wait_for_load_state("load")
    page.get_by_label("Classification").select_option("confirmed")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"classification=confirmed"))  # hx-push-url

    table.get_by_role("link", name="BKK-2024-0042").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Case BKK-2024-0042")
    labs = page.get_by_test_id("lab-results")
    expect(labs.get_by_role("rowheader", name="S-0042")).to_be_visible()
    expect(labs).to_contain_text("DENV (DENV-2)")
    expect(labs).to_contain_text("positive")
    expect(labs).to_contain_text("Bangkok Regional Lab")
    expect(labs.locator("tbody tr td.num")).to_have_text("3")  # turnaround in days

    page.wait_for_load_state("networkidle")
    assert page_log.foreign_requests == [], "everything must come from the app (no CDN)"
    assert page_log.errors == []
