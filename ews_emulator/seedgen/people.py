"""Deterministic people outside the tenant: customers at the (fictitious) companies and job candidates."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from ews_emulator.seedgen import tenant as data


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    company: str = ""
    title: str = ""
    phone: str = ""
    city: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def domain(self) -> str:
        return self.email.split("@", 1)[1]

    @property
    def address(self) -> tuple[str, str]:
        return (self.name, self.email)


def _local(first: str, last: str) -> str:
    return re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())


def _phone(rng: random.Random) -> str:
    area = rng.choice(["20", "161", "113", "117", "121", "131", "141"])
    return f"+44 {area} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"


class People:
    """The customer pool (3 per company) and a candidate pool; same seed, same people."""

    def __init__(self, seed: str, per_company: int = 3, candidates: int = 30) -> None:
        rng = random.Random(seed)
        src = data.load("people.json")
        names = [(f, sname) for f in src["first_names"] for sname in src["last_names"]]
        rng.shuffle(names)
        used = iter(names)
        self.customers: list[Person] = []
        for company in src["companies"]:
            for _ in range(per_company):
                first, last = next(used)
                self.customers.append(
                    Person(
                        first,
                        last,
                        f"{_local(first, last)}@{company['domain']}",
                        company["name"],
                        rng.choice(src["titles"]),
                        _phone(rng),
                        company["city"],
                    )
                )
        rng.shuffle(self.customers)
        self.candidates = []
        for _ in range(candidates):
            first, last = next(used)
            domain = rng.choice(src["personal_domains"])
            self.candidates.append(
                Person(
                    first,
                    last,
                    f"{_local(first, last)}{rng.randint(1, 99)}@{domain}",
                    phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                )
            )
