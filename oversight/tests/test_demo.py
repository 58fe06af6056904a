"""The oversight demo: a realistic mix over the demo district, loaded idempotently."""

import datetime
import io

import pytest
from django.apps import apps
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from committees import demo as committees_demo
from committees import selectors as committees_selectors
from elections import demo as elections_demo
from governance import demo as governance_demo
from governance.models import AuditEvent, Place
from oversight import demo, selectors
from oversight.models import FundAllocation, Volunteer
from residents import demo as residents_demo


def _counts() -> dict:
    counts = {m.__name__: m.objects.count() for m in apps.get_app_config("oversight").get_models()}
    counts["AuditEvent"] = AuditEvent.objects.count()
    return counts


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load every demo once for the module, then oversight's a second time, inside a rolled-back transaction."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # Each layer's demo commits before the next runs (``load_demo``): its on-commit signals fire in between.
            for layer in (governance_demo, residents_demo, elections_demo, committees_demo, demo):
                with TestCase.captureOnCommitCallbacks(execute=True):
                    layer.load(stdout=io.StringIO())
            first = _counts()
            with TestCase.captureOnCommitCallbacks(execute=True):
                demo.load(stdout=io.StringIO())
            yield {"district": Place.objects.get(kind="district", name="江北区"), "first": first, "second": _counts()}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def district(loaded, db):
    return loaded["district"]


def test_loading_the_demo_twice_changes_nothing(loaded):
    assert loaded["second"] == loaded["first"]


def test_most_estates_are_compliant_and_a_few_have_overdue_obligations(district):
    today = timezone.localdate()
    figures = selectors.compliance(district, today - datetime.timedelta(days=800), today)
    overdue = {e["estate"]["name"] for e in figures["estates"] if e["overdue_count"]}
    compliant = {e["estate"]["name"] for e in figures["estates"] if e["share"] == "100.00"}
    assert overdue == {"观音桥花园", "鱼嘴安置房"}
    assert {"南方上格林", "北城华府", "石马河小区"} <= compliant


def test_one_estate_is_flagged_by_its_rising_property_petitions(district):
    rising = [
        e["estate"]["name"]
        for e in selectors.early_warning(district)
        if any(r["code"] == "petitions_rise" for r in e["reasons"])
    ]
    assert rising == ["石马河小区"]


def test_the_property_share_of_petitions_falls_as_in_the_reference_district(district):
    shares = [selectors.petition_shares(district, year)["share"] for year in (2019, 2020, 2021)]
    assert shares[:2] == ["14.80", "4.60"] and float(shares[2]) < 4.6


def test_the_self_managed_estate_has_its_rosters_and_gaps(district):
    today = timezone.localdate()
    (estate,) = selectors.duty_gaps(district, today - datetime.timedelta(days=28), today)["estates"]
    assert estate["estate"]["name"] == "五里店新村"
    assert estate["done"] > 10 and estate["unassigned"] and estate["missed"]
    assert Volunteer.objects.filter(estate__name="五里店新村", party_member__in_service=True).count() == 2


def test_the_funds_sent_down_are_on_the_estates_ledger_which_verifies(district):
    allocation = FundAllocation.objects.get()
    assert allocation.estate.name == "五里店新村" and allocation.posting.estate == allocation.estate
    assert committees_selectors.ledger_verify(allocation.estate).ok


def test_every_estate_has_a_commissioner(district):
    assert all(row["commissioner"] for row in selectors.commissioners(district))
