"""Receivers of signals sent by lower layers; each calls one service of this app."""
