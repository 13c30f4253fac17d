"""Integrations: API keys for scripts, signed webhooks from a transactional outbox, and the
offline `/docs` console (issue 18). Nothing is imported here, so that the domains that write
events (`integrations.events`) pull in only that module."""
