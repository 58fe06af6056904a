"""Writes of the voting engine, one function per use case.

Every function here is the one way its use case happens: the API, the web pages, the admin,
management commands and Celery tasks all call it. Each takes the acting user (or
``governance.scoping.SYSTEM``) and checks the actor's right itself.

- ``votes``: creating a vote and its lifecycle (transition, close, extend);
- ``candidates``: the preparatory group, nomination and eligibility review;
- ``roll``: the roll frozen when voting opens;
- ``ballots``: casting through every channel, voids, paper serials;
- ``boxes``: ballot boxes sealed, and their entry finished after voting closed;
- ``codes``: voting codes per counted owner, and the limits on guessing them;
- ``proxies``: written mandates registered, accepted or refused;
- ``follow_ups``: a tie settled (run-off, or the rules of procedure) and empty seats filled (by-election);
- ``tally``: the tally, recount, the beat job closing due votes, the auditor's export.
"""

from elections.services.ballots import ballot_cast, ballot_void, paper_serial_void, paper_serials_issue
from elections.services.boxes import ballot_box_finish, ballot_box_seal, boxes_pending
from elections.services.candidates import (
    candidate_nominate,
    candidate_review,
    preparatory_group_record,
    preparatory_group_refusal,
)
from elections.services.codes import TooManyAttempts, code_entry, voting_codes_issue
from elections.services.common import BallotRefused, TransitionRefused
from elections.services.follow_ups import (
    committee_members,
    committee_refusal,
    election_by_election_create,
    election_runoff_create,
    election_tie_settle,
)
from elections.services.proxies import proxy_decide, proxy_mandate_open, proxy_register
from elections.services.tally import (
    close_due_votes,
    result_hash,
    tallies_recover,
    vote_export,
    vote_recount,
    vote_tally,
)
from elections.services.votes import vote_close, vote_create, vote_extend, vote_notice_post, vote_transition

__all__ = [
    "BallotRefused",
    "TooManyAttempts",
    "TransitionRefused",
    "ballot_box_finish",
    "ballot_box_seal",
    "ballot_cast",
    "ballot_void",
    "boxes_pending",
    "candidate_nominate",
    "candidate_review",
    "close_due_votes",
    "code_entry",
    "committee_members",
    "committee_refusal",
    "election_by_election_create",
    "election_runoff_create",
    "election_tie_settle",
    "paper_serial_void",
    "paper_serials_issue",
    "preparatory_group_record",
    "preparatory_group_refusal",
    "proxy_decide",
    "proxy_mandate_open",
    "proxy_register",
    "result_hash",
    "tallies_recover",
    "vote_close",
    "vote_create",
    "vote_export",
    "vote_extend",
    "vote_notice_post",
    "vote_recount",
    "vote_tally",
    "vote_transition",
    "voting_codes_issue",
]
