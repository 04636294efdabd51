"""Fixtures of the command-line tests: the sync sites `sync` commands run against."""

from sync_sites import make_site, passphrase, template_dir

__all__ = ["make_site", "passphrase", "template_dir"]
