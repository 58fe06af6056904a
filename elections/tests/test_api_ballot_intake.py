"""The online ballot with a voting code through the API: what it costs the database (issue 13).

Every statement the request sends is listed in the order sent; savepoints (the test's own
transaction turns the service's into savepoints) are left out.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from elections import services
from elections.models import Ballot, Vote
from elections.tests.factories import open_resolution
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def _post_ballot(api, vote, token, code):
    return api.post(
        f"/api/v1/votes/{vote.pk}/ballots/",
        {"channel": "online", "choice": "for", "voting_code": code},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


@pytest.fixture
def voter_token(cast):
    return Token.objects.create(user=cast["resident"]).key


def _cast_capturing(world, api, token) -> list[str]:
    vote = open_resolution(world["estate_a"])
    _entry_id, code = services.voting_codes_issue(vote=vote, actor=SYSTEM)[0]
    ContentType.objects.get_for_model(Ballot)  # kept by the process once read, as a worker's is
    with CaptureQueriesContext(connection) as queries:
        answer = _post_ballot(api, vote, token, code)
    assert answer.status_code == 201, answer.data
    return _statements(queries)


@pytest.mark.postgres
def test_an_online_ballot_with_a_code_takes_five_statements(world, ten_owners, api, voter_token):
    """The token with the user's scope, the vote's scoped lookup, the code marked used with its entry, the
    settled read, and the append that locks the vote (7 before: the service read the vote again, and found
    the code and marked it in two statements)."""
    statements = _cast_capturing(world, api, voter_token)
    assert len(statements) == 5, statements
    assert "FOR UPDATE" in statements[-1] and 'INSERT INTO "elections_ballot"' in statements[-1]


@pytest.mark.postgres
def test_an_online_ballot_with_a_code_reads_the_vote_once(world, ten_owners, api, voter_token):
    """The view's scoped lookup is the vote's only read: the service takes the vote as the view read it."""
    statements = _cast_capturing(world, api, voter_token)
    reads = [sql for sql in statements if sql.startswith("SELECT") and 'FROM "elections_vote"' in sql]
    assert len(reads) == 1, reads


@pytest.mark.postgres
def test_an_online_ballot_finds_its_code_and_marks_it_used_in_one_statement(world, ten_owners, api, voter_token):
    statements = _cast_capturing(world, api, voter_token)
    touching = [sql for sql in statements if '"elections_votingcode"' in sql]
    assert len(touching) == 1, touching
    assert touching[0].startswith("WITH used AS (") and '"elections_rollentry"' in touching[0]


def test_a_vote_outside_the_voters_scope_answers_404_and_takes_no_ballot(world, cast, ten_owners, api):
    vote = open_resolution(world["estate_a"])
    _entry_id, code = services.voting_codes_issue(vote=vote, actor=SYSTEM)[0]
    outsider = Token.objects.create(user=cast["secretary_b"]).key
    tip = Vote.objects.values_list("chain_seq", flat=True).get(pk=vote.pk)
    answer = _post_ballot(api, vote, outsider, code)
    assert answer.status_code == 404
    assert not Ballot.objects.filter(vote=vote).exists()
    assert Vote.objects.values_list("chain_seq", flat=True).get(pk=vote.pk) == tip


# The API reads only the vote's columns a ballot reads (``BALLOT_VOTE_FIELDS``): no channel reads another.


@pytest.fixture
def lazy_reads(monkeypatch):
    """The columns read one query each from a vote or place that was read without them (``only``)."""
    from governance.models import Place

    reads = []
    for model in (Vote, Place):

        def refresh(self, using=None, fields=None, from_queryset=None, _original=model.refresh_from_db):
            if fields is not None:
                reads.append((type(self).__name__, *fields))
            return _original(self, using=using, fields=fields, from_queryset=from_queryset)

        monkeypatch.setattr(model, "refresh_from_db", refresh)
    return reads


def _by_code(vote, ten_owners, cast):
    _entry_id, code = services.voting_codes_issue(vote=vote, actor=SYSTEM)[0]
    return cast["resident"], {"channel": "online", "voting_code": code, "choice": "for"}, 201


def _by_phone(vote, ten_owners, cast):
    return cast["clerk"], {"channel": "phone", "owner": ten_owners[0][1].pk, "reference": "T1", "choice": "for"}, 201


def _on_paper(vote, ten_owners, cast):
    services.paper_serials_issue(vote=vote, serials=["P1"], actor=cast["clerk"])
    return (
        cast["clerk"],
        {"channel": "central", "owner": ten_owners[0][1].pk, "paper_serial": "P1", "choice": "for"},
        201,
    )


def _by_proxy(vote, ten_owners, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    owner = ten_owners[3][1]
    mandate = SimpleUploadedFile("委托书.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    proxy = services.proxy_register(vote=vote, owner=owner, user=cast["resident"], mandate=mandate, actor=cast["clerk"])
    services.proxy_decide(proxy=proxy, accept=True, actor=cast["secretary_a"])
    return cast["resident"], {"channel": "online", "owner": owner.pk, "choice": "for"}, 201


def _by_a_buyer(vote, ten_owners, cast):
    from django.utils import timezone

    from elections.tests.factories import OwnerFactory
    from residents.models import Ownership

    unit, seller = ten_owners[1]
    today = timezone.localdate()
    Ownership.objects.filter(unit=unit, owner=seller, end__isnull=True).update(end=today)
    Ownership.objects.create(unit=unit, owner=OwnerFactory(place=vote.estate), start=today)
    return cast["clerk"], {"channel": "phone", "unit": unit.pk, "reference": "T2", "choice": "for"}, 201


def _refused_to_a_resident(vote, ten_owners, cast):
    return cast["resident"], {"channel": "phone", "owner": ten_owners[0][1].pk, "reference": "T3", "choice": "for"}, 403


@pytest.mark.parametrize("case", [_by_code, _by_phone, _on_paper, _by_proxy, _by_a_buyer, _refused_to_a_resident])
def test_a_ballot_through_the_api_reads_no_column_of_the_vote_lazily(case, world, cast, ten_owners, api, lazy_reads):
    vote = open_resolution(world["estate_a"])
    user, body, status = case(vote, ten_owners, cast)
    answer = api.as_user(user).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json")
    assert answer.status_code == status, answer.data
    assert lazy_reads == []
