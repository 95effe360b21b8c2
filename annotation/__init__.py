"""Human review through Label Studio: label config, push, pull, status."""
