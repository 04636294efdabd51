"""The desktop client (PySide6): the only package that imports Qt.

Screens call use cases in `referral_desk.usecases` and show the frozen records they return;
they never reach the store or SQLAlchemy (import-linter enforces it). Database calls that can
take longer than a frame run on one background worker (`ui.worker`), so the window stays
responsive with 5 000 people on the caseload. Start with `ui.main.start_window(services)`.
"""
