"""Placeholder replaced below."""

from __future__ import annotations


def convert_legacy(text: str) -> tuple[str, bool]:
    return text, False
