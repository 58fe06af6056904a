"""The benchmark itself, at CI's size: each figure beside its floor, the JSON, README's table, the city.

These check that the benchmark measures what it says (the same rows on both sides, both sides
committed, the database left as it was); they assert no timing.
"""

import json

import pytest
from django.core.management import call_command
from django.db import connection

from bench import readme
from bench.city import generate_city
from bench.figures.register import import_once
from bench.generate import BENCH_DISTRICT, generate_district
from committees.models import LedgerTransaction
from elections.models import Ballot, PublishedHead, TallyState, Vote, VoteStatus
from governance.models import AuditEvent
from oversight.integrity import vote_problems
from oversight.models import Obligation, Petition
from residents.models import Owner, Ownership, PropertyUnit

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_the_bench_writes_each_figure_with_its_floor_ratio_and_target(tmp_path):
    output = tmp_path / "results.json"
    call_command(
        "bench", "--only", "lists", "roll_api", "pages", "--scale", "0.002", "--repeat", "1", "--output", str(output)
    )
    data = json.loads(output.read_text())
    figures = {f["key"]: f for f in data["figures"]}
    for role in ("secretary", "street", "auditor"):
        figure = figures[f"scoped_list_{role}"]
        assert figure["floor"] > 0 and figure["ratio"] == figure["platform"] / figure["floor"]
        assert figure["target"] == 1.5 and figure["extra"]["queries"] == figure["extra"]["queries_last_page"]
    assert figures["roll_api"]["floor"] > 0
    assert figures["page_dashboard"]["limit"] == 0.3
    assert data["machine"]["cores"] and data["machine"]["postgresql"]

    page = tmp_path / "README.md"
    page.write_text(f"# x\n\n{readme.START}\nold\n{readme.END}\n\nafter\n")
    readme.regenerate(output, page)
    text = page.read_text()
    assert "old" not in text and text.endswith("after\n")
    assert "| figure | platform | floor (same run, same data) | ratio | target | met | load |" in text
    assert text.count("| units list") == 3
    # The load the shared machine was under is written beside each figure, and a missed target says why.
    assert all(isinstance(f["extra"]["load_average"], float) for f in data["figures"])
    missed = [f for f in data["figures"] if f["met"] is False and f["key"].startswith("scoped_list_")]
    assert text.count("**no**: two round trips (the token with the user's scope") == len(missed)


@pytest.mark.django_db(transaction=True)
def test_the_import_figure_times_both_sides_on_the_same_rows_and_leaves_the_estate_empty():
    result = import_once(300)
    assert result["platform"] > 0 and result["floor"] > 0 and result["rows"] >= 300
    assert not PropertyUnit.objects.filter(estate__name="小区", estate__parent__name="社区").exists()


@pytest.mark.django_db(transaction=True)
def test_the_import_figure_alternates_which_side_runs_first_and_reports_one_rounds_pair():
    result = import_once(300, rounds=3)
    assert [r["first"] for r in result["rounds"]] == ["import", "floor", "import"]
    assert (result["platform"], result["floor"]) in [(r["platform"], r["floor"]) for r in result["rounds"]]
    assert not PropertyUnit.objects.filter(estate__name="小区", estate__parent__name="社区").exists()


@pytest.mark.django_db(transaction=True)
def test_the_generated_district_has_its_register_and_counted_owners():
    shape = BENCH_DISTRICT.scaled(0.001)
    made = generate_district("测试区", shape)
    assert made.units == shape.unit_count == PropertyUnit.objects.count()
    assert len(made.estate_ids) == shape.estate_count
    # Every unit has an owner in force; developers own their unsold units as organizations.
    assert Ownership.objects.values("unit_id").distinct().count() == made.units
    assert Owner.objects.filter(is_developer=True).count() == shape.estate_count
    with connection.cursor() as cursor:  # every building sits in its estate, as the tree services keep it
        cursor.execute(
            "SELECT count(*) FROM residents_propertyunit u JOIN governance_place b ON b.id = u.building_id "
            "WHERE b.estate_id <> u.estate_id OR b.parent_id <> u.estate_id"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_the_city_has_ledgers_obligations_and_petitions(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    city = generate_city("测试市", 0.0005, log=lambda *_: None)
    assert len(city.districts) == 2 and city.units == PropertyUnit.objects.count()
    assert LedgerTransaction.objects.count() == 5 * city.estates
    assert Obligation.objects.filter(kind="spot_check").count() >= city.estates
    assert Petition.objects.filter(category="property").exists()


@pytest.mark.django_db(transaction=True)
def test_the_citys_estates_each_held_a_vote_that_was_tallied_and_whose_chain_verifies(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    city = generate_city("测试市", 0.0005, log=lambda *_: None)
    votes = list(Vote.objects.all())
    assert len(votes) == city.estates and {v.estate_id for v in votes} == {
        e for d in city.districts for e in d.estate_ids
    }
    for vote in votes:
        result = vote.results.get()
        assert vote.tally_state == TallyState.DONE
        # A vote whose turnout misses the double majority's quorum (two thirds of owners and of area) fails,
        # unless its estate's rules let it be extended.
        fails = not result.data["quorum"]["met"] and not vote.extension_allowed
        assert vote.status == (VoteStatus.FAILED if fails else VoteStatus.COUNTING)
        assert result.data["quorum"]["voted_owners"] == Ballot.objects.filter(vote=vote).count() > 0
        assert vote_problems(vote) == []
    # Each ballot has its published head and its audit row, as the platform writes them.
    assert PublishedHead.objects.filter(vote__in=votes).count() >= Ballot.objects.count()
    assert AuditEvent.objects.filter(action="ballot.cast").count() == Ballot.objects.count()


@pytest.mark.django_db(transaction=True)
def test_the_vote_figures_open_tally_and_take_ballots_over_http(tmp_path):
    output = tmp_path / "results.json"
    call_command(
        "bench", "--only", "freeze", "tally", "intake", "--scale", "0.01", "--repeat", "1", "--output", str(output)
    )
    figures = {f["key"]: f for f in json.loads(output.read_text())["figures"]}
    assert figures["roll_freeze"]["floor"] > 0 and figures["roll_freeze"]["limit"] == pytest.approx(0.03)
    assert figures["tally"]["floor"] > 0 and figures["tally"]["target"] == 1.3
    intake = figures["ballot_intake"]
    assert intake["rate"] and intake["extra"]["ballots"] > 0 and intake["floor"] > 0
    assert set(intake["extra"]["platform"]["statuses"]) == {"201"}  # every ballot accepted, none refused
    assert figures["ballot_lock"]["platform"] > 0
    # The lock's floor is timed beside it, in transactions of its own (not counted as the platform's). The
    # service's queries per ballot: the vote, the code found and marked used, the settled read, the append.
    assert figures["ballot_lock"]["floor"] > 0 and figures["ballot_lock"]["extra"]["queries"] == 4
