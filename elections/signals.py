"""Signals the voting engine sends on commit, for higher layers to act on.

Each is sent with ``transaction.on_commit`` by the service named, never from a model's save.

- ``vote_filed``: ``vote`` (the filed Vote), ``elected`` (Owner ids, in seat order), ``actor``.
  Sent by ``vote_transition`` on filing an owners' committee election; ``committees`` records
  the new committee.
- ``vote_scheduled``: ``vote``. Sent when a vote enters ``notice`` (the owners' assembly is
  called): the community party organization must attend it (四必 必列席) and, for a resolution,
  give its opinion before voting closes (必参与).
- ``vote_decided``: ``vote``, ``result`` (the VoteResult). Sent when a tally is stored.
"""

from django.dispatch import Signal

vote_filed = Signal()
vote_scheduled = Signal()
vote_decided = Signal()
