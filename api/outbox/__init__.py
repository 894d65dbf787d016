"""The outbox: delivering recorded events to every plugin and webhook endpoint, at least once."""
