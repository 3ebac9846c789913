#!/usr/bin/env python3
"""Writes hand-made hostile layers for oci-unpack's safety tests: tar headers are crafted
byte by byte (no library cleans the names), so each case is exactly the attack it names.

Usage: hostile.py CASE OUTFILE [--target PATH] [--size SIZE] [--count N] [--gzip]
                                [--image LAYOUT [--no-base]]
       hostile.py --list

Most cases write an uncompressed tar (the "layers" cases write one per layer: OUTFILE,
OUTFILE.2, ...); gzip-bomb, tar-padding and many-files write gzip,
zstd-huge-window writes zstd (--gzip compresses any tar case). --target replaces the
outside path a case aims at (shown in --list), so a test can aim it at a victim it owns.
--image LAYOUT also wraps the layer into an OCI image layout (on top of the busybox base
unless --no-base) with correct digests, through mkimage.py --layer-blob.
"""

import argparse
import gzip
import hashlib
import os
import subprocess
import sys
import zlib

MTIME = 1700000000
REG, LNK, SYM, CHR, DIR, FIFO = b"0", b"1", b"2", b"3", b"5", b"6"


def octal(n, width):
    return (b"%0*o" % (width - 1, n)) + b"\0"


def header(name, typ=REG, size=0, mode=0o644, link="", uid=0, gid=0, major=0, minor=0):
    """One ustar header; NAME and LINK are written verbatim (no normalisation)."""
    name_b, link_b = name.encode(), link.encode()
    if len(name_b) > 100 or len(link_b) > 100:
        raise ValueError("name too long for a plain ustar header: %r" % name)
    h = bytearray(512)
    h[0:len(name_b)] = name_b
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(uid, 8)
    h[116:124] = octal(gid, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(MTIME, 12)
    h[148:156] = b" " * 8
    h[156:157] = typ
    h[157:157 + len(link_b)] = link_b
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[329:337] = octal(major, 8)
    h[337:345] = octal(minor, 8)
    chk = sum(h)
    h[148:156] = b"%06o\0 " % chk
    return bytes(h)


def member(name, typ=REG, data=b"", **kw):
    if isinstance(data, str):
        data = data.encode()
    out = header(name, typ, len(data) if typ == REG else 0, **kw)
    if typ == REG and data:
        out += data + bytes(-len(data) % 512)
    return out


def pax_record(key, value):
    body = (" %s=%s\n" % (key, value)).encode()
    n = len(body) + 1
    while len(str(n).encode()) + len(body) != n:
        n = len(str(n).encode()) + len(body)
    return str(n).encode() + body


def long_member(name, typ=REG, data=b"", link="", **kw):
    """member(), with a PAX extended header carrying NAME and LINK when ustar cannot."""
    recs = b""
    if len(name.encode()) > 100:
        recs += pax_record("path", name)
    if len(link.encode()) > 100:
        recs += pax_record("linkpath", link)
    if not recs:
        return member(name, typ, data, link=link, **kw)
    out = header("PaxHeader", b"x", len(recs)) + recs + bytes(-len(recs) % 512)
    short = name if len(name.encode()) <= 100 else "long"
    short_link = link if len(link.encode()) <= 100 else "long"
    return out + member(short, typ, data, link=short_link, **kw)


def end():
    return bytes(1024)


def tar(*members):
    return b"".join(members) + end()


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    s = s.strip().upper().rstrip("B").rstrip("I")
    if s and s[-1] in mult:
        return int(s[:-1]) * mult[s[-1]]
    return int(s)


# ------------------------------------------------------------------ streaming compressors


class GzipZeros:
    """Writes a single-member gzip stream: a prefix, then N zero bytes, then a suffix,
    without holding the zeros in memory (full flushes make every 1 MiB chunk identical).
    close() returns the sha256 of what it inflates to, the layer's diff_id (mkimage.py would
    otherwise inflate gigabytes again to learn it)."""

    def __init__(self, out):
        self.out = out
        self.c = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.h = hashlib.sha256()
        out.write(b"\x1f\x8b\x08\x00" + (0).to_bytes(4, "little") + b"\x02\xff")

    def data(self, b):
        self.out.write(self.c.compress(b) + self.c.flush(zlib.Z_FULL_FLUSH))
        self.crc = zlib.crc32(b, self.crc)
        self.h.update(b)
        self.size += len(b)

    def zeros(self, n):
        chunk = bytes(1 << 20)
        cached = None
        n_done = 0
        while n >= len(chunk):
            # after a full flush the stream holds no history, so every chunk of zeros
            # compresses to the same bytes: compress two, then repeat the second
            if cached is None or n_done < 2:
                cached = self.c.compress(chunk) + self.c.flush(zlib.Z_FULL_FLUSH)
                n_done += 1
            self.out.write(cached)
            self.crc = zlib.crc32(chunk, self.crc)
            self.h.update(chunk)
            self.size += len(chunk)
            n -= len(chunk)
        if n:
            self.data(bytes(n))

    def close(self):
        self.out.write(self.c.flush(zlib.Z_FINISH))
        self.out.write((self.crc & 0xffffffff).to_bytes(4, "little"))
        self.out.write((self.size & 0xffffffff).to_bytes(4, "little"))
        return "sha256:" + self.h.hexdigest()


def zstd_raw_frame(payload, window_log):
    """A zstd frame of raw (stored) blocks whose header declares a 2^window_log window and
    no content size, so a decoder honouring it would reserve that much memory."""
    out = bytearray(b"\x28\xb5\x2f\xfd")
    out.append(0x00)  # FHD: no content size, not single-segment, no checksum, no dict
    out.append((window_log - 10) << 3)  # window descriptor: exponent, mantissa 0
    maxblk = 128 << 10
    pos = 0
    while True:
        blk = payload[pos:pos + maxblk]
        pos += len(blk)
        last = 1 if pos >= len(payload) else 0
        hdr = (len(blk) << 3) | (0 << 1) | last  # block type 0 = raw
        out += hdr.to_bytes(3, "little") + blk
        if last:
            break
    return bytes(out)


# ------------------------------------------------------------------ cases

CASES = {}


def case(name, fmt, desc):
    def reg(fn):
        CASES[name] = (fmt, desc, fn)
        return fn
    return reg


@case("dotdot", "tar", "file '../x' (lands beside the rootfs)")
def c_dotdot(a):
    return tar(member("../x", data="escaped\n"))


@case("abs", "tar", "file '/abs-escape' (absolute name; lands at the host's /abs-escape)")
def c_abs(a):
    return tar(member("/abs-escape", data="escaped\n"))


@case("dotdot-mid", "tar", "dir 'a/', file 'a/../../x' (lands beside the rootfs)")
def c_dotdot_mid(a):
    return tar(member("a/", DIR, mode=0o755), member("a/../../x", data="escaped\n"))


@case("symlink-root-then-file", "tar",
      "symlink 's' -> TARGET (default '/'), then file 's/tmp/escaped' "
      "(with --target: 's/escaped')")
def c_symlink_root(a):
    t = a.target or "/"
    return tar(member("s", SYM, link=t, mode=0o777),
               member("s/escaped" if a.target else "s/tmp/escaped", data="escaped\n"))


@case("symlink-dotdot-then-file", "tar", "symlink 's' -> '..', then file 's/escaped'")
def c_symlink_dotdot(a):
    return tar(member("s", SYM, link="..", mode=0o777), member("s/escaped", data="escaped\n"))


@case("dir-swapped-for-symlink", "tar",
      "dir 'd/', symlink 'd' -> TARGET (default '/'), then file 'd/escaped'")
def c_dir_swapped(a):
    return tar(member("d/", DIR, mode=0o755), member("d", SYM, link=a.target or "/", mode=0o777),
               member("d/escaped", data="escaped\n"))


@case("held-dir-swapped-for-symlink", "tar",
      "dirs 'a/b/c/', file 'a/b/c/f' (oci-unpack's cursor now holds a, a/b, a/b/c), then "
      "'a/b' replaced by a symlink -> TARGET (default '/'), then file 'a/b/escaped' (no fd "
      "held before the swap may be used after it)")
def c_held_dir_swapped(a):
    return tar(member("a/", DIR, mode=0o755), member("a/b/", DIR, mode=0o755),
               member("a/b/c/", DIR, mode=0o755), member("a/b/c/f", data="before\n"),
               member("a/b", SYM, link=a.target or "/", mode=0o777),
               member("a/b/escaped", data="escaped\n"))


@case("chmod-through-symlink", "tar",
      "symlink 'l' -> TARGET (default '/etc/passwd-target-outside'), then dir 'l/' mode 0777, "
      "then hardlink 'h' -> 'l' (TARGET's mode must not change, 'h' must not link TARGET)")
def c_chmod_symlink(a):
    t = a.target or "/etc/passwd-target-outside"
    return tar(member("l", SYM, link=t, mode=0o777), member("l/", DIR, mode=0o777),
               member("h", LNK, link="l", mode=0o777))


@case("overwrite-through-symlink", "tar",
      "symlink 'l' -> TARGET (default '/etc/passwd-target-outside'), then file 'l' mode 04777 "
      "with content 'overwritten' (TARGET must keep its content and mode)")
def c_overwrite_symlink(a):
    t = a.target or "/etc/passwd-target-outside"
    return tar(member("l", SYM, link=t, mode=0o777),
               member("l", data="overwritten\n", mode=0o4777))


@case("queued-then-swapped", "tar",
      "dir 'd/', COUNT (default 300) small files 'd/fN' mode 04755, then 'd' replaced by a "
      "symlink -> TARGET (default '/'), then file 'after' (the files' data and metadata, "
      "written behind the parse, must land in the rootfs's orphaned 'd', never in TARGET)")
def c_queued_swapped(a):
    n = a.count or 300
    files = [member("d/f%d" % i, data="queued %d\n" % i, mode=0o4755) for i in range(n)]
    return tar(member("d/", DIR, mode=0o755), *files,
               member("d", SYM, link=a.target or "/", mode=0o777),
               member("after", data="after\n"))


@case("queued-then-refused", "tar",
      "COUNT (default 300) small files 'fN', then '../x' (refused: nothing of the files written "
      "behind the parse may remain)")
def c_queued_refused(a):
    n = a.count or 300
    return tar(*[member("f%d" % i, data="queued %d\n" % i) for i in range(n)],
               member("../x", data="escaped\n"))


@case("files-fill", "tar",
      "COUNT (default 300) files 'fN' of SIZE (default 32K) bytes each (fills a small "
      "filesystem while files are written behind the parse)")
def c_files_fill(a):
    n, size = a.count or 300, parse_size(a.size or "32K")
    return tar(*[member("f%d" % i, data=bytes([i % 251]) * size) for i in range(n)])


@case("hardlink-shadow", "tar", "hardlink 'h' -> TARGET (default '/etc/shadow')")
def c_hardlink_shadow(a):
    return tar(member("h", LNK, link=a.target or "/etc/shadow"))


@case("hardlink-dotdot", "tar", "hardlink 'h' -> '../x' (a file beside the rootfs)")
def c_hardlink_dotdot(a):
    return tar(member("h", LNK, link="../x"))


@case("hardlink-through-symlink", "tar",
      "symlink 's' -> TARGET (default '/etc'), then hardlink 'h' -> 's/shadow'")
def c_hardlink_symlink(a):
    return tar(member("s", SYM, link=a.target or "/etc", mode=0o777),
               member("h", LNK, link="s/shadow"))


@case("whiteout-dotdot", "tar", "whiteout '.wh..' (would remove the rootfs' parent)")
def c_wh_dotdot(a):
    return tar(member(".wh..", data=b""))


@case("whiteout-dotdot-sub", "tar", "dir 'a/', whiteout 'a/.wh..' (would remove the rootfs)")
def c_wh_dotdot_sub(a):
    return tar(member("a/", DIR, mode=0o755), member("a/.wh..", data=b""))


@case("whiteout-empty", "tar", "whiteout '.wh.' (names nothing: would remove the rootfs)")
def c_wh_empty(a):
    return tar(member(".wh.", data=b""))


@case("whiteout-escape", "tar", "whiteout '../.wh.x' (would remove x beside the rootfs)")
def c_wh_escape(a):
    return tar(member("../.wh.x", data=b""))


@case("whiteout-through-symlink", "tar",
      "symlink 's' -> TARGET (default '/tmp'), then whiteout 's/.wh.victim' "
      "(would remove TARGET/victim)")
def c_wh_symlink(a):
    return tar(member("s", SYM, link=a.target or "/tmp", mode=0o777),
               member("s/.wh.victim", data=b""))


@case("symlink-named-dot", "tar",
      "symlink '.' -> TARGET (default '/'), then file 'dot-escaped'")
def c_sym_dot(a):
    return tar(member(".", SYM, link=a.target or "/", mode=0o777),
               member("dot-escaped", data="escaped\n"))


@case("symlink-named-slash", "tar",
      "symlink '/' -> TARGET (default '/tmp'), then file 'slash-escaped'")
def c_sym_slash(a):
    return tar(member("/", SYM, link=a.target or "/tmp", mode=0o777),
               member("slash-escaped", data="escaped\n"))


@case("symlink-loop", "tar", "symlinks 'a' -> 'b', 'b' -> 'a', then file 'a/x'")
def c_sym_loop(a):
    return tar(member("a", SYM, link="b", mode=0o777), member("b", SYM, link="a", mode=0o777),
               member("a/x", data="loop\n"))


@case("hardlink-self", "tar", "hardlink 'x' -> 'x' (nothing named x yet)")
def c_hardlink_self(a):
    return tar(member("x", LNK, link="x"))


@case("hardlink-self-existing", "tar", "file 'x', then hardlink 'x' -> './x'")
def c_hardlink_self_existing(a):
    return tar(member("x", data="x\n"), member("x", LNK, link="./x"))


@case("hardlink-later", "tar", "hardlink 'h' -> 'later', then file 'later'")
def c_hardlink_later(a):
    return tar(member("h", LNK, link="later"), member("later", data="later\n"))


@case("hardlink-with-data", "tar",
      "file 'f' 'original', then a pax hardlink 'h' -> 'f' carrying the data 'hacked' "
      "(libarchive's extractor writes it into f, GNU tar and Go's archive/tar fail)")
def c_hardlink_with_data(a):
    recs = pax_record("size", "6")
    h = header("h", LNK, 6, link="f")
    return tar(member("f", data="original\n"),
               header("PaxHeader", b"x", len(recs)) + recs + bytes(-len(recs) % 512),
               h + b"hacked" + bytes(506))


@case("hardlink-dir", "tar", "dir 'd/', then hardlink 'h' -> 'd'")
def c_hardlink_dir(a):
    return tar(member("d/", DIR, mode=0o755), member("h", LNK, link="d"))


@case("hardlink-to-symlink", "tar",
      "symlink 's' -> TARGET (default '/etc/shadow'), then hardlink 'h' -> 's' "
      "(links the symlink itself, never TARGET)")
def c_hardlink_to_symlink(a):
    return tar(member("s", SYM, link=a.target or "/etc/shadow", mode=0o777),
               member("h", LNK, link="s"))


def chain(top, depth):
    """Directory entries top/, top/top/, ... DEPTH levels deep; returns (entries, deepest)."""
    out, p = [], top
    for _ in range(depth):
        out.append(long_member(p + "/", DIR, mode=0o755))
        p += "/" + top.split("/")[-1]
    return out, p[:-len(top.split("/")[-1]) - 1]


@case("deep-opaque", "layers",
      "layer 1: a COUNT (default 2000) deep chain 'a/a/.../a' with files 'old' at its bottom "
      "and middle; layer 2: opaque whiteout 'a/.wh..wh..opq', the same chain, file 'new' at "
      "its bottom (the prune must keep 'new', remove both 'old')")
def c_deep_opaque(a):
    depth = a.count or 2000
    dirs, bottom = chain("a", depth)
    mid = "/".join(["a"] * (depth // 2))
    l1 = tar(*dirs, long_member(bottom + "/old", data="old\n"),
             long_member(mid + "/old-mid", data="old\n"))
    l2 = tar(member("a/.wh..wh..opq"), *dirs, long_member(bottom + "/new", data="new\n"))
    return [l1, l2]


def deep_by_symlinks(hops, per_hop):
    """Directories HOPS*PER_HOP deep in the real tree, with no entry name over PATH_MAX: a
    chain 'c/c/...', a symlink 'l1' to its bottom, a chain under 'l1/', 'l2' to that one's
    bottom... and a file 'deep' at the very bottom. Returns the entries."""
    out, base = [], "c"
    out += chain("c", per_hop)[0]
    bottom = "/".join(["c"] * per_hop)
    for h in range(1, hops):
        link = "l%d" % h
        out.append(long_member(link, SYM, link=bottom, mode=0o777))
        for k in range(1, per_hop + 1):
            out.append(long_member(link + "/" + "/".join(["c"] * k) + "/", DIR, mode=0o755))
        bottom = link + "/" + "/".join(["c"] * per_hop)
    out.append(long_member(bottom + "/deep", data="deep\n"))
    return out


@case("deep-symlinks", "layers",
      "layer 1: a tree COUNT (default 3) x 1900 directories deep (deeper than PATH_MAX as a "
      "path) built through symlinks 'l1', 'l2'...; layer 2: opaque whiteout "
      "'c/.wh..wh..opq' and file 'c/kept' (the whole deep tree must go)")
def c_deep_symlinks(a):
    l1 = tar(*deep_by_symlinks(a.count or 3, 1900))
    return [l1, tar(member("c/.wh..wh..opq"), member("c/kept", data="kept\n"))]


@case("deep-tree", "tar",
      "a tree COUNT (default 3) x 1900 directories deep, as layer 1 of deep-symlinks")
def c_deep_tree(a):
    return tar(*deep_by_symlinks(a.count or 3, 1900))


@case("deep-then-escape", "layers",
      "layer 1: as deep-symlinks; layer 2: file '../x' (refused: the deep staging tree must "
      "be removed)")
def c_deep_then_escape(a):
    return [tar(*deep_by_symlinks(a.count or 3, 1900)), tar(member("../x", data="escaped\n"))]


@case("deep-name", "tar", "a directory chain as one entry name of COUNT (default 2500) levels, "
      "longer than PATH_MAX")
def c_deep_name(a):
    return tar(long_member("/".join(["d"] * (a.count or 2500)) + "/", DIR, mode=0o755))


@case("damaged-header", "tar",
      "file 'a', then a 512-byte block that is no header (bad checksum), then file 'b': "
      "libarchive would skip the block and hand over an empty entry")
def c_damaged_header(a):
    return tar(member("a", data="a\n"), b"garbage" + b"\x01" * 505, member("b", data="b\n"))


def sparse_member(name, fmt, offset, realsize=1):
    """A GNU sparse file NAME of REALSIZE bytes whose map holds one byte of data 'x' at
    OFFSET: fmt "1.0" (the map at the start of the data), "0.1" (GNU.sparse.map) or "old"
    (a GNU 'S' header). Nothing holds a map's offsets to the file's size but the reader."""
    if fmt == "old":
        h = bytearray(header(name, b"S", 1))
        h[257:265] = b"ustar  \0"  # GNU magic
        h[386:398] = b"\x80" + offset.to_bytes(11, "big")  # sp[0].offset, base-256
        h[398:410] = octal(1, 12)  # sp[0].numbytes
        h[483:495] = octal(realsize, 12)  # realsize
        h[148:156] = b" " * 8
        h[148:156] = b"%06o\0 " % sum(h)
        return bytes(h) + b"x" + bytes(511)
    recs = pax_record("GNU.sparse.realsize" if fmt == "1.0" else "GNU.sparse.size",
                      str(realsize))
    if fmt == "1.0":
        recs += pax_record("GNU.sparse.major", "1") + pax_record("GNU.sparse.minor", "0")
        recs += pax_record("GNU.sparse.name", name)
        data = b"1\n%d\n1\n" % offset
        data += bytes(-len(data) % 512) + b"x"
        real = "GNUSparseFile.0/" + name
    else:
        recs += pax_record("GNU.sparse.major", "0") + pax_record("GNU.sparse.minor", "1")
        recs += pax_record("GNU.sparse.name", name)
        recs += pax_record("GNU.sparse.map", "%d,1" % offset)
        data, real = b"x", name
    return (header("PaxHeader", b"x", len(recs)) + recs + bytes(-len(recs) % 512)
            + member(real, data=data))


for _fmt in ("1.0", "0.1", "old"):
    @case("sparse-past-size-" + _fmt.replace(".", ""), "tar",
          "a GNU sparse %s file 'f' of 1 byte whose map puts its byte at 1 TiB (or --size): "
          "a 1 TiB file from a 1-byte entry, past any --max-bytes" % _fmt)
    def c_sparse_past_size(a, fmt=_fmt):
        return tar(sparse_member("f", fmt, parse_size(a.size or "1T")))


@case("long-names", "tar",
      "COUNT (default 100) files, each under a fresh parent chain 'NNN/a/a/.../a' about 1990 "
      "levels deep that no entry lists (the parents are made for it): 4 KiB of name each")
def c_long_names(a):
    depth = 1990
    return tar(*[long_member("%03d/" % i + "a/" * depth + "f", data="f\n")
                 for i in range(a.count or 100)])


def many_dirs(count):
    """Directory entries 'd/' and 'd/NNNNNNN/' (COUNT of them), as one gzip-ready tar body."""
    return [member("d/", DIR, mode=0o755)] + \
        [member("d/%07d/" % i, DIR, mode=0o755) for i in range(count)]


@case("many-whiteouts", "layers",
      "layer 1: COUNT (default 50000) directories 'd/NNNNNNN'; layer 2: a whiteout for "
      "each, then 8 x COUNT whiteouts '.wh.d' and file 'kept' (each removal forgets the "
      "directories recorded below it)")
def c_many_whiteouts(a):
    count = a.count or 50000
    l2 = [member("d/.wh.%07d" % i) for i in range(count)]
    l2 += [member(".wh.d")] * (8 * count)
    return [gzip_bytes(tar(*many_dirs(count))), gzip_bytes(tar(*l2, member("kept", data="kept\n")))]


@case("many-opaque", "layers",
      "layer 1: COUNT (default 150000) directories 'd/NNNNNNN'; layer 2: opaque whiteout "
      "'d/.wh..wh..opq' and file 'd/kept' (the prune removes every directory)")
def c_many_opaque(a):
    count = a.count or 150000
    return [gzip_bytes(tar(*many_dirs(count))),
            gzip_bytes(tar(member("d/.wh..wh..opq"), member("d/kept", data="kept\n")))]


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


@case("gzip-bomb", "gzip",
      "gzip of a tar holding file 'zeros' of SIZE (default 2G) zero bytes; ~1/1000 the size")
def c_gzip_bomb(a, out):
    n = parse_size(a.size or "2G")
    g = GzipZeros(out)
    g.data(header("zeros", REG, n))
    g.zeros(n + (-n % 512) + 1024)
    return g.close()


@case("zstd-huge-window", "zstd",
      "zstd frame declaring a 2 GiB window (log 31), no content size, holding a small tar")
def c_zstd_window(a, out):
    out.write(zstd_raw_frame(tar(member("small", data="small\n")), 31))


@case("tar-padding", "gzip",
      "gzip of a valid one-file tar followed by SIZE (default 1G) zero bytes after the end")
def c_tar_padding(a, out):
    n = parse_size(a.size or "1G")
    g = GzipZeros(out)
    g.data(tar(member("small", data="small\n")))
    g.zeros(n)
    return g.close()


@case("many-files", "gzip",
      "gzip of a tar with COUNT (default 100000) empty files 'many/NNN/NNNNNNN'")
def c_many_files(a, out):
    count = a.count or 100000
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as g:
        g.write(member("many/", DIR, mode=0o755))
        for i in range(count):
            if i % 1000 == 0:
                g.write(member("many/%03d/" % (i // 1000), DIR, mode=0o755))
            g.write(header("many/%03d/%07d" % (i // 1000, i)))
        g.write(end())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case", nargs="?")
    ap.add_argument("outfile", nargs="?")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--target", help="outside path the case aims at")
    ap.add_argument("--size", help="bytes for gzip-bomb/tar-padding (e.g. 100M, 2G)")
    ap.add_argument("--count", type=int, help="entries for many-files")
    ap.add_argument("--gzip", action="store_true", help="gzip a tar case")
    ap.add_argument("--image", help="also wrap the layer into this OCI layout")
    ap.add_argument("--no-base", action="store_true", help="with --image: no busybox base")
    a = ap.parse_args()
    if a.list:
        for name, (fmt, desc, _) in CASES.items():
            print("%-26s %-5s %s" % (name, fmt, desc))
        return 0
    if not a.case or not a.outfile:
        ap.error("need CASE and OUTFILE (or --list)")
    if a.case not in CASES:
        sys.stderr.write("hostile.py: unknown case '%s' (see --list)\n" % a.case)
        return 1
    fmt, _, fn = CASES[a.case]
    tmp = a.outfile + ".part"
    blobs = [a.outfile]
    diff_id = None
    with open(tmp, "wb") as out:
        if fmt == "layers":
            # one file per layer: OUTFILE, OUTFILE.2, ...
            for i, data in enumerate(fn(a)):
                if i:
                    blobs.append("%s.%d" % (a.outfile, i + 1))
                    with open(blobs[-1], "wb") as o2:
                        o2.write(data)
                else:
                    out.write(data)
        elif fmt == "tar":
            data = fn(a)
            if a.gzip:
                with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as g:
                    g.write(data)
            else:
                out.write(data)
        else:
            diff_id = fn(a, out)
    os.rename(tmp, a.outfile)
    if a.image:
        cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "mkimage.py"), a.image]
        for b in blobs:
            cmd += ["--layer-blob", b]
        if a.no_base:
            cmd.append("--no-base")
        if diff_id:
            cmd += ["--layer-diff-id", diff_id]
        r = subprocess.run(cmd, stdout=subprocess.PIPE)
        if r.returncode != 0:
            return 1
        sys.stdout.write(r.stdout.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
