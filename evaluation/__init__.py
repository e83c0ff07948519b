"""The offline evaluation harness: MAP@12 on held-out weeks through the ranking engine."""
