"""The framework-free part of every example: the item store, validation and fixed payloads.

Each example app (FastAPI, Starlette, Django, Litestar, Quart, Falcon) wraps this module in its
framework's idioms, so the six apps answer the same HTTP contract (see examples/README.md) and
differ only where the frameworks do. The store is what a real app would open at startup: a
database pool, a client; here an in-memory dict, opened by each app's lifespan and closed at
its shutdown (Django: opened at ``django.setup()``, never closed).
"""

from __future__ import annotations

import asyncio
import hashlib
import struct
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


class InvalidItemError(ValueError):
    """Raised when a request body does not describe an item; the apps answer 422 with it."""


@dataclass
class Item:
    name: str
    price: float
    tags: list[str] = field(default_factory=list)

    def to_json(self, item_id: int) -> dict[str, Any]:
        return {"id": item_id, **asdict(self)}


def parse_item(data: object) -> Item:
    """Validate a decoded JSON body: ``{"name": str, "price": number, "tags": [str, ...]}``."""
    if not isinstance(data, Mapping):
        raise InvalidItemError("expected a JSON object")
    name, price, tags = data.get("name"), data.get("price"), data.get("tags", [])
    if not isinstance(name, str) or not name:
        raise InvalidItemError("name: a non-empty string is required")
    # bool is an int subclass, and JSON true is no price.
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        raise InvalidItemError("price: a number is required")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise InvalidItemError("tags: a list of strings is required")
    return Item(name=name, price=float(price), tags=list(tags))


class Store:
    """Items by id; ids are one more than the largest in use."""

    def __init__(self, items: Mapping[int, Item]) -> None:
        self.items = dict(items)
        self.closed = False

    @classmethod
    def open(cls) -> Store:
        return cls({1: Item(name="lamp", price=12.5, tags=["home"])})

    def close(self) -> None:
        self.closed = True

    def list(self, tags: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Every item, or those carrying any of ``tags``, by id."""
        wanted = set(tags)
        return [
            item.to_json(item_id)
            for item_id, item in sorted(self.items.items())
            if not wanted or wanted & set(item.tags)
        ]

    def add(self, item: Item) -> int:
        item_id = max(self.items, default=0) + 1
        self.items[item_id] = item
        return item_id

    def get(self, item_id: int) -> Item | None:
        return self.items.get(item_id)

    def replace(self, item_id: int, item: Item) -> bool:
        if item_id not in self.items:
            return False
        self.items[item_id] = item
        return True

    def delete(self, item_id: int) -> bool:
        return self.items.pop(item_id, None) is not None


def not_found(item_id: int) -> dict[str, str]:
    """The body of every 404 for a missing item."""
    return {"detail": f"no item {item_id}"}


def upload_summary(
    filename: str | None, content_type: str | None, data: bytes, note: str
) -> dict[str, Any]:
    return {
        "filename": filename,
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "note": note,
    }


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG image of one colour, so a browser shows what ``GET /download`` returns."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(rows, 9)),
            chunk(b"IEND", b""),
        ]
    )


PIXEL_PNG = _png(16, 16, (255, 153, 0))
PIXEL_FILENAME = "pixel.png"
CONTENT_DISPOSITION = f'attachment; filename="{PIXEL_FILENAME}"'
STREAM_CHUNKS = [f"chunk {n} of 5\n".encode() for n in range(1, 6)]


async def stream_chunks() -> AsyncIterator[bytes]:
    """The body of ``GET /stream``, produced piece by piece as a slow source would."""
    for chunk in STREAM_CHUNKS:
        await asyncio.sleep(0)
        yield chunk
