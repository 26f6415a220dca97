#!/usr/bin/env python3
"""Build a minimal, valid pure-Python distribution with the standard library only.

A wheel (PEP 427) holds ``NAME/__init__.py`` (with ``__version__``) and
``NAME-VERSION.dist-info/{METADATA,WHEEL,RECORD}``; RECORD lists every file
with its urlsafe-base64 SHA-256 (PEP 376). With ``--sdist`` a
``NAME-VERSION.tar.gz`` is written instead, holding ``PKG-INFO``, a
``setup.py`` and the package.

    python make_wheel.py --name acme-tools --version 1.2.0 --out DIR \\
        [--python-tag py3] [--abi-tag none] [--platform-tag any] \\
        [--requires-python ">=3.8"] [--requires "acme-core>=2"]... [--sdist]

Prints the path of the file written. Builds are reproducible: the same
arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import os
import re
import sys
import tarfile
import zipfile

# 1980-01-01, the earliest time a zip entry can hold; also used for tar entries.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_MTIME = 315532800


def normalize(name: str) -> str:
    """PEP 503 normalization: ``Acme_Tools`` -> ``acme-tools``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def escaped(name: str) -> str:
    """The distribution name as wheel and sdist file names spell it: ``acme_tools``."""
    return normalize(name).replace("-", "_")


def metadata(
    name: str, version: str, requires_python: str | None, requires: list[str] | None = None
) -> str:
    """Core metadata (version 2.1) for the distribution; each of ``requires`` is a
    PEP 508 requirement written as a ``Requires-Dist`` line."""
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {name}, a test package built by make_wheel.py",
    ]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in requires or [])
    return "\n".join(lines) + "\n\n"


def init_py(name: str, version: str) -> str:
    return f'"""{name}: a test package built by make_wheel.py."""\n\n__version__ = "{version}"\n'


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_wheel(
    name: str,
    version: str,
    out: str,
    python_tag: str,
    abi_tag: str,
    platform_tag: str,
    requires_python: str | None,
    requires: list[str] | None = None,
) -> str:
    module = escaped(name)
    dist_info = f"{module}-{version}.dist-info"
    files = [
        (f"{module}/__init__.py", init_py(name, version).encode()),
        (f"{dist_info}/METADATA", metadata(name, version, requires_python, requires).encode()),
        (
            f"{dist_info}/WHEEL",
            (
                "Wheel-Version: 1.0\n"
                "Generator: make_wheel.py\n"
                f"Root-Is-Purelib: {'true' if abi_tag == 'none' and platform_tag == 'any' else 'false'}\n"
                f"Tag: {python_tag}-{abi_tag}-{platform_tag}\n"
            ).encode(),
        ),
    ]
    record_path = f"{dist_info}/RECORD"
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in files)
    record += f"{record_path},,\n"
    files.append((record_path, record.encode()))

    filename = f"{module}-{version}-{python_tag}-{abi_tag}-{platform_tag}.whl"
    path = os.path.join(out, filename)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as whl:
        for arcname, data in files:
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            whl.writestr(info, data)
    return path


def build_sdist(
    name: str,
    version: str,
    out: str,
    requires_python: str | None,
    requires: list[str] | None = None,
) -> str:
    module = escaped(name)
    root = f"{module}-{version}"
    setup_py = (
        "from setuptools import setup\n\n"
        "setup(\n"
        f"    name={name!r},\n"
        f"    version={version!r},\n"
        f"    packages=[{module!r}],\n"
        + (f"    python_requires={requires_python!r},\n" if requires_python else "")
        + (f"    install_requires={list(requires)!r},\n" if requires else "")
        + ")\n"
    )
    files = [
        (f"{root}/PKG-INFO", metadata(name, version, requires_python, requires).encode()),
        (f"{root}/setup.py", setup_py.encode()),
        (f"{root}/{module}/__init__.py", init_py(name, version).encode()),
    ]
    path = os.path.join(out, f"{root}.tar.gz")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for arcname, data in files:
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = FIXED_MTIME
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=FIXED_MTIME) as gz:
            gz.write(buffer.getvalue())
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="distribution name, e.g. acme-tools")
    parser.add_argument("--version", required=True, help="version, e.g. 1.2.0")
    parser.add_argument("--out", required=True, help="directory to write into (created if absent)")
    parser.add_argument("--python-tag", default="py3")
    parser.add_argument("--abi-tag", default="none")
    parser.add_argument("--platform-tag", default="any")
    parser.add_argument("--requires-python", default=None, help='e.g. ">=3.8"')
    parser.add_argument(
        "--requires",
        action="append",
        default=[],
        metavar="REQUIREMENT",
        help='a dependency, written as Requires-Dist (repeatable), e.g. "acme-core>=2"',
    )
    parser.add_argument("--sdist", action="store_true", help="write NAME-VERSION.tar.gz instead of a wheel")
    args = parser.parse_args(argv)

    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", args.name):
        parser.error(f"invalid distribution name {args.name!r}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+!_]*", args.version):
        parser.error(f"invalid version {args.version!r}")
    for tag in (args.python_tag, args.abi_tag, args.platform_tag):
        if not re.fullmatch(r"[A-Za-z0-9_.]+", tag):
            parser.error(f"invalid wheel tag {tag!r}")
    for requirement in args.requires:
        # One header line each: a newline would forge other metadata fields.
        if not requirement.strip() or "\n" in requirement or "\r" in requirement:
            parser.error(f"invalid requirement {requirement!r}")

    os.makedirs(args.out, exist_ok=True)
    if args.sdist:
        path = build_sdist(args.name, args.version, args.out, args.requires_python, args.requires)
    else:
        path = build_wheel(
            args.name,
            args.version,
            args.out,
            args.python_tag,
            args.abi_tag,
            args.platform_tag,
            args.requires_python,
            args.requires,
        )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
