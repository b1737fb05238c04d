"""Admin: routing forms (questions, rules, fallback, test page) and round-robin teams (pools)."""
