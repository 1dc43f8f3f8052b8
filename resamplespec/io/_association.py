"""JWST association files: the science members of an ``*_asn.json``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

def read_association(path: Path) -> tuple[list[Path], str | None]:
    """The science members of a JWST association file, and its product name.

    Member paths are relative to the association's folder.

    Raises
    ------
    ValueError
        Not JSON, no ``products``, or no science member.
    """
    try:
        association = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable association (JSON): {exc}") from None
    products = association.get("products") if isinstance(association, dict) else None
    if not products or not isinstance(products, list):
        raise ValueError(f"{path}: an association needs a 'products' list")
    members: list[Path] = []
    for product in products:
        for member in product.get("members", []):
            kind = str(member.get("exptype", "science")).lower()
            if kind != "science":
                log.info("association member %s (%s) skipped", member.get("expname"), kind)
                continue
            if "expname" not in member:
                raise ValueError(f"{path}: a member has no 'expname'")
            members.append(path.parent / member["expname"])
    if not members:
        raise ValueError(f"{path}: the association lists no science member")
    name = products[0].get("name")
    return members, str(name) if name else None
