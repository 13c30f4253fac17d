"""A campaign from the browser: create it, import leads through the mapping check, write a
two-step sequence, preview a step for a lead, enroll, and see the schedule (real Chromium
against `backlink-outreach serve`)."""

from __future__ import annotations

import re

from playwright.async_api import FilePayload, Page, expect

from tests.web.browser.conftest import PHONE, LiveApp, screenshot, sign_in

CSV = (
    "Referring page URL;Referring page title;DR;Contact;Email address;Junk\n"
    "https://green.example/write-for-us;Green <script>alert(1)</script> blog;45;Ann Lee;"
    "ann@green.example;x\n"
    "https://blue.example/;Blue;12;Bob;bob@blue.example;y\n"
    "https://red.example/;Red;30;Cy;not-an-address;z\n"
)


async def _no_sideways_scroll(page: Page, name: str) -> None:
    await page.set_viewport_size(PHONE)
    await screenshot(page, f"{name}-phone")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways at {PHONE['width']} px: {width}"
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_a_campaign_from_import_to_enrollment(page: Page, live_app: LiveApp) -> None:
    await sign_in(page, live_app, "user_campaigns")
    await page.get_by_role("link", name="Create your first campaign").click()
    await page.get_by_label("Name").fill("Vegan blogs")
    await page.get_by_label("Keywords").fill("vegan recipes")
    await page.get_by_role("button", name="Create campaign").click()
    await expect(page.get_by_text("No leads yet")).to_be_visible()
    await screenshot(page, "campaign-empty")

    # Import: the mapping and the dry run come first, and nothing is added yet.
    await page.get_by_role("link", name="Import a CSV").click()
    file: FilePayload = {"name": "ahrefs.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    await page.get_by_label("CSV file").set_input_files(files=[file])
    await screenshot(page, "import-upload")
    await page.get_by_role("button", name="Upload and check").click()
    await expect(page.get_by_label("Email address", exact=True)).to_have_value("contact_email")
    await expect(page.get_by_label("DR", exact=True)).to_have_value("authority")
    await expect(page.get_by_label("Junk", exact=True)).to_have_value("")
    await expect(page.locator("#dry-run")).to_contain_text("2 leads added")
    await expect(page.get_by_text("2: contact_email:")).to_be_visible()
    await screenshot(page, "import-check")
    await _no_sideways_scroll(page, "import-check")
    # Leave the addresses out: every row passes; then import.
    await page.get_by_label("Email address", exact=True).select_option("")
    await page.get_by_role("button", name="Check again").click()
    await expect(page.locator("#dry-run")).to_contain_text("3 leads added")
    await page.get_by_label("Email address", exact=True).select_option("contact_email")
    await page.get_by_label("Junk", exact=True).select_option("notes")
    await page.get_by_role("button", name=re.compile(r"^Import \d+ leads$")).click()
    await expect(page.get_by_role("heading", name="Imported ahrefs.csv")).to_be_visible()
    await page.get_by_role("link", name="See the leads").click()
    table = page.locator("table.leads")
    await expect(table.get_by_role("link", name="green.example")).to_be_visible()
    # The crawled title is text, not markup (the page would have failed on a script error).
    await expect(table.get_by_text("Green <script>alert(1)</script> blog")).to_be_visible()
    await expect(table.locator("tbody tr")).to_have_count(2)
    await screenshot(page, "campaign-leads")
    await _no_sideways_scroll(page, "campaign-leads")

    # The sequence: two steps, saved, then previewed for a lead without a page reload.
    await page.get_by_role("link", name="Sequence", exact=True).click()
    await page.locator("#step-0-subject").fill("A guest post for {website_title}?")
    await page.locator("#step-0-body").fill("Hi {first_name},\n\nI write about {topic}.")
    await page.get_by_role("button", name="Save sequence").click()
    await page.get_by_text("Add step 2").click()
    await page.locator("#step-1-delay_days").fill("4")
    await page.locator("#step-1-body").fill("Any thoughts, {first_name}?")
    await page.get_by_role("button", name="Save sequence").click()
    await expect(page.locator("#step-1-body")).to_have_value("Any thoughts, {first_name}?")
    url_before = page.url
    await page.get_by_label("Lead", exact=True).select_option(
        label="green.example — ann@green.example"
    )
    await page.get_by_label("Step", exact=True).select_option(label="Step 2")
    await page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    await expect(preview).to_contain_text(
        "Re: A guest post for Green <script>alert(1)</script> blog?"
    )
    await expect(preview).to_contain_text("Any thoughts, Ann?")
    await expect(preview).to_contain_text("policy: would send")
    assert page.url == url_before  # the preview came in place
    await screenshot(page, "sequence-preview")
    await _no_sideways_scroll(page, "sequence-preview")

    # Enroll every eligible lead (both have addresses): confirmed, then the skip reasons.
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Enroll every eligible lead").click()
    await expect(page.get_by_text("Enrolled 2 leads.")).to_be_visible()
    await page.get_by_role("link", name="See the schedule").click()
    await expect(page.locator("svg.chart rect.bar").first).to_be_attached()
    await expect(page.get_by_role("cell", name="blue.example").first).to_be_visible()
    await screenshot(page, "schedule")
    await _no_sideways_scroll(page, "schedule")

    # Enrolling the same leads again from the table says why they were skipped.
    await page.get_by_role("link", name="Leads", exact=True).click()
    await page.get_by_label("Tick every lead on this page").check()
    await page.get_by_role("button", name="Enroll ticked leads in the sequence").click()
    await expect(page.get_by_text("2 were enrolled before")).to_be_visible()

    # The list shows the campaign with its numbers, and pausing holds it.
    await page.get_by_role("link", name="Campaigns", exact=True).first.click()
    row = page.locator("tr", has=page.get_by_role("link", name="Vegan blogs"))
    await expect(row.locator("td.num").first).to_have_text("2")
    await row.get_by_role("button", name="Pause Vegan blogs").click()
    await expect(row.get_by_role("button", name="Resume Vegan blogs")).to_be_visible()
    await screenshot(page, "campaigns-list")
    await _no_sideways_scroll(page, "campaigns-list")


async def test_editing_adding_a_lead_and_deleting(page: Page, live_app: LiveApp) -> None:
    await sign_in(page, live_app, "user_campaign_edit")
    await page.goto(f"{live_app.url}/app/campaigns/new")
    await page.get_by_label("Name").fill("Short-lived")
    await page.get_by_role("button", name="Create campaign").click()
    await page.get_by_role("link", name="Edit", exact=True).click()
    await page.get_by_label("Time zone").fill("Europe/Nowhere")
    await page.get_by_label("Sat").check()
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#f-timezone-error")).to_be_visible()
    await screenshot(page, "campaign-edit-error")
    await _no_sideways_scroll(page, "campaign-edit-error")
    await page.get_by_label("Time zone").fill("Europe/Berlin")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_text("No leads yet")).to_be_visible()

    await page.get_by_role("link", name="Add a lead").first.click()
    await page.get_by_label("Website").fill("ftp://files.example")
    await page.get_by_role("button", name="Add lead").click()
    await expect(page.locator("#f-website_url-error")).to_be_visible()
    await screenshot(page, "add-lead-error")
    await page.get_by_label("Website").fill("green.example")
    await page.get_by_role("button", name="Add lead").click()
    await expect(page.get_by_role("link", name="green.example")).to_be_visible()

    await page.get_by_role("link", name="Edit", exact=True).click()
    await page.get_by_role("link", name="Delete this campaign…").click()
    await screenshot(page, "campaign-delete")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Delete campaign").click()
    await expect(page.get_by_text("No campaigns yet")).to_be_visible()
