"""Imports every command module so that each registers its commands on the app."""

# One module per command family; each owns its options and calls one library function.
