"""Fixtures of the sync tests: the sites of tests/sync_sites.py (shared with tests/cli/)."""

from sync_sites import h, make_site, passphrase, template_dir

__all__ = ["h", "make_site", "passphrase", "template_dir"]
