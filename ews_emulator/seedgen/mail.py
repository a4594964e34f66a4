"""Mail for one mailbox from its template file (``resources/demo_tenant/mail/*.json``).

The generator turns weighted templates into ``t:Message`` elements with realistic senders, dates
spread over the last 90 days (more of them recent), unread state, categories, flags, HTML or text
bodies (some with a remote tracking image, two with a script) and generated attachments, and then
writes replies into Sent Items the way the mailbox's delegate sends them (Send As, on behalf, own).
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from ews_emulator.seedgen import attachments as files
from ews_emulator.seedgen.people import People, Person
from ews_emulator.seedgen.xmlitems import Address, message
from ews_emulator.store import Recipient

DAY = 86400
TRACKER = "https://tracker.example.net/pixel.gif"
_PH = re.compile(r"\{(\w+)\}")


@dataclass
class Mail:
    """One generated message and where it goes."""

    folder: str
    element: etree._Element
    received: int
    subject: str
    message_id: str
    sender: Person
    text: str
    template: str
    author: Recipient | None = None  # who created it (sent items, drafts); None: delivered to the owner
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def person_of(rec: Recipient, company: str = "Example Ltd") -> Person:
    """A tenant recipient as a :class:`Person` (for signatures and greetings)."""
    first, _, last = rec.display_name.partition(" ")
    return Person(first, last, rec.smtp, company, rec.title or "", rec.phone or "")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class MailGenerator:
    """Generates a mailbox's mail from a template spec; all randomness comes from ``rng``."""

    def __init__(
        self,
        spec: dict,
        owner: Recipient,
        users: dict[str, Recipient],
        people: People,
        now: float,
        rng: random.Random,
        groups: dict[str, Recipient] | None = None,
    ) -> None:
        self.spec = spec
        self.owner = owner
        self.users = users
        self.people = people
        self.now = now
        self.rng = rng
        self.groups = groups or {}
        self.vocab: dict[str, list[str]] = spec.get("vocab", {})
        author = spec.get("sent", {}).get("author")
        self.agent = person_of(users[author]) if author else person_of(owner)

    # Placeholders -------------------------------------------------------------------------
    def _generated(self, key: str, ctx: dict[str, str], received: int) -> str:
        rng = self.rng
        when = datetime.fromtimestamp(received, UTC)
        gens: dict[str, Callable[[], str]] = {
            "order": lambda: f"ORD-{rng.randint(10000, 99999)}",
            "invoice": lambda: f"INV-{when.year}-{rng.randint(1000, 9999)}",
            "amount": lambda: f"£{rng.randint(20, 4800):,}.{rng.choice(['00', '50', '99', '20', '75'])}",
            "ticket": lambda: f"#{rng.randint(40000, 49999)}",
            "date": lambda: datetime.fromtimestamp(received - rng.randint(1, 12) * DAY, UTC).strftime(
                "%d %B"
            ),
            "future_date": lambda: datetime.fromtimestamp(received + rng.randint(2, 14) * DAY, UTC).strftime(
                "%d %B"
            ),
            "date_iso": lambda: datetime.fromtimestamp(received - rng.randint(0, 5) * DAY, UTC).strftime(
                "%Y-%m-%d"
            ),
            "month": lambda: datetime.fromtimestamp(received - 20 * DAY, UTC).strftime("%B %Y"),
            "version": lambda: f"5.{rng.randint(1, 9)}.{rng.randint(0, 12)}",
            "n": lambda: str(rng.randint(2, 40)),
        }
        if key in self.vocab:
            return self.fill(rng.choice(self.vocab[key]), ctx, received)
        if key in gens:
            return gens[key]()
        if key.endswith("_slug"):
            return _slug(self._value(key[:-5], ctx, received))
        raise KeyError(f"unknown placeholder {{{key}}} in the {self.spec.get('owner')} mail templates")

    def _value(self, key: str, ctx: dict[str, str], received: int) -> str:
        if key not in ctx:
            ctx[key] = self._generated(key, ctx, received)
        return ctx[key]

    def fill(self, text: str, ctx: dict[str, str], received: int) -> str:
        """Replace ``{placeholders}``; a placeholder keeps its value throughout one message."""
        return _PH.sub(lambda m: self._value(m.group(1), ctx, received), text)

    def _pick(self, options: str | list[str]) -> str:
        return options if isinstance(options, str) else self.rng.choice(options)

    # Senders ------------------------------------------------------------------------------
    def _sender(self, kind: str | dict) -> tuple[Person, str]:
        if isinstance(kind, dict):
            name, address = kind["name"], kind["address"]
            return Person(name.split()[0], " ".join(name.split()[1:]), address, name), "fixed"
        if kind == "customer":
            return self.rng.choice(self.people.customers), kind
        if kind == "candidate":
            return self.rng.choice(self.people.candidates), kind
        if kind.startswith("internal:"):
            return person_of(self.users[kind.split(":", 1)[1]]), "internal"
        others = [u for u in self.users.values() if u.kind == "user" and u.id != self.owner.id]
        return person_of(self.rng.choice(others)), "internal"

    # Bodies -------------------------------------------------------------------------------
    @staticmethod
    def _signature(who: Person, kind: str) -> list[str]:
        if kind == "customer":
            return [who.name, f"{who.title}, {who.company}", who.phone]
        if kind == "candidate":
            return [who.name, who.phone]
        return []

    def _body(
        self, paras: list[str], signature: list[str], as_html: bool, tracker: bool, script: bool
    ) -> str:
        if not as_html:
            return "\n\n".join(paras) + ("\n" + "\n".join(signature) if signature else "") + "\n"
        parts = [
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>',
            '<div style="font-family:Calibri,Arial,sans-serif;font-size:11pt">',
        ]
        parts += [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paras]
        if signature:
            parts.append(
                '<p style="color:#595959;font-size:9pt">' + "<br>".join(map(html.escape, signature)) + "</p>"
            )
        if tracker:
            parts.append(f'<img src="{TRACKER}" width="1" height="1" alt="">')
        parts.append("</div>")
        if script:
            parts.append("<script>document.location='https://account-verify.example.net/login';</script>")
        parts.append("</body></html>")
        return "".join(parts)

    def _attachments(
        self, tpl: dict, ctx: dict[str, str], received: int, subject: str
    ) -> list[tuple[str, str, bytes]]:
        out = []
        for a in tpl.get("attachments", ()):
            if self.rng.random() >= a["p"]:
                continue
            kind = a["kind"]
            name = self.fill(self._pick(a["name"]), ctx, received)
            if kind == "pdf":
                content = files.pdf(
                    [
                        subject,
                        "",
                        *(
                            f"{k}: {v}"
                            for k, v in sorted(ctx.items())
                            if k in ("company", "invoice", "order", "amount", "name")
                        ),
                    ]
                )
            elif kind == "png":
                content = files.png(self.rng)
            elif kind == "csv":
                content = files.csv(self.rng, received)
            else:
                content = files.log(
                    self.rng,
                    received,
                    self.fill("{error}", ctx, received) if "error" in self.vocab else "Unhandled exception",
                )
            out.append((name, files.CONTENT_TYPES[kind], content))
        return out

    # Delivered mail ---------------------------------------------------------------------------
    def _age(self, folder: str) -> int:
        if folder == "Done":
            return self.rng.randint(7 * DAY, 90 * DAY)
        if folder == "Inbox":
            return 300 + int((90 * DAY - 300) * self.rng.random() ** 1.6)
        return self.rng.randint(DAY // 2, 90 * DAY)

    def _unread(self, folder: str, age: int) -> bool:
        if folder in ("Done", "Deleted Items"):
            return False
        u = self.spec.get("unread", {"recent_days": 3, "recent": 0.5, "older": 0.2})
        return self.rng.random() < (u["recent"] if age < u["recent_days"] * DAY else u["older"])

    def delivered(self, tpl: dict, folder: str) -> Mail:
        """One message from template ``tpl`` delivered into ``folder``."""
        rng = self.rng
        age = self._age(folder)
        received = int(self.now - age)
        who, kind = self._sender(tpl["sender"])
        ctx = {
            "first": who.first,
            "last": who.last,
            "name": who.name,
            "company": who.company or "",
            "domain": who.domain,
            "phone": who.phone or "+44 20 7946 0000",
            "agent": self.agent.name,
            "agent_first": self.agent.first,
            "owner_first": person_of(self.owner).first,
        }
        subject = _cap(self.fill(self._pick(tpl["subject"]), ctx, received))
        paras = [_cap(p) for p in (self.fill(self._pick(p), ctx, received) for p in tpl["body"]) if p]
        as_html = rng.random() < tpl.get("html", 0.5)
        tracker = as_html and rng.random() < tpl.get("tracker", 0.0)
        signature = self._signature(who, kind)
        body = self._body(paras, signature, as_html, tracker, bool(tpl.get("script")))
        cats = [c for c, p in tpl.get("categories", {}).items() if rng.random() < p]
        flagged = rng.random() < tpl.get("flagged", self.spec.get("flagged", 0.0))
        to: list[Address] = [(self.owner.display_name, self.owner.smtp)]
        if tpl.get("to_group") in self.groups:
            grp = self.groups[tpl["to_group"]]
            to = [(grp.display_name, grp.smtp)]
        cc: list[Address] = []
        if kind == "customer" and rng.random() < 0.12:
            mates = [p for p in self.people.customers if p.company == who.company and p != who]
            if mates:
                cc.append(rng.choice(mates).address)
        msg_id = f"<{rng.getrandbits(64):016x}.{rng.getrandbits(32):08x}@{who.domain}>"
        sent = received - rng.randint(4, 180)
        el = message(
            subject=subject,
            body=body,
            html=as_html,
            sender=who.address,
            to=to,
            cc=cc,
            sent=sent,
            is_read=not self._unread(folder, age),
            message_id=msg_id,
            categories=cats,
            importance=tpl.get("importance", "Normal"),
            flagged=flagged,
        )
        text = "\n\n".join(paras)
        mail = Mail(folder, el, received, subject, msg_id, who, text, tpl["name"])
        mail.attachments = self._attachments(tpl, ctx, received, subject)
        return mail

    def inbox_mail(self) -> list[Mail]:
        """All delivered mail of the mailbox, oldest first, for every folder in the spec's ``folders``."""
        out: list[Mail] = []
        templates = self.spec["templates"]
        for folder, count in self.spec["folders"].items():
            exact = [t for t in templates if t.get("exact") and t["folders"][0] == folder]
            for tpl in exact:
                out += [self.delivered(tpl, folder) for _ in range(tpl["exact"])]
            pool = [t for t in templates if t.get("weight", 0) > 0 and folder in t["folders"]]
            if not pool:  # e.g. Deleted Items: anything can end up there
                pool = [t for t in templates if t.get("weight", 0) > 0]
            weights = [t["weight"] for t in pool]
            remaining = count - sum(t["exact"] for t in exact)
            for tpl in self.rng.choices(pool, weights, k=max(remaining, 0)):
                out.append(self.delivered(tpl, folder))
        out.sort(key=lambda m: m.received)
        return out

    # Sent items and drafts ----------------------------------------------------------------------
    def sent_mail(self, delivered: list[Mail], mailbox: Recipient) -> list[Mail]:
        """Replies to some delivered mail, sent by the spec's author in the spec's mode."""
        spec = self.spec.get("sent")
        if not spec:
            return []
        rng = self.rng
        author = self.users[spec["author"]] if spec.get("author") else self.owner
        mode = spec.get("mode", "own")
        box = (mailbox.display_name, mailbox.smtp)
        me = (author.display_name, author.smtp)
        sender, from_ = {"send_as": (box, box), "send_on_behalf": (me, box)}.get(mode, (me, me))
        candidates = [
            m
            for m in delivered
            if m.template not in ("phish",)
            and m.sender.email != author.smtp
            and not m.sender.email.startswith("noreply")
            and m.received < self.now - 900
        ]
        out = []
        for orig in rng.sample(candidates, min(spec["count"], len(candidates))):
            sent = int(min(orig.received + rng.randint(900, DAY), self.now - 60))
            ctx = {
                "first": orig.sender.first,
                "agent": author.display_name,
                "owner_first": person_of(self.owner).first,
            }
            ctx["reply"] = rng.choice(spec["reply"])
            paras = [self.fill(self._pick(p), ctx, sent) for p in spec["body"]]
            stamp = datetime.fromtimestamp(orig.received, UTC).strftime("%A, %d %B %Y %H:%M")
            quoted = (
                f"\n\n-----Original Message-----\nFrom: {orig.sender.name} <{orig.sender.email}>\n"
                f"Sent: {stamp}\nTo: {mailbox.display_name}\nSubject: {orig.subject}\n\n{orig.text}"
            )
            body = "\n\n".join(paras) + quoted + "\n"
            subject = orig.subject if orig.subject.upper().startswith("RE:") else f"RE: {orig.subject}"
            msg_id = f"<{rng.getrandbits(64):016x}.{rng.getrandbits(32):08x}@example.com>"
            el = message(
                subject=subject,
                body=body,
                html=False,
                sender=sender,
                from_=from_,
                to=[orig.sender.address],
                sent=sent,
                is_read=True,
                message_id=msg_id,
                in_reply_to=orig.message_id,
            )
            out.append(
                Mail(
                    spec.get("folder", "Sent Items"),
                    el,
                    sent,
                    subject,
                    msg_id,
                    person_of(author),
                    body,
                    "sent",
                    author=author,
                )
            )
        out.sort(key=lambda m: m.received)
        return out

    def drafts(self, mailbox: Recipient) -> list[Mail]:
        """Unsent drafts (``IsDraft`` true, no sender yet) written by a delegate or the owner."""
        out = []
        for d in self.spec.get("drafts", ()):
            author = self.users[d["author"]]
            when = int(self.now - self.rng.randint(3600, 3 * DAY))
            el = message(
                subject=d["subject"],
                body=d["body"],
                html=False,
                sender=None,
                from_=(mailbox.display_name, mailbox.smtp),
                to=[],
                sent=None,
                is_read=True,
                message_id=None,
                is_draft=True,
            )
            out.append(
                Mail(
                    "Drafts", el, when, d["subject"], "", person_of(author), d["body"], "draft", author=author
                )
            )
        return out
