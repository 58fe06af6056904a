"""docs/domain.md §4 at its boundaries, on the example base: 300 owners, 30,000 m² (areas in hundredths)."""

from elections.law import Counts, decide, passes, quorum_met

M2 = 100  # one square metre in hundredths
BASE = {"total_area": 30_000 * M2, "total_owners": 300}


def test_exactly_two_thirds_of_area_and_owners_meets_the_quorum():
    assert quorum_met(voted_area=20_000 * M2, voted_owners=200, **BASE)


def test_one_square_metre_less_than_two_thirds_fails_the_quorum():
    assert not quorum_met(voted_area=19_999 * M2, voted_owners=200, **BASE)


def test_one_owner_less_than_two_thirds_fails_the_quorum():
    assert not quorum_met(voted_area=20_000 * M2, voted_owners=199, **BASE)


def test_one_hundredth_of_a_square_metre_less_fails_the_quorum():
    assert not quorum_met(voted_area=20_000 * M2 - 1, voted_owners=200, **BASE)


PART = {"part_area": 20_000 * M2, "part_owners": 200}


def test_exactly_half_of_participating_owners_does_not_pass():
    assert not passes(threshold="majority", area=15_000 * M2, owners=100, **PART)


def test_one_more_than_half_of_participating_owners_passes():
    assert passes(threshold="majority", area=15_000 * M2, owners=101, **PART)


def test_exactly_half_of_participating_area_does_not_pass():
    assert not passes(threshold="majority", area=10_000 * M2, owners=150, **PART)


def test_candidate_with_most_owners_but_not_more_than_half_the_area_is_not_elected():
    assert not passes(threshold="majority", area=10_000 * M2, owners=120, part_area=21_000 * M2, part_owners=210)


def test_exactly_three_quarters_passes_a_three_quarter_matter():
    assert passes(threshold="three_quarters", area=15_000 * M2, owners=150, **PART)


def test_one_owner_less_than_three_quarters_fails_a_three_quarter_matter():
    assert not passes(threshold="three_quarters", area=15_000 * M2, owners=149, **PART)


def test_one_square_metre_less_than_three_quarters_fails_a_three_quarter_matter():
    assert not passes(threshold="three_quarters", area=14_999 * M2, owners=150, **PART)


def _election(approvals, seats=3, n=5):
    counts = Counts(voted_area=300, voted_owners=3, total_area=300, total_owners=3, approvals=approvals)
    cands = [{"id": i, "is_party_member": i % 2 == 0} for i in range(1, n + 1)]
    return decide(kind="committee_election", threshold="majority", seats=seats, candidates=cands, counts=counts)


def test_the_most_approved_passing_candidates_fill_the_seats():
    data = _election({1: (3, 300), 2: (3, 300), 3: (2, 200), 4: (2, 201), 5: (1, 100)})
    assert data["elected"] == [1, 2, 4] and data["ties"] == [] and data["vacancies"] == 0


def test_a_tie_for_the_last_seat_is_reported_not_broken():
    data = _election({1: (3, 300), 2: (3, 300), 3: (2, 200), 4: (2, 200), 5: (1, 100)})
    assert data["elected"] == [1, 2]
    assert data["ties"] == [3, 4] and data["tied_seats"] == 1 and data["vacancies"] == 0


def test_seats_without_a_passing_candidate_are_vacancies():
    data = _election({1: (3, 300), 2: (1, 100)})
    assert data["elected"] == [1] and data["vacancies"] == 2


def test_no_one_is_elected_without_the_quorum():
    counts = Counts(voted_area=100, voted_owners=1, total_area=300, total_owners=3, approvals={1: (1, 100)})
    data = decide(kind="committee_election", threshold="majority", seats=3, candidates=[{"id": 1}], counts=counts)
    assert data["quorum"]["met"] is False and data["elected"] == [] and data["vacancies"] == 3
