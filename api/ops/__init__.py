"""Operations: liveness, readiness, metrics, problem-type descriptions, and the pages a person opens."""
