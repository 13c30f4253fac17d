"""Sequences: a campaign's steps, enrollment, and the scheduler duty that sends them."""
