"""The tables of `store.trust`: this installation's signing key, the role grants received and
the digests of signed directory changes (what each holds and why: `store.trust`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from referral_desk.domain.roles import Grant
from referral_desk.store.model_base import Base


class SigningKey(Base):
    """This installation's Ed25519 key pair (one row). Never synced, never exported."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RoleGrant(Base):
    """A grant or revoke with a genuine signature, as received (see `domain.roles.Grant`)."""

    __tablename__ = "role_grant"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grantee_id: Mapped[str] = mapped_column(String(36))
    grantee_key: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted: Mapped[bool] = mapped_column(Boolean)
    issued_hlc: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(String(36))
    issuer_key: Mapped[str] = mapped_column(String(64))
    sig: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime)

    def to_grant(self) -> Grant:
        return Grant(
            id=self.id,
            grantee_id=self.grantee_id,
            grantee_key=self.grantee_key,
            role=self.role,
            granted=bool(self.granted),
            at=self.issued_hlc,
            issuer_id=self.issuer_id,
            issuer_key=self.issuer_key,
            sig=self.sig,
        )


class SignedEntry(Base):
    """A change entry's digest as signed by `key` (a run may be re-published: one row each)."""

    __tablename__ = "signed_entry"

    site_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
