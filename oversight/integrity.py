"""Verify every record that must never change, across the layers: every vote and every ledger.

Used after a restore (``scripts/restore.sh`` runs ``manage.py verify_all``) and by hand. It reads
only: each vote is checked from its auditor's export alone (``elections.verify``: the frozen
roll, the chain, the bulletin's published heads, every result recounted), each estate's ledger
by ``committees.selectors.ledger_verify`` (the chain, every published statement's pinned head
and totals, the audit trail's count of postings). Nothing is written, so it can run against a
copy, a replica or a database restored read-only; the nightly beat job (``verify_ledgers``) is
the one that records its outcome in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from committees.models import LedgerTransaction, Statement
from committees.selectors import ledger_verify
from elections import selectors as election_selectors
from elections.models import Vote
from elections.services.links import chain_end
from elections.verify import verify_csv
from governance.models import Place


@dataclass
class Integrity:
    """What ``verify_all`` found: how many votes and ledgers it checked, and each failure named."""

    votes: int = 0
    ledgers: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def vote_problems(vote: Vote) -> list[str]:
    """Every difference ``verify_vote`` would report for ``vote`` (empty when it holds), and a chain's tip
    on the vote's row that is not its last link (the next ballot would fail to append)."""
    problems = list(verify_csv(election_selectors.export_csv(vote)).problems)
    end = chain_end(vote)
    if (vote.chain_seq, vote.chain_head) != end:
        problems.append(
            f"the vote records its chain's tip at seq {vote.chain_seq} ({vote.chain_head[:12]}…), "
            f"but the chain ends at seq {end[0]} ({end[1][:12]}…)"
        )
    return problems


def verify_all(*, check_vouchers: bool = False) -> Integrity:
    """Check every vote whose roll was frozen (it has a chain) and every estate that has a ledger.

    ``check_vouchers``: also read each voucher file and compare it with the digest its entry holds.
    """
    found = Integrity()
    for vote in Vote.objects.filter(roll_frozen_at__isnull=False).select_related("estate").order_by("pk"):
        found.votes += 1
        found.failures += [f"vote {vote.pk} ({vote.title}): {problem}" for problem in vote_problems(vote)]
    estate_ids = set(LedgerTransaction.objects.values_list("estate_id", flat=True)) | set(
        Statement.objects.values_list("estate_id", flat=True)
    )
    for estate in Place.objects.filter(pk__in=estate_ids).order_by("pk"):
        found.ledgers += 1
        check = ledger_verify(estate, check_vouchers=check_vouchers)
        if not check.ok:
            found.failures.append(
                f"ledger of estate {estate.pk} ({estate.name}): broken at entry #{check.broken_sequence}: "
                f"{check.problem} ({check.checked} entries before it are intact)"
            )
    return found
