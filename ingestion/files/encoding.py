"""Text encoding of a landed file: detect it, decode it, and locate undecodable bytes.

Detection order: a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), UTF-16 without
a BOM (NUL bytes in every other position), strict UTF-8, then CP1252 and finally
Latin-1 (which decodes anything). With a declared encoding the file is decoded
with it; bytes that do not fit are kept as markers (lone surrogates U+DC80-U+DCFF,
which valid text can never contain) so the rows holding them can be quarantined
with the byte offsets, while the rest of the file lands.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
MARK_LOW, MARK_HIGH = 0xDC00, 0xDCFF


class BinaryContent(ValueError):
    """The bytes are not text in any supported encoding."""


@dataclass
class Decoded:
    text: str
    encoding: str
    bom: bool = False
    detected: str | None = None
    """What detection found when it differs from the declared encoding."""
    bad_offsets: list[int] = field(default_factory=list)
    """Byte offsets (in the file after decompression) of undecodable bytes, in order."""


def _utf16_without_bom(sample: bytes) -> str | None:
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.3 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.3 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def detect(data: bytes) -> tuple[str, bool]:
    """The encoding of data and whether it starts with a byte-order mark."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return name, True
    utf16 = _utf16_without_bom(data[:8192])
    if utf16:
        return utf16, False
    if b"\x00" in data[:65536]:
        raise BinaryContent("NUL bytes in a file that is not UTF-16/32: not a text file")
    for name in ("utf-8", "cp1252"):
        try:
            data.decode(name)
            return name, False
        except UnicodeDecodeError:
            continue
    return "latin-1", False


def _decode_marking(data: bytes, encoding: str) -> tuple[str, list[int]]:
    offsets: list[int] = []
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    parts: list[str] = []
    position = 0
    while position < len(data):
        chunk = data[position:]
        try:
            parts.append(decoder.decode(chunk, final=True))
            break
        except UnicodeDecodeError as exc:
            # exc.start/end are relative to the bytes passed in this call
            good = chunk[: exc.start]
            decoder = codecs.getincrementaldecoder(encoding)("strict")
            parts.append(decoder.decode(good, final=True) if good else "")
            for index in range(exc.start, exc.end):
                offsets.append(position + index)
                parts.append(chr(MARK_LOW + chunk[index]))
            position += exc.end
            decoder = codecs.getincrementaldecoder(encoding)("strict")
    return "".join(parts), offsets


def decode(data: bytes, declared: str = "auto") -> Decoded:
    """Decode a file's bytes; raises BinaryContent for non-text input."""
    detected, bom = detect(data)
    if declared == "auto":
        encoding = detected
    else:
        encoding = declared
        normal = codecs.lookup(declared).name
        # a declared UTF-8/16 file with a BOM: skip the BOM, it is not data
        if bom and codecs.lookup(detected).name.startswith(normal.split("-")[0] + "-"):
            encoding = detected
        elif normal in ("utf-16", "utf-32") and not bom:
            encoding = detected if detected.startswith(normal) else f"{normal}-le"
    if encoding == "utf-8-sig":
        body, skip = data[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
    elif bom and encoding in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        skip = 4 if encoding.startswith("utf-32") else 2
        body = data[skip:]
    else:
        body, skip = data, 0
    offsets: list[int] = []
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        text, offsets = _decode_marking(body, encoding)
        offsets = [skip + o for o in offsets]
    shown = "utf-8" if encoding == "utf-8-sig" else encoding
    differs = declared != "auto" and codecs.lookup(detected).name != codecs.lookup(encoding).name
    return Decoded(
        text=text,
        encoding=shown,
        bom=bom,
        detected=detected if differs else None,
        bad_offsets=offsets,
    )


def marked_bytes(text: str) -> list[int]:
    """The undecodable bytes marked in a piece of decoded text."""
    return [ord(ch) - MARK_LOW for ch in text if MARK_LOW <= ord(ch) <= MARK_HIGH]


def visible(text: str) -> str:
    """Text safe to store: each undecodable byte marker shown as \\xNN."""
    if not any(MARK_LOW <= ord(ch) <= MARK_HIGH for ch in text):
        return text
    return "".join(
        f"\\x{ord(ch) - MARK_LOW:02X}" if MARK_LOW <= ord(ch) <= MARK_HIGH else ch for ch in text
    )
