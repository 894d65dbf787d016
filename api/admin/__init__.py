"""The admin area: a district's own settings and its API keys."""
