#!/usr/bin/env python3
"""Builds deterministic test images from the host's busybox-static, so the tests need no
network: an OCI image layout (and optionally a docker-save or OCI archive) whose digests
are the same on every run.

Usage: mkimage.py [OUTDIR] [options]   (see --help)

Layers, bottom to top:
  1. base: /bin/busybox + applet symlinks, /etc/passwd, /etc/group, /etc/hostname,
     /etc/platform ("linux/amd64\n"), /tmp (1777), /root, /home/app, /dev, /proc, /sys
  2.. --layers N: N-1 more layers, layer K adds /layers/K.txt and rewrites /etc/layer
  --features: two more layers, see FEATURES below (whiteouts, opaque dir, hardlinks,
     symlinks, device node, fifo, xattr, setuid, owners, dir->file, file->symlink)
  --size-mb N: one more layer with /data/random.bin (N MiB from a seeded PRNG)
  --small-files N: one more layer with N small text files under /files/NNNN/
  --layer-tar FILE: FILE (an uncompressed tar) as one more layer, compressed as asked
  --layer-blob FILE: FILE used as-is as one more layer (gzip/zstd/tar told by its magic)
  --base-dir DIR: layer 1 is the directory tree DIR instead of the busybox base
  --layer-dir DIR: DIR as one more layer, right after the base (repeatable, in order)
  --foreign-layer N: the manifest's layer N (1-based) becomes non-distributable (OCI
     ...nondistributable.v1.tar[+gzip|+zstd]) or foreign (Docker foreign.diff.tar.gzip), with
     the --foreign-url URLs ({hex} in a URL is replaced by the blob's hex digest);
     --foreign-omit leaves such blobs out of the layout and --oci-archive, as tools that
     skip foreign layers do
  A directory layer keeps what the tree has: numeric owners, modes incl. setuid/sticky,
  mtimes (whole seconds), hardlinks, symlinks, devices, fifos, user.* / trusted.* /
  security.capability xattrs. Names are sorted, parents before children; files named
  .wh.NAME or .wh..wh..opq in DIR are written as they are, so they act as whiteouts.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile

MTIME = 1700000000  # fixed, so digests never change
CREATED = "2023-11-14T22:13:20Z"
BUSYBOX = "/bin/busybox"
APPLETS = [
    "sh", "ash", "ls", "cat", "echo", "true", "false", "sleep", "id", "env", "pwd", "mkdir",
    "touch", "hostname", "ps", "mount", "umount", "cut", "grep", "stat", "wc", "head", "tail",
    "readlink", "test", "[", "rm", "cp", "mv", "ln", "chmod", "chown", "kill", "uname", "date",
    "sed", "awk", "find", "xargs", "tr", "sort", "uniq", "printf", "dd", "df", "du", "whoami",
    "nproc", "nc", "wget", "sha256sum", "md5sum", "tee", "yes", "seq", "basename", "dirname",
    "realpath", "mknod", "mkfifo", "stty", "tty", "top", "free", "cmp", "diff", "ip", "ifconfig",
    "ping", "setsid", "nsenter", "unshare", "getopt", "sync", "timeout", "usleep", "vi", "more",
    "less", "od", "hexdump", "xxd", "base64", "expr", "chroot", "pidof", "groups", "logname",
    "mktemp", "rmdir", "truncate", "fallocate", "httpd", "hostid", "cmp", "login", "su", "init",
]

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = (
    "root:x:0:\n"
    "daemon:x:1:\n"
    "staff:x:50:app\n"
    "app:x:1000:\n"
    "nogroup:x:65534:\n"
)

OCI = {
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "index": "application/vnd.oci.image.index.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}
FOREIGN = {  # the non-distributable / foreign type for each plain layer type
    OCI["gzip"]: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    OCI["zstd"]: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    OCI["none"]: "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip":
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
}
DOCKER = {
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "index": "application/vnd.docker.distribution.manifest.list.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "zstd": "application/vnd.docker.image.rootfs.diff.tar.zstd",
    "none": "application/vnd.docker.image.rootfs.diff.tar",
}


def die(msg):
    sys.stderr.write("mkimage.py: %s\n" % msg)
    sys.exit(1)


# ---------------------------------------------------------------- tar entries


class HostFile:
    """Entry content copied from a file on the host."""

    def __init__(self, path):
        self.path = path


class Entry:
    """One tar member; data is bytes, a path on the host, or a callable writing to a file."""

    def __init__(self, name, kind, mode, uid=0, gid=0, data=b"", link="", major=0, minor=0,
                 pax=None, size=None):
        self.name, self.kind, self.mode = name, kind, mode
        self.uid, self.gid = uid, gid
        self.data, self.link = data, link
        self.major, self.minor = major, minor
        self.pax = pax or {}
        self.size = size


def d(name, mode=0o755, uid=0, gid=0, **kw):
    return Entry(name, tarfile.DIRTYPE, mode, uid, gid, **kw)


def f(name, data, mode=0o644, uid=0, gid=0, **kw):
    if isinstance(data, str):
        data = data.encode()
    return Entry(name, tarfile.REGTYPE, mode, uid, gid, data=data, **kw)


def sym(name, target, uid=0, gid=0):
    return Entry(name, tarfile.SYMTYPE, 0o777, uid, gid, link=target)


def hard(name, target, mode=0o644):
    return Entry(name, tarfile.LNKTYPE, mode, link=target)


def write_tar(entries, path):
    """Writes ENTRIES in the given order (callers keep parents before children)."""
    with open(path, "wb") as out:
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for e in entries:
                ti = tarfile.TarInfo(e.name)
                ti.type, ti.mode, ti.uid, ti.gid = e.kind, e.mode, e.uid, e.gid
                ti.mtime, ti.uname, ti.gname = MTIME, "", ""
                ti.linkname = e.link
                ti.devmajor, ti.devminor = e.major, e.minor
                if e.pax:
                    ti.pax_headers = dict(e.pax)
                if e.kind == tarfile.REGTYPE:
                    if callable(e.data):
                        ti.size = e.size
                        r, w = os.pipe()
                        # stream generated content without holding it in memory
                        pid = os.fork()
                        if pid == 0:
                            os.close(r)
                            with os.fdopen(w, "wb") as wf:
                                e.data(wf)
                            os._exit(0)
                        os.close(w)
                        with os.fdopen(r, "rb") as rf:
                            tf.addfile(ti, rf)
                        os.waitpid(pid, 0)
                    elif isinstance(e.data, HostFile):
                        ti.size = os.path.getsize(e.data.path)
                        with open(e.data.path, "rb") as rf:
                            tf.addfile(ti, rf)
                    else:
                        ti.size = len(e.data)
                        tf.addfile(ti, io.BytesIO(e.data))
                else:
                    ti.size = 0
                    tf.addfile(ti)


def write_dir_tar(root, path):
    """A layer tar of the directory tree ROOT (see --base-dir / --layer-dir)."""
    with open(path, "wb") as out:
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT,
                          encoding="utf-8", errors="surrogateescape") as tf:
            def add(full, rel):
                ti = tf.gettarinfo(full, arcname=rel)
                if ti is None:  # sockets are not archived
                    return
                ti.uname, ti.gname = "", ""
                ti.mtime = int(os.lstat(full).st_mtime)
                pax = {}
                try:
                    names = os.listxattr(full, follow_symlinks=False)
                except OSError:
                    names = []
                for x in sorted(names):
                    if x.startswith(("user.", "trusted.")) or x == "security.capability":
                        v = os.getxattr(full, x, follow_symlinks=False)
                        pax["SCHILY.xattr." + x] = v.decode("utf-8", "surrogateescape")
                if pax:
                    ti.pax_headers = pax
                if ti.isreg():
                    with open(full, "rb") as fp:
                        tf.addfile(ti, fp)
                else:
                    tf.addfile(ti)
                if ti.isdir():
                    walk(full, rel)

            def walk(full_dir, rel_dir):
                for n in sorted(os.listdir(full_dir)):
                    add(os.path.join(full_dir, n), rel_dir + "/" + n if rel_dir else n)

            walk(root, "")


def base_entries(platform):
    e = [d("bin"), d("dev"), d("etc"), d("home"), d("home/app", 0o755, 1000, 1000),
         d("proc", 0o555), d("root", 0o700), d("sys", 0o555), d("tmp", 0o1777), d("usr"),
         d("usr/bin"), d("var"), d("var/tmp", 0o1777)]
    e.append(Entry("bin/busybox", tarfile.REGTYPE, 0o755, data=HostFile(BUSYBOX)))
    for a in sorted(set(APPLETS)):
        e.append(sym("bin/" + a, "busybox"))
    e += [f("etc/passwd", PASSWD), f("etc/group", GROUP), f("etc/hostname", "busybox\n"),
          f("etc/platform", platform + "\n")]
    return e


def extra_layer_entries(k):
    return [d("layers"), f("layers/%d.txt" % k, "layer %d\n" % k),
            d("etc"), f("etc/layer", "%d\n" % k)]


# The --features layers. Tests rely on these exact paths; keep FEATURES in sync.
FEATURES = """
after both feature layers are applied:
  /feat/gone.txt           absent (whiteout .wh.gone.txt in layer 2)
  /feat/opaque/            only 'new' (opaque .wh..wh..opq in layer 2 hides old1, old2)
  /feat/kept/              still has a.txt and b.txt
  /feat/dir2file           regular file "now a file\\n" (was a directory with inner.txt)
  /feat/file2link          symlink -> hardlink-src (was a regular file)
  /feat/hardlink-src, /feat/hardlink-dst, /feat/sub/hardlink-dst2   one inode, 3 links
  /feat/symlink-rel        -> ../bin/busybox
  /feat/symlink-abs        -> /etc/passwd
  /feat/symlink-dangling   -> /nonexistent
  /dev/mynull              char device 1:3, mode 0666
  /feat/fifo               fifo 0600
  /feat/xattr-file         xattr user.test=hello
  /feat/setuid             mode 04755
  /feat/setgid-dir         directory mode 02775
  /feat/sticky-dir         directory mode 01777
  /feat/owned-1000         uid 1000 gid 1000 mode 0640
  /feat/owned-2000         uid 2000 gid 2000 mode 0600
  /feat/added.txt          "added in layer 2\\n"
"""


def feature_layers():
    l1 = [
        d("feat"),
        f("feat/gone.txt", "to be whited out\n"),
        d("feat/opaque"), f("feat/opaque/old1", "old1\n"), f("feat/opaque/old2", "old2\n"),
        d("feat/kept"), f("feat/kept/a.txt", "a\n"), f("feat/kept/b.txt", "b\n"),
        d("feat/dir2file"), f("feat/dir2file/inner.txt", "inner\n"),
        f("feat/file2link", "was a file\n"),
        f("feat/hardlink-src", "hardlinked content\n"),
        hard("feat/hardlink-dst", "feat/hardlink-src"),
        d("feat/sub"), hard("feat/sub/hardlink-dst2", "feat/hardlink-src"),
        sym("feat/symlink-rel", "../bin/busybox"),
        sym("feat/symlink-abs", "/etc/passwd"),
        sym("feat/symlink-dangling", "/nonexistent"),
        d("dev"),
        Entry("dev/mynull", tarfile.CHRTYPE, 0o666, major=1, minor=3),
        Entry("feat/fifo", tarfile.FIFOTYPE, 0o600),
        f("feat/xattr-file", "has an xattr\n", pax={"SCHILY.xattr.user.test": "hello"}),
        f("feat/setuid", "#!/bin/sh\necho setuid\n", 0o4755),
        d("feat/setgid-dir", 0o2775),
        d("feat/sticky-dir", 0o1777),
        f("feat/owned-1000", "owned by 1000\n", 0o640, 1000, 1000),
        f("feat/owned-2000", "owned by 2000\n", 0o600, 2000, 2000),
    ]
    l2 = [
        d("feat"),
        f("feat/.wh.gone.txt", b"", 0o600),
        d("feat/opaque"), f("feat/opaque/.wh..wh..opq", b"", 0o600),
        f("feat/opaque/new", "new\n"),
        f("feat/dir2file", "now a file\n"),
        sym("feat/file2link", "hardlink-src"),
        f("feat/added.txt", "added in layer 2\n"),
    ]
    return [l1, l2]


def small_files_entries(n, seed=7):
    """N files of 0..16 KiB of compressible pseudo-text in 100-file directories: the shape of
    a real rootfs, for unpack benchmarks."""
    rng = random.Random(seed)
    words = [("w%d" % i).encode() * (1 + i % 5) for i in range(512)]
    pool = b" ".join(rng.choice(words) for _ in range(1 << 17))
    ents = [d("files")]
    for i in range(n):
        if i % 100 == 0:
            ents.append(d("files/%04d" % (i // 100)))
        size = rng.randrange(0, 16384)
        off = rng.randrange(0, len(pool) - size)
        ents.append(f("files/%04d/%06d" % (i // 100, i), pool[off:off + size]))
    return ents


def random_writer(mib, seed=42):
    def w(out):
        rng = random.Random(seed)
        for _ in range(mib):
            out.write(rng.randbytes(1 << 20))
    return w


# ---------------------------------------------------------------- blobs


class Layout:
    def __init__(self, root):
        self.root = root
        self.blobdir = os.path.join(root, "blobs", "sha256")
        os.makedirs(self.blobdir, exist_ok=True)
        self.tmp = os.path.join(root, ".mkimage-tmp")
        os.makedirs(self.tmp, exist_ok=True)

    def put_bytes(self, data):
        dg = hashlib.sha256(data).hexdigest()
        p = os.path.join(self.blobdir, dg)
        if not os.path.exists(p):
            with open(p + ".part", "wb") as out:
                out.write(data)
            os.rename(p + ".part", p)
        return "sha256:" + dg, len(data)

    def put_json(self, obj):
        return self.put_bytes(json.dumps(obj, indent=None, separators=(",", ":"),
                                         sort_keys=False).encode())

    def put_file(self, path):
        h = hashlib.sha256()
        with open(path, "rb") as fp:
            for chunk in iter(lambda: fp.read(1 << 20), b""):
                h.update(chunk)
        dg = h.hexdigest()
        dst = os.path.join(self.blobdir, dg)
        if os.path.exists(dst):
            os.unlink(path)
        else:
            os.chmod(path, 0o644)
            os.rename(path, dst)
        return "sha256:" + dg, os.path.getsize(dst)

    def blob(self, digest):
        return os.path.join(self.blobdir, digest.split(":", 1)[1])

    def finish(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def compress(src, dst, kind, level):
    if kind == "gzip":
        with open(src, "rb") as inp, open(dst, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=level) as gz:
                shutil.copyfileobj(inp, gz, 1 << 20)
    elif kind == "zstd":
        with open(src, "rb") as inp, open(dst, "wb") as out:
            subprocess.run(["zstd", "-q", "-c", "-3", "--no-progress"], stdin=inp, stdout=out,
                           check=True)
    else:
        shutil.copyfile(src, dst)


def sniff(path):
    with open(path, "rb") as fp:
        m = fp.read(4)
    if m[:2] == b"\x1f\x8b":
        return "gzip"
    if m == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return "none"


def diff_id_of_blob(path, kind):
    h = hashlib.sha256()
    if kind == "gzip":
        with gzip.open(path, "rb") as fp:
            for chunk in iter(lambda: fp.read(1 << 20), b""):
                h.update(chunk)
    elif kind == "zstd":
        p = subprocess.Popen(["zstd", "-q", "-d", "-c", "--long=31", "--memory=2048MB", path],
                             stdout=subprocess.PIPE)
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
            h.update(chunk)
        if p.wait() != 0:
            die("cannot decompress '%s'" % path)
    else:
        return sha256_file(path)
    return "sha256:" + h.hexdigest()


class Layer:
    def __init__(self, digest, size, diff_id, media, comment):
        self.digest, self.size, self.diff_id = digest, size, diff_id
        self.media, self.comment = media, comment


def build_layer(lay, entries, comp, types, level, comment):
    fd, tarpath = tempfile.mkstemp(dir=lay.tmp, suffix=".tar")
    os.close(fd)
    write_tar(entries, tarpath)
    return layer_from_tar(lay, tarpath, comp, types, level, comment)


def layer_from_tar(lay, tarpath, comp, types, level, comment, keep=False):
    diff_id = sha256_file(tarpath)
    fd, blobpath = tempfile.mkstemp(dir=lay.tmp, suffix=".blob")
    os.close(fd)
    compress(tarpath, blobpath, comp, level)
    if not keep:
        os.unlink(tarpath)
    digest, size = lay.put_file(blobpath)
    return Layer(digest, size, diff_id, types[comp], comment)


def dir_layer(lay, root, comp, types, level):
    fd, tarpath = tempfile.mkstemp(dir=lay.tmp, suffix=".tar")
    os.close(fd)
    write_dir_tar(root, tarpath)
    return layer_from_tar(lay, tarpath, comp, types, level,
                          "directory " + os.path.basename(os.path.normpath(root)))


def layer_from_blob(lay, path, types, comment, diff_id=None):
    kind = sniff(path)
    diff_id = diff_id or diff_id_of_blob(path, kind)
    fd, blobpath = tempfile.mkstemp(dir=lay.tmp, suffix=".blob")
    os.close(fd)
    shutil.copyfile(path, blobpath)
    digest, size = lay.put_file(blobpath)
    return Layer(digest, size, diff_id, types[kind], comment)


# ---------------------------------------------------------------- image


def kv_list(items, what):
    out = {}
    for it in items:
        if "=" not in it:
            die("%s: expected KEY=VALUE, got '%s'" % (what, it))
        k, v = it.split("=", 1)
        out[k] = v
    return out


def image_config(args, arch, variant, layers):
    cfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] +
           args.env}
    if args.entrypoint is not None:
        cfg["Entrypoint"] = json.loads(args.entrypoint)
    cfg["Cmd"] = json.loads(args.cmd) if args.cmd is not None else ["/bin/sh"]
    if args.user is not None:
        cfg["User"] = args.user
    if args.workdir is not None:
        cfg["WorkingDir"] = args.workdir
    if args.label:
        cfg["Labels"] = kv_list(args.label, "--label")
    if args.stopsignal is not None:
        cfg["StopSignal"] = args.stopsignal
    if args.expose:
        cfg["ExposedPorts"] = {p: {} for p in args.expose}
    if args.volume:
        cfg["Volumes"] = {v: {} for v in args.volume}
    c = {"created": CREATED, "author": "oci-toolkit tests", "architecture": arch, "os": "linux"}
    if variant:
        c["variant"] = variant
    c["config"] = cfg
    c["rootfs"] = {"type": "layers", "diff_ids": [l.diff_id for l in layers]}
    c["history"] = [{"created": CREATED, "created_by": "mkimage.py: " + l.comment}
                    for l in layers]
    return c


def parse_platform(p):
    parts = p.split("/")
    if len(parts) < 2 or parts[0] != "linux":
        die("bad platform '%s' (expected linux/ARCH[/VARIANT])" % p)
    arch = parts[1]
    variant = parts[2] if len(parts) > 2 else ("v8" if arch == "arm64" else "")
    return arch, variant


def host_arch():
    m = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


def build_image(lay, args, types, platform, shared):
    """Builds the layers, config and manifest for one platform; returns the manifest desc."""
    arch, variant = parse_platform(platform)
    comp, level = args.compression, args.gzip_level
    layers = []
    if args.base_dir:
        if "base-dir" not in shared:
            shared["base-dir"] = dir_layer(lay, args.base_dir, comp, types, level)
        layers.append(shared["base-dir"])
    elif not args.no_base:
        layers.append(build_layer(lay, base_entries(platform), comp, types, level,
                                  "busybox base"))
    for i, ddir in enumerate(args.layer_dir):
        key = ("dir", i)
        if key not in shared:
            shared[key] = dir_layer(lay, ddir, comp, types, level)
        layers.append(shared[key])
    for k in range(2, args.layers + 1):
        key = ("extra", k)
        if key not in shared:
            shared[key] = build_layer(lay, extra_layer_entries(k), comp, types, level,
                                      "layer %d" % k)
        layers.append(shared[key])
    if args.features:
        if "features" not in shared:
            shared["features"] = [build_layer(lay, ents, comp, types, level,
                                              "features %d" % (i + 1))
                                  for i, ents in enumerate(feature_layers())]
        layers += shared["features"]
    if args.size_mb:
        if "random" not in shared:
            mib = args.size_mb
            ents = [d("data"), f("data/random.bin", random_writer(mib), size=mib << 20)]
            shared["random"] = build_layer(lay, ents, comp, types, min(level, 1),
                                           "%d MiB random data" % mib)
        layers.append(shared["random"])
    if args.small_files:
        if "small" not in shared:
            shared["small"] = build_layer(lay, small_files_entries(args.small_files), comp,
                                          types, level, "%d small files" % args.small_files)
        layers.append(shared["small"])
    for i, t in enumerate(args.layer_tar):
        key = ("tar", i)
        if key not in shared:
            tmp = os.path.join(lay.tmp, "in-%d.tar" % i)
            shutil.copyfile(t, tmp)
            shared[key] = layer_from_tar(lay, tmp, comp, types, level,
                                         "layer tar " + os.path.basename(t))
        layers.append(shared[key])
    for i, b in enumerate(args.layer_blob):
        key = ("blob", i)
        if key not in shared:
            known = args.layer_diff_id[i] if i < len(args.layer_diff_id) else None
            shared[key] = layer_from_blob(lay, b, types, "layer blob " + os.path.basename(b),
                                          known)
        layers.append(shared[key])
    if not layers:
        die("no layers (--no-base needs --layer-tar or --layer-blob)")

    config = image_config(args, arch, variant, layers)
    cdig, csize = lay.put_json(config)
    manifest = {"schemaVersion": 2, "mediaType": types["manifest"],
                "config": {"mediaType": types["config"], "digest": cdig, "size": csize},
                "layers": [layer_desc(args, i + 1, l) for i, l in enumerate(layers)]}
    for n in args.foreign_layer:
        if n < 1 or n > len(layers):
            die("--foreign-layer %d: the image has %d layers" % (n, len(layers)))
    if args.annotation and types is OCI:
        manifest["annotations"] = kv_list(args.annotation, "--annotation")
    mdig, msize = lay.put_json(manifest)
    plat = {"architecture": arch, "os": "linux"}
    if variant:
        plat["variant"] = variant
    return {"mediaType": types["manifest"], "digest": mdig, "size": msize, "platform": plat}, \
        config, layers


def layer_desc(args, n, l):
    """The manifest descriptor of layer N (1-based): non-distributable with --foreign-layer."""
    desc = {"mediaType": l.media, "digest": l.digest, "size": l.size}
    if n in args.foreign_layer:
        if l.media not in FOREIGN:
            die("--foreign-layer %d: no foreign media type for '%s'" % (n, l.media))
        desc["mediaType"] = FOREIGN[l.media]
        if args.foreign_url:
            desc["urls"] = [u.replace("{hex}", l.digest.split(":", 1)[1])
                            for u in args.foreign_url]
    return desc


def omit_foreign(lay, images):
    """--foreign-omit: remove the blobs of foreign layers (unless a plain layer uses them)."""
    foreign, plain = set(), set()
    for desc, _, _ in images:
        with open(lay.blob(desc["digest"])) as fp:
            for ld in json.load(fp)["layers"]:
                (foreign if ld["mediaType"] in FOREIGN.values() else plain).add(ld["digest"])
    for dg in foreign - plain:
        if os.path.exists(lay.blob(dg)):
            os.unlink(lay.blob(dg))


def write_layout(lay, args, types):
    shared = {}
    descs, images = [], []
    for p in args.platforms.split(","):
        desc, config, layers = build_image(lay, args, types, p.strip(), shared)
        descs.append(desc)
        images.append((desc, config, layers))
    ann = {"org.opencontainers.image.ref.name": args.tag}
    if len(descs) == 1:
        top = dict(descs[0])
        del top["platform"]
    else:
        index = {"schemaVersion": 2, "mediaType": types["index"], "manifests": descs}
        idig, isize = lay.put_json(index)
        top = {"mediaType": types["index"], "digest": idig, "size": isize}
    top["annotations"] = ann
    with open(os.path.join(lay.root, "oci-layout"), "w") as fp:
        json.dump({"imageLayoutVersion": "1.0.0"}, fp)
    with open(os.path.join(lay.root, "index.json"), "w") as fp:
        json.dump({"schemaVersion": 2, "mediaType": OCI["index"], "manifests": [top]}, fp)
    return top, images


def tar_add_file(tf, name, path):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime = os.path.getsize(path), 0o644, MTIME
    with open(path, "rb") as fp:
        tf.addfile(ti, fp)


def write_oci_archive(lay, top, images, out):
    """A tar of the layout in streaming order: oci-layout, index.json, then per image the
    manifest, config and layers bottom to top (an index blob comes before its manifests)."""
    done = set()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        tar_add_file(tf, "oci-layout", os.path.join(lay.root, "oci-layout"))
        tar_add_file(tf, "index.json", os.path.join(lay.root, "index.json"))

        def blob(dg):
            if dg in done or not os.path.exists(lay.blob(dg)):  # --foreign-omit
                return
            done.add(dg)
            tar_add_file(tf, "blobs/sha256/" + dg.split(":", 1)[1], lay.blob(dg))
        if top["digest"] != images[0][0]["digest"]:
            blob(top["digest"])
        for desc, config, layers in images:
            blob(desc["digest"])
            with open(lay.blob(desc["digest"])) as fp:
                blob(json.load(fp)["config"]["digest"])
            for l in layers:
                blob(l.digest)


def add_bytes(tf, name, data):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime = len(data), 0o644, MTIME
    tf.addfile(ti, io.BytesIO(data))


def write_docker_archive(lay, images, out, repotag, layout="legacy"):
    """A `docker save` style archive of the first platform's image: manifest.json,
    repositories, and (legacy, before Docker 25) <config-hex>.json and <diffid-hex>/layer.tar,
    or (oci, Docker 25 and later) an OCI layout inside: blobs/sha256/HEX for the config, the
    uncompressed layers and their manifest, which manifest.json names, with index.json and
    oci-layout after the blobs; oci-noindex is the same without index.json and oci-layout."""
    desc, config, layers = images[0]
    with open(lay.blob(desc["digest"])) as fp:
        manifest = json.load(fp)
    chex = manifest["config"]["digest"].split(":", 1)[1]
    if layout != "legacy":
        write_docker_archive_oci(lay, manifest, layers, out, repotag, layout == "oci")
        return
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        names = []
        for l in layers:
            hexid = l.diff_id.split(":", 1)[1]
            kind = sniff(lay.blob(l.digest))
            fd, tmp = tempfile.mkstemp(dir=lay.tmp)
            os.close(fd)
            if kind == "gzip":
                with gzip.open(lay.blob(l.digest), "rb") as inp, open(tmp, "wb") as o:
                    shutil.copyfileobj(inp, o, 1 << 20)
            elif kind == "zstd":
                with open(tmp, "wb") as o:
                    subprocess.run(["zstd", "-q", "-d", "-c", "--long=31", "--memory=2048MB",
                                    lay.blob(l.digest)], stdout=o, check=True)
            else:
                shutil.copyfile(lay.blob(l.digest), tmp)
            name = hexid + "/layer.tar"
            if name not in names:
                ti = tarfile.TarInfo(hexid)
                ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, MTIME
                tf.addfile(ti)
                tar_add_file(tf, name, tmp)
            names.append(name)
            os.unlink(tmp)
        tar_add_file(tf, chex + ".json", lay.blob(manifest["config"]["digest"]))
        repo, _, tag = repotag.rpartition(":")
        data = json.dumps([{"Config": chex + ".json", "RepoTags": [repotag],
                            "Layers": names}]).encode()
        ti = tarfile.TarInfo("manifest.json")
        ti.size, ti.mode, ti.mtime = len(data), 0o644, MTIME
        tf.addfile(ti, io.BytesIO(data))
        data = json.dumps({repo: {tag: layers[-1].diff_id.split(":", 1)[1]}}).encode()
        ti = tarfile.TarInfo("repositories")
        ti.size, ti.mode, ti.mtime = len(data), 0o644, MTIME
        tf.addfile(ti, io.BytesIO(data))


def uncompressed_layer(lay, l):
    """A layer blob as a temporary uncompressed tar file (the caller removes it)."""
    kind = sniff(lay.blob(l.digest))
    fd, tmp = tempfile.mkstemp(dir=lay.tmp)
    os.close(fd)
    if kind == "gzip":
        with gzip.open(lay.blob(l.digest), "rb") as inp, open(tmp, "wb") as o:
            shutil.copyfileobj(inp, o, 1 << 20)
    elif kind == "zstd":
        with open(tmp, "wb") as o:
            subprocess.run(["zstd", "-q", "-d", "-c", "--long=31", "--memory=2048MB",
                            lay.blob(l.digest)], stdout=o, check=True)
    else:
        shutil.copyfile(lay.blob(l.digest), tmp)
    return tmp


def write_docker_archive_oci(lay, manifest, layers, out, repotag, with_index):
    repo, _, tag = repotag.rpartition(":")
    cdigest = manifest["config"]["digest"]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for d in ["blobs", "blobs/sha256"]:
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tf.addfile(ti)
        names, descs = [], []
        for l in layers:
            name = "blobs/sha256/" + l.diff_id.split(":", 1)[1]
            if name not in names:
                tmp = uncompressed_layer(lay, l)
                tar_add_file(tf, name, tmp)
                size = os.path.getsize(tmp)
                os.unlink(tmp)
            else:
                size = descs[names.index(name)]["size"]
            names.append(name)
            descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                          "digest": l.diff_id, "size": size})
        tar_add_file(tf, "blobs/sha256/" + cdigest.split(":", 1)[1], lay.blob(cdigest))
        m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": cdigest, "size": manifest["config"]["size"]},
             "layers": descs}
        mdata = json.dumps(m).encode()
        mdigest = "sha256:" + hashlib.sha256(mdata).hexdigest()
        add_bytes(tf, "blobs/sha256/" + mdigest.split(":", 1)[1], mdata)
        if with_index:
            add_bytes(tf, "index.json", json.dumps({
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{"mediaType": m["mediaType"], "digest": mdigest,
                               "size": len(mdata), "annotations": {
                                   "io.containerd.image.name": "docker.io/library/" + repotag,
                                   "org.opencontainers.image.ref.name": tag}}]}).encode())
        add_bytes(tf, "manifest.json", json.dumps([{
            "Config": "blobs/sha256/" + cdigest.split(":", 1)[1], "RepoTags": [repotag],
            "Layers": names}]).encode())
        if with_index:
            add_bytes(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add_bytes(tf, "repositories", json.dumps(
            {repo: {tag: layers[-1].diff_id.split(":", 1)[1]}}).encode())


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], epilog="FEATURES" + FEATURES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?", help="OCI image layout to write (created)")
    ap.add_argument("--layers", type=int, default=1, help="total number of plain layers "
                    "(base + N-1 small ones; default 1)")
    ap.add_argument("--compression", choices=["gzip", "zstd", "none"], default="gzip")
    ap.add_argument("--gzip-level", type=int, default=6)
    ap.add_argument("--format", choices=["oci", "docker"], default="oci")
    ap.add_argument("--features", action="store_true", help="add the two feature layers")
    ap.add_argument("--platforms", default="linux/" + host_arch(),
                    help="comma-separated; more than one writes an index")
    ap.add_argument("--size-mb", type=int, default=0)
    ap.add_argument("--small-files", type=int, default=0,
                    help="add a layer of N small text files under /files (benchmarks)")
    ap.add_argument("--entrypoint", help="JSON array")
    ap.add_argument("--cmd", help='JSON array (default ["/bin/sh"])')
    ap.add_argument("--user")
    ap.add_argument("--workdir")
    ap.add_argument("--env", action="append", default=[], help="K=V, repeatable")
    ap.add_argument("--label", action="append", default=[], help="K=V, repeatable")
    ap.add_argument("--annotation", action="append", default=[],
                    help="K=V manifest annotation (OCI format), repeatable")
    ap.add_argument("--stopsignal")
    ap.add_argument("--expose", action="append", default=[], help="e.g. 8080/tcp")
    ap.add_argument("--volume", action="append", default=[])
    ap.add_argument("--tag", default="latest", help="ref name in index.json")
    ap.add_argument("--name", default="busybox", help="repository for --docker-archive")
    ap.add_argument("--no-base", action="store_true", help="omit the busybox base layer")
    ap.add_argument("--base-dir", help="make the base layer from this directory tree")
    ap.add_argument("--layer-dir", action="append", default=[],
                    help="add a directory tree as a layer after the base (repeatable)")
    ap.add_argument("--layer-tar", action="append", default=[],
                    help="add an uncompressed tar as a layer (repeatable)")
    ap.add_argument("--layer-blob", action="append", default=[],
                    help="add a layer blob as-is (repeatable)")
    ap.add_argument("--layer-diff-id", action="append", default=[],
                    help="the diff_id of the Nth --layer-blob, given by the tool that generated "
                    "it instead of inflating the blob again (repeatable, in order)")
    ap.add_argument("--foreign-layer", type=int, action="append", default=[],
                    help="make layer N (1-based) non-distributable/foreign (repeatable)")
    ap.add_argument("--foreign-url", action="append", default=[],
                    help="a URL for the foreign layers' descriptors; {hex} is replaced by "
                    "the blob's hex digest (repeatable, kept in order)")
    ap.add_argument("--foreign-omit", action="store_true",
                    help="leave the foreign layers' blobs out of the layout and archives")
    ap.add_argument("--docker-archive", help="also write a docker-save archive here")
    ap.add_argument("--docker-archive-layout", choices=["legacy", "oci", "oci-noindex"],
                    default="legacy", help="names inside --docker-archive: legacy "
                    "(HEX/layer.tar, before Docker 25), oci (blobs/sha256/HEX with index.json, "
                    "Docker 25 and later), oci-noindex (the same without index.json)")
    ap.add_argument("--oci-archive", help="also write a tar of the layout here")
    args = ap.parse_args()

    if args.format == "docker":
        if args.compression == "zstd":
            die("--format docker needs gzip or none compression")
        types = DOCKER
    else:
        types = OCI
    if args.layers < 1:
        die("--layers must be at least 1")
    if (args.foreign_url or args.foreign_omit) and not args.foreign_layer:
        die("--foreign-url and --foreign-omit need --foreign-layer")
    if args.foreign_omit and args.docker_archive:
        die("--foreign-omit cannot write a --docker-archive")
    for v in [args.entrypoint, args.cmd]:
        if v is not None:
            try:
                ok = isinstance(json.loads(v), list)
            except ValueError:
                ok = False
            if not ok:
                die("--entrypoint/--cmd: expected a JSON array, got '%s'" % v)
    for dd in ([args.base_dir] if args.base_dir else []) + args.layer_dir:
        if not os.path.isdir(dd):
            die("'%s' is not a directory" % dd)
    if not os.path.exists(BUSYBOX) and not args.no_base and not args.base_dir:
        die("%s not found (install busybox-static)" % BUSYBOX)

    tmpdir = None
    if args.outdir:
        root = args.outdir
    elif args.docker_archive or args.oci_archive:
        tmpdir = tempfile.mkdtemp(prefix="mkimage.")
        root = tmpdir
    else:
        die("give OUTDIR, --docker-archive or --oci-archive")
    try:
        lay = Layout(root)
        top, images = write_layout(lay, args, types)
        if args.foreign_omit:
            omit_foreign(lay, images)
        if args.oci_archive:
            write_oci_archive(lay, top, images, args.oci_archive)
        if args.docker_archive:
            write_docker_archive(lay, images, args.docker_archive, args.name + ":" + args.tag,
                                 args.docker_archive_layout)
        lay.finish()
        print(top["digest"])
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
