"""The Pulumi program: configuration is read here, and only here."""
