"""The platform's CrossGuard policy pack: rules in ``policies.rules``; ``__main__`` builds the pack."""
