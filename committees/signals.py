"""Signals this app sends on commit, for higher layers (oversight) to act on.

Each is sent with ``transaction.on_commit`` by the service that made the change.

- ``meeting_scheduled``: ``meeting`` — a committee meeting or owners' assembly the community
  party organization must attend (四必: 必列席).
- ``meeting_attended``: ``meeting`` — attendance was recorded (the evidence of 必列席).
- ``decision_recorded``: ``decision`` — a decision; a major one calls for the party
  organization's participation (必参与).
- ``project_registered``: ``project`` — a project; a major one must be supervised (必监督).
- ``project_changed``: ``project``, ``change`` (``"started"``, ``"milestone"`` with the
  ``milestone`` reached, or ``"accepted"``) — a project started, reached a milestone or was
  accepted (the evidence of 必监督 through its life).
- ``spending_requested``: ``request`` — a spending request was filed; above the thresholds it
  waits on the supervision group and the discipline reviewer (their queues).
- ``spending_paid``: ``request`` — a spending request was paid from public revenue.
- ``committee_recorded``: ``committee`` — a new owners' committee took office.
- ``ledger_checked``: ``estate``, ``ok`` (bool), ``problem`` (str) — the estate's ledger was
  verified; a failure raises an early warning.
"""

from django.dispatch import Signal

meeting_scheduled = Signal()
meeting_attended = Signal()
decision_recorded = Signal()
project_registered = Signal()
project_changed = Signal()
spending_requested = Signal()
spending_paid = Signal()
committee_recorded = Signal()
ledger_checked = Signal()
