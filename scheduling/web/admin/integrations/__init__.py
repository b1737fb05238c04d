"""Admin: integrations with other systems: webhook subscriptions and API keys."""
