"""Headless command line on the same services as the desktop client."""
