"""The webhook plugin: signed, retried deliveries of events to district endpoints."""
