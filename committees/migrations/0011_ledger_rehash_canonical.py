"""Move the ledger's hash chain onto the project's one canonical serialisation (``core.hashing.chain_digest``).

Each estate's chain is first checked with the digest it was written with; a chain that does
not verify stops the migration (re-hashing it would launder a tampered entry). Then every
entry is hashed again, in order, and each published statement gets the hash of the last
entry it covers (``chain_head``). The platform is not in production yet, so the stored hashes
are replaced rather than kept beside a cut-over (docs/committees.md).
"""

import datetime
import hashlib
import json
from decimal import Decimal

from django.db import migrations

from core.hashing import GENESIS, chain_digest

FEN = Decimal("0.01")


def _old_digest(tx, legs, previous):
    body = {
        "estate": tx.estate_id,
        "sequence": tx.sequence,
        "date": tx.date.isoformat(),
        "memo": tx.memo,
        "voucher": tx.voucher.name or "",
        "voucher_sha256": tx.voucher_sha256,
        "recorded_by": tx.recorded_by_id,
        "recorded_at": tx.recorded_at.astimezone(datetime.UTC).isoformat(),
        "reverses": tx.reverses_id,
        "reason": tx.reason,
        "legs": [[a, str(Decimal(d).quantize(FEN)), str(Decimal(c).quantize(FEN))] for a, d, c in legs],
        "previous": previous,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _new_digest(tx, legs, previous):
    body = {
        "estate": tx.estate_id,
        "sequence": tx.sequence,
        "date": tx.date,
        "memo": tx.memo,
        "voucher": tx.voucher.name or "",
        "voucher_sha256": tx.voucher_sha256,
        "recorded_by": tx.recorded_by_id,
        "recorded_at": tx.recorded_at,
        "reverses": tx.reverses_id,
        "reason": tx.reason,
        "legs": [[a, Decimal(d).quantize(FEN), Decimal(c).quantize(FEN)] for a, d, c in legs],
    }
    return chain_digest(body, previous)


def forward(apps, schema_editor):
    Transaction = apps.get_model("committees", "LedgerTransaction")
    Leg = apps.get_model("committees", "LedgerLeg")
    Statement = apps.get_model("committees", "Statement")
    for estate_id in sorted(set(Transaction.objects.values_list("estate_id", flat=True))):
        old_previous = new_previous = GENESIS
        heads = {0: GENESIS}
        for tx in Transaction.objects.filter(estate_id=estate_id).order_by("sequence"):
            legs = list(Leg.objects.filter(transaction_id=tx.pk).order_by("pk").values_list("account", "debit", "credit"))
            if tx.previous_hash != old_previous or _old_digest(tx, legs, old_previous) != tx.hash:
                raise RuntimeError(
                    f"estate {estate_id}: ledger entry #{tx.sequence} does not match its hash; "
                    "investigate (verify_ledger on the previous release) before migrating"
                )
            old_previous = tx.hash
            new_hash = _new_digest(tx, legs, new_previous)
            Transaction.objects.filter(pk=tx.pk).update(previous_hash=new_previous, hash=new_hash)
            heads[tx.sequence] = new_previous = new_hash
        for statement in Statement.objects.filter(estate_id=estate_id):
            Statement.objects.filter(pk=statement.pk).update(chain_head=heads.get(statement.last_sequence, ""))
    Statement.objects.filter(last_sequence=0).update(chain_head=GENESIS)


class Migration(migrations.Migration):
    dependencies = [("committees", "0010_ledger_drop_hand_written_guards")]

    # Forward only: the old digest is not worth restoring on the way back.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
