"""``verify_all`` checks every vote and every estate's ledger, and names each one that does not hold."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from committees.models import LedgerLeg, LedgerTransaction
from committees.tests.factories import around_the_guards
from elections.tests.tamper import behind_the_platforms_back
from oversight.integrity import verify_all
from oversight.tests.integrity import TAMPER_ONE_BALLOT_SQL, integrity_world

pytestmark = pytest.mark.django_db


def _run() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_all", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def little_world(world, cast, django_capture_on_commit_callbacks):
    return integrity_world(world, cast, django_capture_on_commit_callbacks)


def test_verify_all_passes_on_an_intact_vote_and_ledger(little_world):
    code, out, err = _run()
    assert (code, err) == (0, "")
    assert "1 vote(s) and 1 ledger(s) verified" in out


def test_verify_all_fails_naming_the_vote_whose_ballot_was_changed_in_the_database(little_world):
    vote = little_world["vote"]
    with behind_the_platforms_back("elections_ballot"), connection.cursor() as cursor:
        cursor.execute(TAMPER_ONE_BALLOT_SQL, [vote.pk])
        assert cursor.rowcount == 1
    code, _out, err = _run()
    assert code == 1
    assert f"vote {vote.pk} ({vote.title}): " in err
    assert "ledger of estate" not in err


def test_verify_all_fails_naming_the_estate_whose_ledger_entry_was_changed(little_world):
    estate = little_world["estate"]
    big = LedgerTransaction.objects.get(estate=estate, sequence=2)
    around_the_guards("UPDATE committees_ledgerleg SET debit = 1500 WHERE transaction_id = %s AND debit > 0", [big.pk])
    around_the_guards(
        "UPDATE committees_ledgerleg SET credit = 1500 WHERE transaction_id = %s AND credit > 0", [big.pk]
    )
    assert LedgerLeg.objects.filter(transaction=big, debit=1500).exists()
    found = verify_all()
    assert not found.ok
    assert found.failures == [
        f"ledger of estate {estate.pk} ({estate.name}): broken at entry #2: " + found.failures[0].split(": ", 2)[2]
    ]
    code, _out, err = _run()
    assert code == 1
    assert f"ledger of estate {estate.pk} ({estate.name}): broken at entry #2" in err


def test_verify_all_writes_nothing(little_world):
    from governance.models import AuditEvent

    before = AuditEvent.objects.count()
    _run()
    assert AuditEvent.objects.count() == before
