"""A package none of whose services can be imported is refused, with what it looks like.

Checked right after the rows are decided, before anything is planned or written: every
service row rejected means the file is not what the officer thought (an older HSDS version, a
package without its organisations, ids a spreadsheet mangled). Importing its organisations or
taxonomy alone and calling that a success would hide it; the officer gets one line saying what
the file looks like and why, and nothing is written. The line names tables and reasons only,
never cell contents.
"""

from __future__ import annotations

from collections import Counter

from referral_desk.hsds.findings import Findings
from referral_desk.hsds.links import ACCEPTED, REJECTED_NOT_UUID
from referral_desk.hsds.package_reader import Package, PackageError


def refuse_if_nothing_usable(package: Package, findings: Findings) -> None:
    """Raise PackageError when the package has service rows and none was accepted."""
    total = package.table("service").count
    if not total:
        return
    db = package.db
    accepted = db.execute(f"SELECT count(*) FROM d_service WHERE st = {ACCEPTED}").fetchone()[0]
    if accepted:
        return
    raise PackageError(
        f"Nothing was imported: all {total} service row(s) were rejected; this looks like "
        f"{_article(package.form)} {package.form} {_why(package, findings)}."
    )


def _why(package: Package, findings: Findings) -> str:
    if not package.has_rows("organization"):
        return "without organizations (every service needs the organization that runs it)"
    not_uuid = package.db.execute(
        f"SELECT count(*) FROM d_service WHERE st = {REJECTED_NOT_UUID}"
    ).fetchone()[0]
    if not_uuid == package.table("service").count:
        return "whose ids are not UUIDs, as HSDS 3.0 requires (is it an older HSDS version?)"
    reasons = Counter(i.message for i in findings.rejected if i.table == "service")
    if not reasons:
        return "whose services could not be read"
    reason, count = reasons.most_common(1)[0]
    return f"whose services are rejected ({count} of them: {reason})"


def _article(text: str) -> str:
    return "an" if text[:1].upper() in "AEFHILMNORSX" else "a"
