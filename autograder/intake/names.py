"""Names of submitters and files: one submitter, one identity; nothing unsafe reaches a terminal.

- :func:`shown` turns any path or name (a ``str`` that may hold surrogate escapes of
  undecodable bytes, or ``bytes``) into printable text: undecodable bytes become ``\\xNN``,
  control characters (C0, C1, DEL, bidirectional overrides) become ``\\x1b``-style escapes.
- :func:`student_name` keeps a submitter's name as written (Unicode, NFC normalized), and
  replaces only what is unsafe in a path or a terminal (``/ \\ : * ? " < > |``, control
  characters, leading dots and dashes are kept but a name is never ``.`` or ``..``).
- :class:`Identities` gives each distinct raw name its own id: two raw names that would
  give the same id (``a:b`` and ``a_b``, or names differing only by case) get ``name (2)``.
"""
from __future__ import annotations

import os
import re
import unicodedata

# C0 and C1 controls, DEL, and the bidirectional controls that can reorder a line
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PATH_UNSAFE = re.compile(r'[/\\:*?"<>|]')
SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:            # an undecodable byte, as os.fsdecode escapes it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text) -> str:
    """``text`` (str or bytes) as printable text: escapes for undecodable bytes and controls."""
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    text = str(text)
    text = SURROGATE.sub(lambda m: _escape(m.group()), text)
    return CONTROL.sub(lambda m: _escape(m.group()), text)


def student_name(raw) -> str:
    """A submitter's display id from a folder or LMS name (bytes or str)."""
    text = shown(raw)                                     # undecodable bytes and controls escaped
    text = unicodedata.normalize("NFC", text).replace("\\x", "%")  # escapes are not path separators
    text = PATH_UNSAFE.sub("_", text).strip()
    if text.strip(".") == "":
        text = text.replace(".", "_")
    return text or "unknown"


class Identities:
    """raw name -> unique id; a second raw name colliding with a taken id gets a suffix."""

    def __init__(self):
        self._by_raw: dict = {}
        self._taken: dict[str, object] = {}     # casefolded id -> raw name that has it
        self.notes: dict[str, str] = {}         # id -> why it differs from the plain name

    def get(self, raw, name=None) -> str:
        """The id of the submitter ``raw`` (any hashable key); ``name`` is shown (default: raw)."""
        if raw in self._by_raw:
            return self._by_raw[raw]
        written = raw if name is None else name
        base = student_name(written)
        ident, k = base, 1
        while ident.casefold() in self._taken:
            k += 1
            ident = f"{base} ({k})"
        if k > 1:
            self.notes[ident] = (f"another submitter's name also gives {base!r}: this one, "
                                 f"{shown(written)!r}, is {ident!r} (not merged)")
        self._taken[ident.casefold()] = raw
        self._by_raw[raw] = ident
        return ident


def say(*parts, **kw) -> None:
    """print() with every argument made terminal-safe (line breaks kept, every other control escaped)."""
    print(*("\n".join(shown(line) for line in str(p).split("\n")) for p in parts), **kw)
