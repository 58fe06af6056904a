"""Signals this app sends on commit, for higher layers (oversight) to act on.

- ``meeting_scheduled``: ``meeting`` — a committee meeting or owners' assembly the community
  party organization must attend (四必: 必列席).
- ``decision_recorded``: ``decision`` — a decision; a major one calls for the party
  organization's participation (必参与).
- ``project_registered``: ``project`` — a project; a major one must be supervised (必监督).
- ``spending_paid``: ``request`` — a spending request was paid from public revenue.
"""

from django.dispatch import Signal

meeting_scheduled = Signal()
decision_recorded = Signal()
project_registered = Signal()
spending_paid = Signal()
