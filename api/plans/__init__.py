"""Campus action plans: plan items per school, from staff or from module 5's action plan, and
the re-measure sweep (`plan.due`)."""
