"""Mailboxes: the accounts a workspace sends from and reads replies in."""
