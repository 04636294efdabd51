"""Referral Desk: log unmet needs, find services, refer and follow up."""

__version__ = "0.1.0"
