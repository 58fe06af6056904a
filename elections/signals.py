"""Signals the voting engine sends on commit, for higher layers to act on."""

from django.dispatch import Signal

# Sent when an owners' committee election has been filed with the street office.
# Arguments: ``vote`` (the filed Vote), ``elected`` (list of Owner ids, in seat order),
# ``actor`` (the User who filed it). The committees app records the new committee.
vote_filed = Signal()
