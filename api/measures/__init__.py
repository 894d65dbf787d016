"""Measures beyond the feedback card: exit interviews and secret-shopper visits."""
