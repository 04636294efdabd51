"""Printed documents (DESIGN.md §7): the referral slip for the person and the provider form.

Takes plain frozen dataclasses (documents.model) and returns PDF bytes; never touches the
database or Qt. Output is deterministic, so the same data always gives byte-identical files.
Import the renderers from their modules (documents.slip, documents.provider_form,
documents.batch); this package imports nothing so that loading it costs nothing.
"""
