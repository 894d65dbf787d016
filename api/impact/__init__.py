"""What the training changed: service figures per school and period beside training coverage."""
