"""Errors the domain raises.

Messages are shown to officers and printed by the CLI, and may end up in logs, so they must
never contain personal data (names, dates of birth, case numbers): describe the problem with
field names and codes only.
"""


class DomainError(Exception):
    """Base of every error that carries a user-facing, personal-data-free message."""


class ValidationError(DomainError):
    """A value entered by a user is not acceptable.

    `field` names the field it is about, as its form labels it ("Website", "Postcode"), so a
    form can put the message under that field without reading the message.
    """

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """A record named by id or reference does not exist (or was deleted)."""


class IllegalTransition(DomainError):
    """A referral or need cannot move from its current state to the one asked for."""


class ReasonRequired(DomainError):
    """The target state needs a reason code and none (or an unknown one) was given."""


class ConsentRequired(DomainError):
    """A referral needs the person's consent to share, confirmed and not withdrawn."""


class DatabaseError(DomainError):
    """The database file cannot be opened, is corrupt, newer than this app, or not writable."""


class DatabaseBusy(DatabaseError):
    """Another window or command held the write lock for longer than we wait; nothing changed.

    A class of its own so the client can offer "Try again" without reading the message.
    """


class NotPermitted(DomainError):
    """The officer's granted role does not allow this (roles are granted by the team's manager,
    never chosen locally); nothing was changed."""


class WrongPassphrase(DomainError):
    """The unlock passphrase (or recovery code, or OS login) did not open the data key.

    `retry_after` is how many seconds the next attempt must wait: the delay grows after
    repeated failures and survives a restart. Nothing was opened or changed.
    """

    def __init__(self, message: str, *, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DataLocked(DomainError):
    """The data is locked (its key dropped from memory): unlock it first. Nothing changed."""
