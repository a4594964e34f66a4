"""Mailroom: a desktop client for Exchange shared mailboxes."""

__version__ = "0.1.0"
