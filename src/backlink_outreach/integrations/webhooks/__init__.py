"""Webhooks: endpoints, the Standard Webhooks signer, and the delivery duty."""
