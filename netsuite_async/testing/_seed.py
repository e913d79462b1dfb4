"""Deterministic seed data of a realistic shape, fast to build (bulk ``executemany``).

Sizes by key: ``customers``, ``contacts``, ``vendors``, ``employees``, ``items``, ``sales_orders``,
``invoices`` (invoices are made from the first sales orders, with ``createdFrom``). Customers get internal
ids 1..N when seeded first on an empty account (entities share one id sequence, as in NetSuite). Records
carry ``externalId`` values like ``CUST-000001``. Timestamps are in 2024, one minute apart, so live writes
always come later. The same ``rng_seed`` gives the same data.

Every account has subsidiary 1 ("Parent Company") and currency 1 ("USD"), seeded or not.

Examples:
    ```python
    seed(emu, {"customers": 100_000})          # a few seconds at most
    seed(emu, DEMO_SEED)                        # the server's default demo data
    ```
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from netsuite_async._checks import is_int
from netsuite_async.testing._metadata import lookup

if TYPE_CHECKING:
    from netsuite_async.testing._emulator import Emulator

__all__ = ["DEMO_SEED", "SEED_KEYS", "seed", "seed_base"]

SEED_KEYS = ("customers", "contacts", "vendors", "employees", "items", "sales_orders", "invoices")
DEMO_SEED: dict[str, int] = {
    "customers": 50,
    "contacts": 20,
    "employees": 5,
    "vendors": 5,
    "items": 20,
    "sales_orders": 30,
    "invoices": 10,
}

_FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Frances",
    "John",
    "Radia",
    "Dennis",
    "Katherine",
    "Niklaus",
    "Hedy",
    "Linus",
    "Annie",
    "Tim",
    "Joan",
    "Guido",
)
_LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Allen",
    "Backus",
    "Perlman",
    "Ritchie",
    "Johnson",
    "Wirth",
    "Lamarr",
    "Torvalds",
    "Easley",
    "Berners-Lee",
    "Clarke",
    "van Rossum",
)
_WORDS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Aperture",
    "Gringotts",
    "Monarch",
    "Pied Piper",
    "Dunder",
    "Oscorp",
)
_SUFFIX = ("Inc.", "LLC", "Ltd.", "GmbH", "Corp.", "Group", "Partners", "Co.")
_PRODUCTS = ("Widget", "Gadget", "Sprocket", "Flange", "Gizmo", "Bracket", "Valve", "Bearing", "Spindle", "Rotor")
_EPOCH = 1704067200.0  # 2024-01-01T00:00:00Z


def _stamp(n: int) -> str:
    ts = _EPOCH + n * 60
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def seed_base(emu: Emulator) -> None:
    """The records every account has: subsidiary 1 and currency 1.

    Examples:
        ```python
        seed_base(emu)
        ```
    """
    store = emu.store
    cur = lookup("currency")
    sub = lookup("subsidiary")
    assert cur is not None
    assert sub is not None
    if store.get(cur, 1) is None:
        store.bulk_insert(
            cur,
            [
                {
                    "id": "1",
                    "name": "USD",
                    "symbol": "USD",
                    "isInactive": False,
                    "dateCreated": _stamp(0),
                    "lastModifiedDate": _stamp(0),
                }
            ],
        )
    if store.get(sub, 1) is None:
        store.bulk_insert(
            sub,
            [
                {
                    "id": "1",
                    "name": "Parent Company",
                    "isInactive": False,
                    "currency": {"id": "1"},
                    "dateCreated": _stamp(0),
                    "lastModifiedDate": _stamp(0),
                }
            ],
        )


def seed(emu: Emulator, sizes: Mapping[str, int]) -> dict[str, list[int]]:
    """Add seed records; returns the new internal ids per key.

    Examples:
        ```python
        ids = seed(emu, {"customers": 10, "sales_orders": 5})
        assert ids["customers"] == list(range(1, 11))
        ```
    """
    for key, n in sizes.items():
        if key not in SEED_KEYS:
            raise ValueError(f"unknown seed key {key!r}; use {', '.join(SEED_KEYS)}")
        if not is_int(n) or n < 0:
            raise ValueError(f"seed size for {key!r} must be an int >= 0, got {n!r}")
    rng = random.Random(emu.config.rng_seed)
    store = emu.store
    tick = 1
    out: dict[str, list[int]] = {}

    def build(type_name: str, count: int, make: Any) -> list[int]:
        nonlocal tick
        rt = lookup(type_name)
        assert rt is not None
        docs = []
        ids = []
        for i in range(count):
            rid = store.next_id(rt)
            doc = make(i, rid)
            doc["id"] = str(rid)
            doc["dateCreated"] = doc["lastModifiedDate"] = _stamp(tick)
            tick += 1
            docs.append(doc)
            ids.append(rid)
        store.bulk_insert(rt, docs)
        return ids

    def customer(i: int, rid: int) -> dict[str, Any]:
        name = f"{_WORDS[i % len(_WORDS)]} {_SUFFIX[(i // len(_WORDS)) % len(_SUFFIX)]} {i + 1}"
        return {
            "entityId": f"CUST{i + 1:06d}",
            "externalId": f"CUST-{i + 1:06d}",
            "companyName": name,
            "isPerson": False,
            "email": f"billing{i + 1}@{_WORDS[i % len(_WORDS)].lower().replace(' ', '')}.example",
            "phone": f"555-{(bits := rng.getrandbits(24)) % 1000:03d}-{(bits >> 10) % 10000:04d}",
            "isInactive": bits % 20 == 0,
            "subsidiary": {"id": "1"},
            "currency": {"id": "1"},
            "creditLimit": (1000.0, 5000.0, 10000.0, 25000.0)[bits >> 22],
        }

    customers = out["customers"] = build("customer", sizes.get("customers", 0), customer)

    def contact(i: int, rid: int) -> dict[str, Any]:
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 7) % len(_LAST)]
        doc: dict[str, Any] = {
            "externalId": f"CONT-{i + 1:06d}",
            "entityId": f"{first} {last} {i + 1}",
            "firstName": first,
            "lastName": last,
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}{i + 1}@example.com",
            "subsidiary": {"id": "1"},
        }
        if customers:
            doc["company"] = {"id": str(customers[i % len(customers)])}
        return doc

    out["contacts"] = build("contact", sizes.get("contacts", 0), contact)
    out["vendors"] = build(
        "vendor",
        sizes.get("vendors", 0),
        lambda i, rid: {
            "externalId": f"VEND-{i + 1:06d}",
            "entityId": f"VEND{i + 1:05d}",
            "companyName": f"{_WORDS[(i + 5) % len(_WORDS)]} Supply {i + 1}",
            "email": f"orders{i + 1}@supply.example",
            "subsidiary": {"id": "1"},
            "currency": {"id": "1"},
        },
    )
    out["employees"] = build(
        "employee",
        sizes.get("employees", 0),
        lambda i, rid: {
            "externalId": f"EMP-{i + 1:05d}",
            "firstName": _FIRST[(i * 3) % len(_FIRST)],
            "lastName": _LAST[(i * 5) % len(_LAST)],
            "entityId": f"EMP{i + 1:05d}",
            "email": f"employee{i + 1}@company.example",
            "hireDate": f"20{10 + i % 14:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "subsidiary": {"id": "1"},
        },
    )

    def item(i: int, rid: int) -> dict[str, Any]:
        price = round(rng.uniform(2, 500), 2)
        return {
            "externalId": f"ITEM-{i + 1:05d}",
            "itemId": f"{_PRODUCTS[i % len(_PRODUCTS)].upper()}-{i + 1:05d}",
            "displayName": f"{_PRODUCTS[i % len(_PRODUCTS)]} model {i + 1}",
            "basePrice": price,
            "cost": round(price * 0.6, 2),
            "isInactive": False,
            "subsidiary": {"id": "1"},
        }

    items = out["items"] = build("inventoryItem", sizes.get("items", 0), item)
    orders_wanted = sizes.get("sales_orders", 0)
    if orders_wanted and not (customers and items):
        raise ValueError("seeding sales_orders needs customers and items")
    orders: dict[int, dict[str, Any]] = {}

    def order(i: int, rid: int) -> dict[str, Any]:
        lines = []
        total = 0.0
        for n in range(1, rng.randint(1, 4) + 1):
            qty = rng.randint(1, 20)
            rate = round(rng.uniform(2, 500), 2)
            amount = round(qty * rate, 2)
            total += amount
            lines.append(
                {"line": n, "item": {"id": str(rng.choice(items))}, "quantity": qty, "rate": rate, "amount": amount}
            )
        doc = {
            "externalId": f"SO-{i + 1:06d}",
            "tranId": f"SO{rid}",
            "tranDate": time.strftime("%Y-%m-%d", time.gmtime(_EPOCH + i * 3600)),
            "entity": {"id": str(customers[rng.randrange(len(customers))])},
            "orderStatus": "B",
            "subsidiary": {"id": "1"},
            "currency": {"id": "1"},
            "subtotal": round(total, 2),
            "total": round(total, 2),
            "item": {"items": lines},
        }
        orders[rid] = doc
        return doc

    order_ids = out["sales_orders"] = build("salesOrder", orders_wanted, order)
    invoices_wanted = sizes.get("invoices", 0)
    if invoices_wanted > len(order_ids):
        raise ValueError("seeding invoices needs at least as many sales_orders")

    def invoice(i: int, rid: int) -> dict[str, Any]:
        so_id = order_ids[i]
        so = orders[so_id]
        so["orderStatus"] = "G"
        return {
            "externalId": f"INV-{i + 1:06d}",
            "tranId": f"INV{rid}",
            "tranDate": so["tranDate"],
            "entity": so["entity"],
            "createdFrom": {"id": str(so_id)},
            "status": "A",
            "subsidiary": {"id": "1"},
            "currency": {"id": "1"},
            "subtotal": so["total"],
            "total": so["total"],
            "amountRemaining": so["total"],
            "item": {"items": [dict(line) for line in so["item"]["items"]]},
        }

    out["invoices"] = build("invoice", invoices_wanted, invoice)
    so_type = lookup("salesOrder")
    assert so_type is not None
    for so_id in order_ids[:invoices_wanted]:
        store.connection.execute(
            "UPDATE salesorder SET orderstatus = 'G', _body = json_set(_body, '$.orderStatus', 'G') WHERE id = ?",
            (so_id,),
        )
    return out
