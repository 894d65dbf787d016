"""Operations: liveness, readiness, metrics and problem-type descriptions."""
