"""The directory keeper's use cases as one object, and the keeper role checked in the service.

The role used to be visible only in widgets; the service checks it too (`usecases.
directory_keeper`), inside each change's own transaction, so the CLI, the hub's directory pull
and any script are refused like the client: one line, nothing written.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from role_helpers import join_another_team, leave_the_team
from sqlalchemy import func, select

from referral_desk.domain.errors import NotPermitted
from referral_desk.store.models import ChangeEntry
from referral_desk.usecases.directory_admin import DirectoryAdminService, ServiceInUse
from referral_desk.usecases.directory_corrections import CorrectionsService
from referral_desk.usecases.directory_exchange import DirectoryExchangeService
from referral_desk.usecases.directory_freshness import DirectoryFreshnessService
from referral_desk.usecases.directory_providers import ProviderEditorService
from referral_desk.usecases.directory_service_editor import ServiceEditorService

PARTS = (
    ProviderEditorService,
    ServiceEditorService,
    DirectoryFreshnessService,
    CorrectionsService,
    DirectoryExchangeService,
)


def _public(cls: type) -> set[str]:
    return {
        name
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_the_facade_is_every_part_and_adds_nothing() -> None:
    assert _public(DirectoryAdminService) == set()
    names = [_public(part) for part in PARTS]
    assert sum(len(n) for n in names) == len(set().union(*names))  # no part hides another's
    for part, own in zip(PARTS, names, strict=True):
        for name in own:
            assert getattr(DirectoryAdminService, name) is getattr(part, name)


def test_a_part_works_on_its_own(app: Any, service: Any) -> None:
    stale = DirectoryFreshnessService(app.db, app.clock).stale_services()
    assert [s.id for s in stale] == [service.id]
    view = ServiceEditorService(app.db, app.clock).verify_today(service.id)
    assert view.assurer == "Alex Morgan"


def _changes(app: Any) -> int:
    with app.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(ChangeEntry)) or 0)


KEEPER_ONLY: dict[str, Callable[[Any, Any, Path], Any]] = {
    "create_organisation": lambda a, s, _p: a.create_organisation(name="Someone's Trust"),
    "update_organisation": lambda a, s, _p: a.update_organisation(s.organisation_id, name="X"),
    "delete_organisation": lambda a, s, _p: a.delete_organisation(s.organisation_id),
    "create_location": lambda a, s, _p: a.create_location(name="Office"),
    "update_location": lambda a, s, _p: a.update_location(s.location.id, name="Hall"),
    "delete_location": lambda a, s, _p: a.delete_location(s.location.id),
    "create_service": lambda a, s, _p: a.create_service(s.organisation_id, "Another"),
    "update_service": lambda a, s, _p: a.update_service(s.id, name="Hijacked"),
    "set_service_areas": lambda a, s, _p: a.set_service_areas(s.id, ["Leeds"]),
    "set_status": lambda a, s, _p: a.set_status(s.id, "defunct"),
    "set_capacity": lambda a, s, _p: a.set_capacity(s.id, "full"),
    "set_precheck": lambda a, s, _p: a.set_precheck(
        s.id, isp_agreed=True, reports_attendance=True, reports_progress=True
    ),
    "verify_today": lambda a, s, _p: a.verify_today(s.id),
    "delete_service": lambda a, s, _p: a.delete_service(s.id),
    "resolve_correction": lambda a, s, _p: a.resolve_correction(a.corrections()[0].id, accept=True),
    "import_package": lambda a, s, p: a.import_package(p),
}


@pytest.fixture
def located(admin: Any, org: Any) -> Any:
    """A service at a location, with an open correction: something for every use case."""
    loc = admin.create_location(organisation_id=org.id, name="Office")
    svc = admin.create_service(org.id, "Housing advice", location_id=loc.id)
    admin.report_correction(svc.id, "The phone number has changed")
    return svc


def test_every_change_the_keeper_makes_is_a_keeper_use_case() -> None:
    reads = {
        "get_organisation",
        "get_location",
        "locations",
        "stale_services",
        "problem_services",
        "corrections",
        "report_correction",  # any officer may report
        "export_package",  # a read: any officer may take the directory with them
    }
    every = set().union(*(_public(part) for part in PARTS))
    assert every - reads == set(KEEPER_ONLY)


@pytest.mark.parametrize("use_case", sorted(KEEPER_ONLY))
def test_an_officer_who_is_not_the_keeper_is_refused_and_nothing_changes(
    app: Any, admin: Any, located: Any, tmp_path: Path, use_case: str
) -> None:
    package = admin.export_package(tmp_path / "package").path
    join_another_team(app.db)  # this officer now holds no role
    before = _changes(app)
    with pytest.raises(NotPermitted, match="Only a directory keeper can do this") as err:
        KEEPER_ONLY[use_case](admin, located, Path(package))
    assert "\n" not in str(err.value)
    assert _changes(app) == before
    leave_the_team(app.db)  # back to its own manager: the role no longer stops the call
    with contextlib.suppress(ServiceInUse):  # (deleting a used record is refused for all)
        KEEPER_ONLY[use_case](admin, located, Path(package))


def test_an_officer_who_is_not_the_keeper_still_reads_and_reports(
    app: Any, admin: Any, located: Any, tmp_path: Path
) -> None:
    join_another_team(app.db)
    assert [s.id for s in admin.stale_services()] == [located.id]
    assert admin.problem_services() == []
    assert admin.report_correction(located.id, "Closed on Fridays").status == "open"
    assert len(admin.corrections()) == 2
    assert admin.export_package(tmp_path / "out").services == 1
    assert admin.import_package(tmp_path / "out", dry_run=True).dry_run
