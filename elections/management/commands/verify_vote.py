"""Check a vote's frozen roll, hash chain, published heads and results from the auditor's export alone."""

from django.core.management.base import BaseCommand, CommandError

from elections import selectors
from elections.models import Vote
from elections.verify import verify_csv


class Command(BaseCommand):
    help = (
        "Verify VOTE_ID: the frozen roll's digest, the hash chain, the bulletin's published heads, and every "
        "result recounted from the export; exit 1 naming what differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("vote_id", type=int)
        parser.add_argument("--csv", help="verify this exported CSV file instead of exporting from the database")

    def handle(self, *args, vote_id, csv=None, **options):
        vote = Vote.objects.filter(pk=vote_id).first()
        if vote is None:
            raise CommandError(f"no vote {vote_id}")
        if csv:
            with open(csv, encoding="utf-8") as fh:
                text = fh.read()
        else:
            text = selectors.export_csv(vote)
        found = verify_csv(text)
        problems = list(found.problems)
        if csv:
            # The file against the database as it is now (the vote may have moved on since the export):
            # the head the bulletin published at the file's last link, and the file's results, must be stored.
            heads = dict(vote.published_heads.values_list("seq", "head"))
            if heads and heads.get(found.links + found.ballots) != found.chain_head:
                problems.append("the file's chain head differs from the head the bulletin published at that link")
            stored = list(vote.results.order_by("round").values_list("data", flat=True))
            if stored[: len(found.results)] != found.results:
                problems.append("the file's results differ from the results stored in the database")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(f"vote {vote_id}: {len(problems)} problem(s)")
            raise SystemExit(1)
        self.stdout.write(
            f"vote {vote_id}: OK — {found.links} links and {found.ballots} ballots, chain head "
            f"{found.chain_head[:16]}…, {len(found.results)} result(s) recomputed and equal"
        )
