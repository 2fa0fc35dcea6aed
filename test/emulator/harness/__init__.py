"""The launch AWS emulator harness: moto in server mode plus test controls."""
