"""The progress area: learners, attempts, scoring, completions, the group's view."""
