"""Branching scenarios, the learner's side: one step at a time, never the graph ahead."""
