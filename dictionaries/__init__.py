"""Shipped data tables; installed as the package ``pipeline.dictionaries`` (see ``pipeline.resources``)."""
