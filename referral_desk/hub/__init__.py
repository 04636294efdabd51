"""The regional hub: de-identified commissioning returns from many teams, on PostgreSQL.

Why (DESIGN.md §10): commissioners fund services across dozens of teams, prisons and offices and
need the same reports over all of them; directory keepers need one place to publish the
regional directory. The hub is an existing engine the region's IT runs (PostgreSQL), and it never
holds names, dates of birth, case numbers or free text: each team sends a *commissioning return*
of categories, bands, states and dates under keyed pseudonyms whose key stays with the team.

Modules:
- `pseudonyms`: the team's keyed hash (same person, same pseudonym; never reversible at the hub);
- `facts`: reads a team's store into a return's plain, de-identified payload;
- `returnfile`: the signed (Ed25519) and encrypted (scrypt + AES-GCM, as sync bundles) file;
- `schema` and `migrations/`: the hub's tables, report views and roles (Alembic of its own);
- `connection`: libpq URIs to an SQLAlchemy engine (psycopg 3), with errors an officer can read;
- `loader`: loads one return atomically and idempotently, pinning each team's signing key;
- `regional`: the four reports over every team, with team as a dimension.

Layering: below `services`, beside `sync`/`reports`; may use `store`, `sync.keys`, `reports`.
"""
