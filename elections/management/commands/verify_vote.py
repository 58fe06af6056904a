"""Check a vote's hash chain and recompute its tally from the auditor's export, independently of the stored result."""

from django.core.management.base import BaseCommand, CommandError

from elections import selectors
from elections.models import Vote
from elections.verify import verify_csv


class Command(BaseCommand):
    help = "Verify VOTE_ID: check the ballots' hash chain and recount from the export; exit 1 on any mismatch."

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
        result = vote.latest_result
        if result is not None:
            if found.chain_head != result.chain_head:
                problems.append("the chain's head differs from the one stored with the result")
            for key in sorted(set(found.data) | set(result.data)):
                if found.data.get(key) != result.data.get(key):
                    problems.append(
                        f"result field {key!r}: recomputed {found.data.get(key)!r}, stored {result.data.get(key)!r}"
                    )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(f"vote {vote_id}: {len(problems)} problem(s)")
            raise SystemExit(1)
        self.stdout.write(
            f"vote {vote_id}: OK — {found.ballots} ballots, chain head {found.chain_head[:16]}…, "
            f"result {'recomputed and equal' if result else 'not yet counted'}"
        )
