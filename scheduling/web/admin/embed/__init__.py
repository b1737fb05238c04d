"""Admin: the embeddable widget (allowed origins, consent), the funnel report and A/B tests."""
