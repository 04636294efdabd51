"""Reports for commissioners: unmet needs, referral outcomes, follow-up discipline, freshness.

Why a package of its own: commissioners asked "where do reports of unmet needs go?" and got no
answer (DESIGN.md §1). Each report module turns the whole team's synced data into plain,
frozen `model.Report` values with SQL aggregation, so the same figures feed the Reports screen,
the command line and every export.

Two rules shape the package:

- what is built here is the *officer's* view (exact counts, "Other" need descriptions for review);
- anything that leaves the machine goes through `export.prepare` first, which suppresses small
  counts (with secondary suppression, see `suppression`), pseudonymises officers and drops all
  free text. There is no other path to a file.

Layering: may import `store` and `domain`, never `services`, `documents` or Qt.
"""
