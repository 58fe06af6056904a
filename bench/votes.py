"""Votes in the simulated city: filled in once the elections layer's bulk paths are settled (issue 13)."""


def vote_in_estates(estate_ids: list[int]) -> int:
    """Run one resolution vote in each estate; return the ballots cast (none yet)."""
    return 0
