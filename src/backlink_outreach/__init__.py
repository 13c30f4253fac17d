"""Backlink Outreach: a self-hostable link-building outreach service."""

__version__ = "0.1.0"
