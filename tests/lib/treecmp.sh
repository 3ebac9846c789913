#!/bin/sh
# treecmp.sh [options] A B: compares two root filesystem trees, e.g. our unpack against a
# peer's (umoci, skopeo+tar), so unpack tests check every attribute users rely on.
# Compares, without following symlinks: type, permission bits incl. setuid/setgid/sticky,
# uid/gid, size and sha256 of regular files, symlink targets, hardlink groups, device
# numbers, and user.* / security.capability xattrs (of every node, symlinks included).
# Mtimes: regular files only by default.
# Prints one line per difference ("PATH: what: A-value != B-value", "only in A: PATH") and
# exits 1 when there is any, 0 when the trees match, 2 on a usage error.
#   --mtime         also compare mtimes of directories, symlinks and special files
#   --no-mtime      compare no mtimes at all
#   --no-owner      ignore uid/gid (e.g. rootless unpacks)
#   --ignore PATH   skip PATH (relative to the root, e.g. /etc/hostname) and what it holds
#   --xattr PREFIX  also compare xattrs whose names start with PREFIX (e.g. trusted.)
exec python3 - "$@" <<'EOF'
import hashlib
import os
import stat
import sys

args = sys.argv[1:]
opts = {"mtime": "files", "owner": True, "ignore": set(), "xattr": []}
roots = []
i = 0
while i < len(args):
    a = args[i]
    if a == "--mtime":
        opts["mtime"] = "all"
    elif a == "--no-mtime":
        opts["mtime"] = "none"
    elif a == "--no-owner":
        opts["owner"] = False
    elif a == "--ignore" and i + 1 < len(args):
        i += 1
        opts["ignore"].add("/" + args[i].strip("/"))
    elif a == "--xattr" and i + 1 < len(args):
        i += 1
        opts["xattr"].append(args[i])
    elif a.startswith("-"):
        sys.stderr.write("treecmp.sh: unknown option '%s'\n" % a)
        sys.exit(2)
    else:
        roots.append(a)
    i += 1
if len(roots) != 2:
    sys.stderr.write("usage: treecmp.sh [--mtime|--no-mtime] [--no-owner] [--ignore PATH] "
                     "[--xattr PREFIX] A B\n")
    sys.exit(2)
for r in roots:
    if not os.path.isdir(r):
        sys.stderr.write("treecmp.sh: '%s' is not a directory\n" % r)
        sys.exit(2)

KEEP_XATTR = lambda n: (n.startswith("user.") or n == "security.capability" or
                        any(n.startswith(p) for p in opts["xattr"]))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def kind(m):
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "symlink"),
                       (stat.S_ISCHR, "chardev"), (stat.S_ISBLK, "blockdev"),
                       (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket")):
        if test(m):
            return name
    return "unknown"


def scan(root):
    entries, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = "/" + os.path.relpath(dirpath, root).lstrip(".").lstrip("/")
        rel_dir = rel_dir.rstrip("/") or "/"
        names = dirnames + filenames
        dirnames[:] = [n for n in dirnames
                       if (rel_dir.rstrip("/") + "/" + n) not in opts["ignore"]]
        for n in names:
            rel = rel_dir.rstrip("/") + "/" + n
            if rel in opts["ignore"]:
                continue
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            k = kind(st.st_mode)
            e = {"type": k, "mode": "%04o" % stat.S_IMODE(st.st_mode)}
            if opts["owner"]:
                e["owner"] = "%d:%d" % (st.st_uid, st.st_gid)
            if k == "file":
                e["size"] = st.st_size
                e["sha256"] = sha256(p)
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif k == "symlink":
                e["target"] = os.readlink(p)
                del e["mode"]
            elif k in ("chardev", "blockdev"):
                e["device"] = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            try:
                xs = sorted(x for x in os.listxattr(p, follow_symlinks=False) if KEEP_XATTR(x))
                for x in xs:
                    e["xattr " + x] = os.getxattr(p, x, follow_symlinks=False).hex()
            except OSError:
                pass
            if opts["mtime"] == "all" or (opts["mtime"] == "files" and k == "file"):
                e["mtime"] = int(st.st_mtime)
            entries[rel] = e
    for group in inodes.values():
        if len(group) < 2:
            continue
        g = ",".join(sorted(group))
        for rel in group:
            entries[rel]["hardlinks"] = g
    return entries


a, b = scan(roots[0]), scan(roots[1])
diffs = []
for rel in sorted(set(a) | set(b)):
    if rel not in b:
        diffs.append("only in A: %s (%s)" % (rel, a[rel]["type"]))
        continue
    if rel not in a:
        diffs.append("only in B: %s (%s)" % (rel, b[rel]["type"]))
        continue
    ea, eb = a[rel], b[rel]
    if ea["type"] != eb["type"]:
        diffs.append("%s: type: %s != %s" % (rel, ea["type"], eb["type"]))
        continue
    for key in sorted(set(ea) | set(eb)):
        va, vb = ea.get(key, "-"), eb.get(key, "-")
        if va != vb:
            diffs.append("%s: %s: %s != %s" % (rel, key, va, vb))
for d in diffs:
    print(d)
sys.exit(1 if diffs else 0)
EOF
