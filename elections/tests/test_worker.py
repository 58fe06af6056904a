"""The tally on a real Celery worker: closing a vote enqueues it on commit; the worker stores the result."""

import time

import pytest

from elections import services
from elections.models import Channel, TallyState, Vote
from elections.tests.factories import open_resolution


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_closing_a_vote_has_a_real_worker_count_it(estate, ten_owners, cast, celery_worker_process):
    vote = open_resolution(estate)
    for i, (_unit, owner) in enumerate(ten_owners[:8]):
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference=f"T{i}", owner_id=owner.pk, choice="for", actor=cast["clerk"]
        )
    services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        vote = Vote.objects.get(pk=vote.pk)
        if vote.tally_state == TallyState.DONE:
            break
        time.sleep(0.2)
    assert vote.tally_state == TallyState.DONE
    assert vote.latest_result.data["passed"] is True
