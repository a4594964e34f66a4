"""Contacts and contact groups of the demo tenant (``contacts`` section of ``tenant.json``)."""

from __future__ import annotations

import random

from lxml import etree

from ews_emulator.seedgen.people import People, Person
from ews_emulator.seedgen.xmlitems import contact, distribution_list


def _contact(p: Person, rng: random.Random, categories: list[str]) -> etree._Element:
    mobile = f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}" if rng.random() < 0.5 else ""
    notes = f"Main contact at {p.company}." if p.company and rng.random() < 0.3 else ""
    return contact(
        given=p.first,
        surname=p.last,
        email=p.email,
        company=p.company,
        title=p.title,
        phone=p.phone,
        mobile=mobile,
        city=p.city,
        notes=notes,
        categories=categories,
    )


def contact_items(spec: dict, people: People, rng: random.Random) -> list[etree._Element]:
    """The contacts (and optional contact group) one mailbox's spec asks for.

    ``spec``: ``{"customers": [start, count], "candidates": n, "fixed": [{first, last, email, company, title}],
    "categories": {"Name": probability}, "group": {"name": ..., "members": n}}``; ``"photos": n`` (the first n
    contacts get a picture, :mod:`ews_emulator.seedgen.photos`) is applied by the seed when it stores them.
    """
    chosen: list[Person] = []
    if "customers" in spec:
        start, count = spec["customers"]
        chosen += people.customers[start : start + count]
    chosen += people.candidates[: spec.get("candidates", 0)]
    chosen += [
        Person(
            f["first"],
            f["last"],
            f["email"],
            f.get("company", ""),
            f.get("title", ""),
            f.get("phone", ""),
            f.get("city", ""),
        )
        for f in spec.get("fixed", ())
    ]
    cats = spec.get("categories", {})
    out = [_contact(p, rng, [c for c, prob in cats.items() if rng.random() < prob]) for p in chosen]
    group = spec.get("group")
    if group:
        members = chosen[: group["members"]]
        out.append(distribution_list(group["name"], [p.address for p in members]))
    return out
