"""Use cases of the regional hub: make a team's return, push or carry it, load, report.

Why a service: the command line (and the Reports page's "Region (hub)" option) must make the
same return, with the same keys, and produce regional reports through the same export path as
the team's own (`usecases.reports.render_bytes`: suppression, no names, no free text).

Keys on the team's side:
- the pseudonym key is a team setting that syncs inside the encrypted bundles (`hub.pseudonyms`);
- the signing key is made on the PC that writes returns and stays there, owner-only, in the data
  folder (`hub-signing.pem`); the hub pins it on the team's first return.
The team name is the officer profile's team (`profile set --team`), as every PC of a team has it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from referral_desk.domain.errors import NotPermitted, ValidationError
from referral_desk.domain.roles import KEEPER
from referral_desk.hub import directory as hub_directory
from referral_desk.hub import regional
from referral_desk.hub.connection import HubDatabase
from referral_desk.hub.errors import HubError, KeyMismatch
from referral_desk.hub.facts import collect
from referral_desk.hub.loader import LoadResult, load
from referral_desk.hub.pseudonyms import Pseudonymiser, team_key
from referral_desk.hub.regional import REGIONAL
from referral_desk.hub.returnfile import (
    SignedReturn,
    load_or_create_signing_key,
    open_return,
    read_return_file,
    seal_return,
    sign_return,
)
from referral_desk.reports import export
from referral_desk.reports.model import Report
from referral_desk.reports.suppression import DEFAULT_THRESHOLD
from referral_desk.store.models import LocalSetting, Officer, SiteState
from referral_desk.sync.keys import KeyCache
from referral_desk.usecases.base import FileWritingService
from referral_desk.usecases.common import parse_date
from referral_desk.usecases.reports import (
    MAX_DAYS,
    default_period,
    parse_format,
    render_bytes,
)
from referral_desk.usecases.roles import holds

__all__ = ["SIGNING_KEY_FILE", "HubService", "ReturnWritten", "parse_regional_name"]

SIGNING_KEY_FILE = "hub-signing.pem"
DIRECTORY_SIGNER_SETTING = "hub_directory_signer"
"""Local setting: the publisher key this PC accepted first (trust on first use)."""
PUBLISHER_ROLES = (KEEPER,)  # and roles above it (services.roles)


@dataclass(frozen=True)
class ReturnWritten:
    path: str
    team: str
    needs: int
    referrals: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "team": self.team,
            "needs": self.needs,
            "referrals": self.referrals,
        }


def parse_regional_name(name: str) -> str:
    key = (name or "").strip().lower().replace("_", "-")
    if key == "follow-ups":
        key = "followups"
    if key not in REGIONAL:
        raise ValidationError("Unknown regional report; use one of: " + ", ".join(REGIONAL))
    return key


class HubService(FileWritingService):
    """The team's side (return, push) and the hub's side (init, load, report)."""

    def __init__(self, db: Any, clock: Any = None, **kwargs: Any) -> None:
        super().__init__(db, clock, **kwargs)
        self._keys = KeyCache()

    # --- the team's side ---------------------------------------------------------------------

    @property
    def signing_key_path(self) -> Path:
        return Path(self.db.path).parent / SIGNING_KEY_FILE

    def make_return(self) -> SignedReturn:
        """The team's signed return (a write: the pseudonym key is created the first time)."""
        key = load_or_create_signing_key(self.signing_key_path)
        with self._write(reason="hub return") as session:
            state = session.get(SiteState, 1)
            officer = session.get(Officer, state.officer_id) if state and state.officer_id else None
            team = " ".join((officer.team if officer else "").split())
            if not team:
                raise ValidationError(
                    "Set your team first (referral-desk profile set --team NAME): the hub "
                    "counts returns by team."
                )
            facts = collect(session, Pseudonymiser(team_key(session)))
        created = self.clock.now().isoformat()
        return sign_return(facts, team=team, created=created, key=key)

    def write_return(self, out: str | Path, passphrase: str) -> ReturnWritten:
        """Write the encrypted, signed return to `out` (owner-only, atomically)."""
        path = self.output_guard.check(out, what="return file")  # refuse before the work
        signed = self.make_return()
        data = seal_return(signed, passphrase, self._keys)
        self.output_guard.write(path, data, what="return file")
        facts = signed.facts()
        team = _team_of(signed)
        return ReturnWritten(str(path), team, len(facts["needs"]), len(facts["referrals"]))

    def push(self, url: str) -> LoadResult:
        """Send the return straight to the hub (signed; the connection is the hub's own)."""
        signed = self.make_return()
        hub = HubDatabase(url)
        try:
            return load(hub, signed)
        finally:
            hub.close()

    # --- the regional directory ----------------------------------------------------------------

    def _profile(self) -> tuple[str, str]:
        with self._read() as session:
            state = session.get(SiteState, 1)
            officer = session.get(Officer, state.officer_id) if state and state.officer_id else None
            if officer is None:
                return "", ""
            return " ".join((officer.team or "").split()), officer.role or ""

    def sign_directory(self) -> hub_directory.SignedDirectory:
        """The directory on this PC as a signed HSDS 3.0 package (directory keepers only)."""
        team, _role = self._profile()
        with self._read() as session:
            if not holds(session, KEEPER):
                raise NotPermitted("Only a directory keeper can publish the regional directory.")
        if not team:
            raise ValidationError("Set your team first (referral-desk profile set --team NAME).")
        key = load_or_create_signing_key(self.signing_key_path)
        from referral_desk.hsds.exporter import package_zip

        with self._read() as session:
            content = package_zip(session)
        return hub_directory.sign_directory(
            content, publisher=team, published=self.clock.now().isoformat(), key=key
        )

    def publish_directory(
        self, url: str | None = None, out: str | Path | None = None
    ) -> dict[str, Any]:
        """Publish to the hub (`url`) and/or write a carried directory file (`out`)."""
        if not url and not out:
            raise ValidationError("Give --url to publish at the hub, or --out FILE, or both")
        signed = self.sign_directory()
        result: dict[str, Any] = {
            "publisher": signed.publisher,
            "size": len(signed.content),
            "key": signed.fingerprint(),
        }
        if out:
            path = self.output_guard.write(out, signed.to_bytes(), what="directory file")
            result["path"] = str(path)
        if url:
            hub = HubDatabase(url)
            try:
                with hub.connect() as conn:
                    hub.check(conn)
                    result["published_id"] = hub_directory.publish(conn, signed, self.clock.now())
            finally:
                hub.close()
        return result

    def pull_directory(
        self, url: str | None = None, file: str | Path | None = None, *, dry_run: bool = False
    ) -> tuple[hub_directory.SignedDirectory, Any]:
        """The regional directory from the hub or a carried file, through the usual import
        (with `dry_run`, its preview). Returns (what was verified, the import report)."""
        if bool(url) == bool(file):
            raise ValidationError("Give either --url (pull from the hub) or --file FILE")
        if file:
            path = Path(file)
            if not path.is_file():
                raise HubError("The directory file is not a regular file.")
            if path.stat().st_size > hub_directory.MAX_DIRECTORY:
                raise HubError("The directory file is too large.")
            signed = hub_directory.open_directory(path.read_bytes())
        else:
            hub = HubDatabase(url or "")
            try:
                with hub.connect() as conn:
                    hub.check(conn)
                    found = hub_directory.latest(conn)
            finally:
                hub.close()
            if found is None:
                raise HubError("No regional directory has been published at the hub yet.")
            signed = found
        with self._read() as session:
            pinned = session.get(LocalSetting, DIRECTORY_SIGNER_SETTING)
            pinned_key = pinned.value if pinned is not None else None
        if pinned_key and pinned_key != signed.signer:
            raise KeyMismatch(
                "This directory is signed with a different key from the one this computer "
                "accepted before: not imported (ask the region's directory keeper)."
            )
        from referral_desk.usecases.directory_admin import DirectoryAdminService

        with _private_temp(Path(self.db.path).parent, ".zip") as tmp:
            tmp.write_bytes(signed.content)
            report = DirectoryAdminService(self.db, self.clock).import_package(tmp, dry_run=dry_run)
        if not dry_run and not pinned_key:
            with self.db.write(reason="local setting") as session:
                session.add(LocalSetting(key=DIRECTORY_SIGNER_SETTING, value=signed.signer))
        return signed, report

    # --- the hub's side ----------------------------------------------------------------------

    def init_hub(self, url: str) -> str:
        hub = HubDatabase(url)
        try:
            return hub.upgrade()
        finally:
            hub.close()

    def load_files(self, url: str, files: list[str | Path], passphrase: str) -> list[LoadResult]:
        """Load carried returns, each in its own transaction; stops at the first refused one
        (those before it stay loaded, that one and those after it are not)."""
        if not files:
            raise ValidationError("Name at least one return file to load")
        hub = HubDatabase(url)
        results: list[LoadResult] = []
        try:
            for name in files:
                path = Path(name)
                try:
                    signed = open_return(read_return_file(path), passphrase, self._keys)
                    results.append(load(hub, signed))
                except HubError as err:
                    done = f" ({len(results)} loaded before it)" if results else ""
                    raise type(err)(f"{path.name}: {err}{done}") from err
        finally:
            hub.close()
        return results

    def _period(self, date_from: Any, date_to: Any) -> tuple[date, date]:
        start, end = default_period(self.clock.today())
        start = parse_date(date_from, "From date") or start
        end = parse_date(date_to, "To date") or end
        if start > end:
            raise ValidationError("The from date must be on or before the to date")
        if (end - start).days > MAX_DAYS:
            raise ValidationError("A report can cover at most 20 years")
        return start, end

    def regional(self, name: str, url: str, date_from: Any = None, date_to: Any = None) -> Report:
        """The regional report, unsuppressed (only ever shown through `export`)."""
        key = parse_regional_name(name)
        start, end = self._period(date_from, date_to)
        hub = HubDatabase(url)
        try:
            with hub.connect() as conn:
                hub.check(conn)
                return regional.run(conn, key, start, end, self.clock.today())
        finally:
            hub.close()

    def regional_suppressed(
        self, name: str, url: str, date_from: Any = None, date_to: Any = None
    ) -> Report:
        """What a commissioner sees on screen: the region's tables after suppression."""
        return export.prepare(self.regional(name, url, date_from, date_to), DEFAULT_THRESHOLD)

    def regional_data(
        self, name: str, url: str, date_from: Any = None, date_to: Any = None
    ) -> dict[str, Any]:
        return export.to_data(self.regional(name, url, date_from, date_to), DEFAULT_THRESHOLD)

    def render_regional(self, name: str, url: str, date_from: Any, date_to: Any, fmt: str) -> bytes:
        fmt = parse_format(fmt)
        report = self.regional(name, url, date_from, date_to)
        return render_bytes(report, DEFAULT_THRESHOLD, fmt)

    def export_regional(
        self, name: str, url: str, date_from: Any, date_to: Any, fmt: str, path: str | Path
    ) -> Path:
        self.output_guard.check(path, what="report file")
        content = self.render_regional(name, url, date_from, date_to, fmt)
        return self.output_guard.write(path, content, what="report file")


def _team_of(signed: SignedReturn) -> str:
    import json

    return str(json.loads(signed.statement)["team"])


@contextmanager
def _private_temp(folder: Path, suffix: str) -> Iterator[Path]:
    """An owner-only temporary file beside the database (the pulled package, for the import
    that reads packages from a path), removed afterwards."""
    fd, name = tempfile.mkstemp(prefix=".hub-", suffix=suffix, dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
