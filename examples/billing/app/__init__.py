"""The example service: a minimal FastAPI app that the platform can release."""
