"""Extract an LMS zip so that no member can stop the batch.

Every member is streamed to disk in chunks (never read whole) under a size cap; a member
that cannot be extracted (bad CRC, truncated, over the cap, unsafe path, unwritable name)
becomes a problem ``(parts, reason, flag)`` and the others are still extracted. A zip whose
central directory is unreadable (a truncated download) or whose names are not valid UTF-8
although flagged so, is read member by member from its local headers instead.
Two entries with the same name are both kept: the later one under the name (what ``unzip``
gives), the earlier as ``NAME (zip duplicate N).EXT``; both are reported.
"""
from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from autograder.intake.names import shown

CHUNK = 1 << 20
LOCAL = struct.Struct("<4sHHHHHIIIHH")      # local file header, 30 bytes


class _TooLarge(Exception):
    pass


def _copy(src, out, cap: int) -> int:
    n = 0
    while True:
        block = src.read(CHUNK)
        if not block:
            return n
        n += len(block)
        if n > cap:
            raise _TooLarge
        out.write(block)


class Extractor:
    def __init__(self, zpath: Path, dest: Path, member_cap: int, total_cap: int):
        self.zpath, self.dest = Path(zpath), Path(dest)
        self.member_cap, self.total_cap = member_cap, total_cap
        self.total = 0
        self.problems: list[tuple[tuple[str, ...], str, str]] = []
        self.written: dict[tuple[str, ...], int] = {}     # parts -> how many entries had that name

    def problem(self, parts, reason, flag):
        self.problems.append((tuple(parts), reason, flag))

    def _target(self, name: str):
        """Parts of a member's safe path, or None (problem recorded)."""
        pure = PurePosixPath(name.replace("\\", "/"))
        parts = tuple(p for p in pure.parts if p not in ("", "."))
        if pure.is_absolute() or ".." in parts or not parts:
            self.problem((shown(name),), "unsafe path in the zip (absolute or '..'), not extracted", "unsafe_zip_entry")
            return None
        return parts

    def _open_target(self, parts):
        """Open the file for ``parts``; an earlier entry of the same name is renamed, kept."""
        target = self.dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if parts in self.written:
            self.written[parts] += 1
            k = self.written[parts] - 1
            stem, dot, ext = parts[-1].rpartition(".")
            keep = f"{stem} (zip duplicate {k}).{ext}" if dot else f"{parts[-1]} (zip duplicate {k})"
            if target.exists():
                os.replace(target, target.with_name(keep))
            self.problem(parts, f"{self.written[parts]} entries of the zip have this name: all kept, the "
                         f"last one under this name, the earlier as '{shown(keep)}'", "duplicate_zip_entry")
        else:
            self.written[parts] = 1
        return open(target, "wb"), target

    def _store(self, parts, src, declared: int) -> None:
        if declared > self.member_cap:
            self.problem(parts, f"larger than {self.member_cap >> 20} MiB ({declared} bytes): not extracted",
                         "file_too_large")
            return
        if self.total + declared > self.total_cap:
            self.problem(parts, f"the zip expands beyond {self.total_cap >> 30} GiB: not extracted", "file_too_large")
            return
        try:
            out, target = self._open_target(parts)
        except OSError as exc:
            self.problem(parts, f"cannot be written here ({exc.strerror}): not extracted", "unreadable_file")
            return
        with out:
            try:
                self.total += _copy(src, out, self.member_cap)
                return
            except _TooLarge:
                why, flag = f"larger than {self.member_cap >> 20} MiB: not extracted", "file_too_large"
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
                why, flag = f"damaged in the zip ({type(exc).__name__}: {shown(exc)}): not extracted", "corrupt_zip_member"
        target.unlink(missing_ok=True)
        self.problem(parts, why, flag)

    def run(self) -> None:
        try:
            with zipfile.ZipFile(self.zpath) as zf:
                infos = zf.infolist()
                for info in infos:
                    if info.is_dir():
                        continue
                    parts = self._target(info.filename)
                    if parts is None:
                        continue
                    try:
                        src = zf.open(info)
                    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError,
                            RuntimeError) as exc:
                        self.problem(parts, f"damaged in the zip ({type(exc).__name__}): not extracted",
                                     "corrupt_zip_member")
                        continue
                    with src:
                        self._store(parts, src, info.file_size)
            return
        except (zipfile.BadZipFile, UnicodeDecodeError, OSError, EOFError, struct.error) as exc:
            reason = f"{type(exc).__name__}: {shown(exc)}"
        self.problem((shown(self.zpath.name),), f"the zip's table of contents is unreadable ({reason}); "
                     "members read one by one from their headers", "corrupt_zip")
        self._scan_local_headers()

    def _scan_local_headers(self) -> None:
        """Read members from their local headers (a zip cut short, or with bad names)."""
        size = self.zpath.stat().st_size
        with open(self.zpath, "rb") as fh:
            pos = 0
            while pos + LOCAL.size <= size:
                fh.seek(pos)
                sig, _, flag, method, _, _, crc, csize, usize, nlen, elen = LOCAL.unpack(fh.read(LOCAL.size))
                if sig != b"PK\x03\x04":
                    break
                raw = fh.read(nlen)
                fh.read(elen)
                start = pos + LOCAL.size + nlen + elen
                name = raw.decode("utf-8", "surrogateescape")
                if flag & 0x08 and method == 0:     # stored with sizes after the data: cannot find its end
                    self.problem((shown(name),), "its size is not recorded: not extracted, rest of the zip lost",
                                 "corrupt_zip_member")
                    return
                parts = self._target(name) if not name.endswith("/") else None
                end = self._one(fh, parts, start, flag, method, crc, csize, size)
                if end is None:
                    return
                pos = end

    def _one(self, fh, parts, start, flag, method, crc, csize, size):
        """Extract one member at ``start``; returns where the next header starts (None: stop)."""
        fh.seek(start)
        if method not in (0, 8):
            if parts:
                self.problem(parts, f"compression method {method} is not supported: not extracted",
                             "corrupt_zip_member")
            return None if flag & 0x08 else start + csize
        if not flag & 0x08 and start + csize > size:
            if parts:
                self.problem(parts, "cut short (the zip is truncated): not extracted", "corrupt_zip_member")
            return None
        dec = zlib.decompressobj(-15) if method == 8 else None
        remaining = None if flag & 0x08 else csize
        got_crc, n, ok, pos = 0, 0, True, start
        out = target = None
        if parts:
            try:
                out, target = self._open_target(parts)
            except OSError as exc:
                self.problem(parts, f"cannot be written here ({exc.strerror}): not extracted", "unreadable_file")
                parts = None
        try:
            while True:
                block = fh.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not block:
                    ok = remaining in (0, None) and (dec is None or dec.eof)
                    break
                pos += len(block)
                if remaining is not None:
                    remaining -= len(block)
                data = dec.decompress(block) if dec else block
                n += len(data)
                if n > self.member_cap:
                    raise _TooLarge
                got_crc = zlib.crc32(data, got_crc)
                if out:
                    out.write(data)
                if dec is not None and dec.eof:
                    pos -= len(dec.unused_data)
                    break
                if remaining == 0:
                    break
            if flag & 0x08:                      # data descriptor: [signature] crc csize usize
                fh.seek(pos)
                desc = fh.read(16)
                if desc[:4] == b"PK\x07\x08":
                    crc, pos = struct.unpack("<I", desc[4:8])[0], pos + 16
                elif len(desc) >= 12:
                    crc, pos = struct.unpack("<I", desc[:4])[0], pos + 12
                else:
                    ok = False
            ok = ok and (dec is None or dec.eof) and got_crc == crc
            why, flag_name = ("damaged or cut short (CRC or length does not match): not extracted",
                              "corrupt_zip_member")
        except _TooLarge:
            ok, why, flag_name = False, f"larger than {self.member_cap >> 20} MiB: not extracted", "file_too_large"
        except zlib.error as exc:
            ok, why, flag_name = False, f"damaged in the zip ({shown(exc)}): not extracted", "corrupt_zip_member"
        finally:
            if out:
                out.close()
        self.total += n
        if not ok:
            if target:
                target.unlink(missing_ok=True)
            if parts:
                self.problem(parts, why, flag_name)
            if not flag & 0x08:
                return start + csize
            return pos if dec is not None and dec.eof else None
        return start + csize if not flag & 0x08 else pos


def extract(zpath: Path, dest: Path, *, member_cap: int, total_cap: int) -> list:
    """Extract ``zpath`` into ``dest``; returns the problems ``(parts, reason, flag)``."""
    ex = Extractor(zpath, dest, member_cap, total_cap)
    dest.mkdir(parents=True, exist_ok=True)
    ex.run()
    return ex.problems
