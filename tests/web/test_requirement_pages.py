"""Portfolio records and requirement results on the application's pages: its reviewers' scoring page (never a
blind essay's) and the committee's item page."""

import html
import re
from datetime import date

import pytest

from app.cycles.models import Item
from app.extensions import db
from app.people.models import Role
from app.scoring import service
from tests import factories as f
from tests.unit.imported_cycle import imported
from tests.web.helpers import signed_in_client

PASSWORD = "a long enough test password"


@pytest.fixture
def world(app):
    """One IMHS applicant with records of every kind; their application and an essay assigned to one reviewer."""
    with app.app_context():
        cycle = f.make_cycle("Spring", due=date(2027, 4, 30))
        reviewer = f.make_user(Role.REVIEWER, email="r@example.org", password=PASSWORD)
        imported(
            "applications",
            [
                ["applicant_id", "name", "category", "ethics_signed", "agreement_signed", "member", "training_hours"],
                ["S1", "Sia Moreno", "IMHS", "yes", "no", "yes", "99"],
            ],
            cycle,
        )
        imported(
            "training",
            [
                ["applicant_id", "hours", "title", "topic", "completed_on"],
                ["S1", 20, "Attachment and loss", "general", "2025-02-01"],
                ["S1", 6.5, "Culture and families", "dei", "2025-03-01"],
            ],
            cycle,
        )
        imported(
            "rsc",
            [
                ["applicant_id", "hours", "provider", "provider_endorsement", "peer", "started_on", "ended_on"],
                ["S1", 40, "Mia Ruiz", "IMHM-C", "no", "2025-03-01", "2025-12-31"],
                ["S1", 6.5, "Mia Ruiz", "IMHM-C", "no", "2026-01-05", "2026-06-30"],
                ["S1", 4, "Co Worker", "", "yes", "2025-05-01", "2025-06-01"],
            ],
            cycle,
        )
        imported(
            "references",
            [
                ["applicant_id", "rater", "rater_endorsement"],
                ["S1", "Kay Moss", "IMHS"],
                ["S1", "Jo Bell", ""],
                ["S1", "Ed Yu", ""],
            ],
            cycle,
        )
        imported(
            "work",
            [
                ["applicant_id", "started_on", "ended_on", "kind", "with_infant_and_parent", "role"],
                ["S1", "2024-05-01", "2025-04-30", "internship", "yes", "Intern"],
                ["S1", "2025-05-01", "", "direct_service", "yes", "Clinician"],
            ],
            cycle,
        )
        application_item = db.session.scalar(db.select(Item).filter_by(item_id="APP-S1"))
        applicant = application_item.applicant
        essay = f.make_essay(cycle, applicant, item_id="E-1", rubric_key="imhs-essay", prompt="A vignette")
        own_application = f.assign(application_item, reviewer)
        own_essay = f.assign(essay, reviewer)
        f.make_user(Role.COORDINATOR, email="c@example.org", password=PASSWORD)
        db.session.commit()
        return {
            "reviewer": reviewer.email,
            "application": own_application.id,
            "essay": own_essay.id,
            "application_item": application_item.id,
            "essay_item": essay.id,
        }


def page_text(app, world, key, path="/reviews/{}", who="reviewer"):
    client = signed_in_client(app, world[who] if who in world else who, PASSWORD)
    body = client.get(path.format(world[key])).get_data(as_text=True)
    return words(body)


def words(body):
    text = re.sub(r"<[^>]+>", " ", body)  # the words a reader sees, tags left out
    return re.sub(r"\s+", " ", html.unescape(text))


def test_the_application_page_shows_the_records_as_tables_with_totals(app, world):
    page = page_text(app, world, "application")
    assert "Portfolio records" in page
    assert "Training · 26.5 h in 2 entries" in page
    assert "Attachment and loss" in page and "Diversity, equity, inclusion" in page
    # RS/C: per provider (Mia Ruiz twice), and the span of the dated entries.
    assert "RS/C received · 50.5 h from 2 providers; dated entries from 1 March 2025 to 30 June 2026" in page
    assert "Mia Ruiz: 46.5 h (2)" in page
    assert "References · 3 references, 1 from a rater with an endorsement or vetted" in page
    assert "1 May 2025 – ongoing (to 30 April 2027)" in page


def test_a_blind_essay_page_shows_no_records(app, world):
    page = page_text(app, world, "essay")
    assert "Portfolio records" not in page and "Mia Ruiz" not in page and "Kay Moss" not in page


def test_the_scoring_page_shows_each_result_with_its_evidence_and_starts_from_it(app, world):
    client = signed_in_client(app, world["reviewer"], PASSWORD)
    body = client.get(f"/reviews/{world['application']}").get_data(as_text=True)
    text = words(body)
    # RS/C: 40 + 6.5 from the endorsed provider; the peer's 4 h are left out (the shipped IMHS pack).
    assert "Not met 46.5 h · at least 50 h" in text
    assert "46.5 of 50 RS/C hours counted; 4 h from a peer not counted" in text
    assert "Met 3 of 3" in text and "Met signed" in text and "Not met not signed" in text
    # Decided lines start checked on the product's result; the reviewer's own lines start blank.
    assert re.search(r'id="check-rsc_hours-not_met"[^>]*checked', body)
    assert re.search(r'id="check-rsc_hours-met"[^>]*data-overrides', body)
    assert not re.search(r'id="check-education-\w+"[^>]*checked', body)
    assert "requirement__figure--short" in body


def test_the_committee_page_shows_the_lines_the_overrides_and_the_records(app, world):
    with app.app_context():
        read = service.open_read(db.session.get(service.Assignment, world["application"]))
        for seq, domain in enumerate(service.get_rubric("imhs-application").domain_keys, start=1):
            service.save_domain(read, domain, 3, None, f.window(seq))
        service.save_requirement(read, "education", "met", None, f.window(20))
        service.save_requirement(
            read, "endorsement_agreement", "met", None, f.window(30), reason="The signed agreement arrived by post."
        )
        service.save_requirement(
            read, "rsc_hours", "met", None, f.window(31), reason="Eight more hours are in the signed log."
        )
        db.session.commit()
        service.submit(service.open_read(db.session.get(service.Assignment, world["application"])))
        db.session.commit()
    text = page_text(app, world, "application_item", "/committee/items/{}", "c@example.org")
    assert "Requirements checked by the product" in text
    assert "2 marks override the product's check" in text
    assert "overrides the check “Eight more hours are in the signed log.”" in text
    assert "Portfolio records" in text and "Mia Ruiz: 46.5 h (2)" in text
    essay = page_text(app, world, "essay_item", "/committee/items/{}", "c@example.org")
    assert "Requirements checked by the product" not in essay and "Mia Ruiz" not in essay
