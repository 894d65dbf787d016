"""Alembic migrations; `api.migrate` runs them."""
