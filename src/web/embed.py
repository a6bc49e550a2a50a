#!/usr/bin/env python3
"""Embeds one web site (a page and every file it reaches) into C++.

Starting from the page, follows every relative reference: src/href in HTML,
import/from in modules, url() in CSS. Each file it reaches is served at
/assets/<stem>.<hash><ext>, where the hash covers the file after its own
references were rewritten to their hashed names; so a change anywhere
renames every file that leads to it, and an asset can be cached for ever.
The page itself is served at "/" and revalidated by its ETag.

The sources stay plain files that a browser can load as they are (relative
imports between folders), so the site needs no build step of its own: this
runs as part of the C++ build.

Refuses a reference to another origin (the pages load nothing from one), a
reference to a file outside the root, a missing file, two files of one
name, and a cycle.
"""

import argparse
import hashlib
import pathlib
import re
import sys

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

# What counts as a reference, per kind of file: the group "ref" is the address.
QUOTED = r"""(?P<q>["'])(?P<ref>[^"']+)(?P=q)"""
PATTERNS = {
    ".html": [re.compile(r"\b(?:src|href)=" + QUOTED)],
    ".mjs": [
        re.compile(r"\bfrom\s*" + QUOTED),
        re.compile(r"\bimport\s*" + QUOTED),
        re.compile(r"\bimport\(\s*" + QUOTED + r"\s*\)"),
    ],
    ".css": [re.compile(r"""url\(\s*["']?(?P<ref>[^"')]+)["']?\s*\)""")],
    ".svg": [],
}

FOREIGN = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def fail(message):
    sys.exit(f"embed.py: {message}")


class Site:
    def __init__(self, root):
        self.root = root.resolve()
        self.served = {}  # source path -> (url, bytes)
        self.names = {}  # url stem -> source path
        self.visiting = set()

    def url_of(self, source, ref):
        if ref.startswith("#") or ref.startswith("data:"):
            return None
        if FOREIGN.match(ref):
            fail(f"{source}: {ref} is on another origin")
        if not (ref.startswith("./") or ref.startswith("../")):
            fail(f"{source}: {ref} must be relative (./ or ../)")
        target = (source.parent / ref).resolve()
        if self.root not in target.parents:
            fail(f"{source}: {ref} is outside {self.root}")
        return self.visit(target)

    def visit(self, path, page=False):
        if path in self.served:
            return self.served[path][0]
        if path in self.visiting:
            fail(f"{path} is part of a cycle of references")
        if not path.is_file():
            fail(f"{path} does not exist")
        if path.suffix not in TYPES:
            fail(f"{path}: no content type for {path.suffix}")
        self.visiting.add(path)
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS[path.suffix]:
            def rewrite(match):
                url = self.url_of(path, match.group("ref"))
                if url is None:
                    return match.group(0)
                start, end = match.span("ref")
                whole = match.group(0)
                offset = match.start(0)
                return whole[: start - offset] + url + whole[end - offset :]
            text = pattern.sub(rewrite, text)
        self.visiting.discard(path)
        data = text.encode("utf-8")
        if page:
            url = "/"
        else:
            if path.stem in self.names and self.names[path.stem] != path:
                fail(f"{path} and {self.names[path.stem]} would share one name")
            self.names[path.stem] = path
            digest = hashlib.sha256(data).hexdigest()[:10]
            url = f"/assets/{path.stem}.{digest}{path.suffix}"
        self.served[path] = (url, data)
        return url


def literal(data):
    """A C++ string literal of the bytes, in lines of about 100 characters."""
    lines, line = [], []
    width = 0
    for byte in data:
        if byte == 0x5C:
            piece = "\\\\"
        elif byte == 0x22:
            piece = '\\"'
        elif 0x20 <= byte < 0x7F:
            piece = chr(byte)
        else:
            piece = f"\\{byte:03o}"  # octal: never swallows the next character
        line.append(piece)
        width += len(piece)
        if byte == 0x0A or width >= 100:
            lines.append('"' + "".join(line) + '"')
            line, width = [], 0
    if line or not lines:
        lines.append('"' + "".join(line) + '"')
    return "\n      ".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=pathlib.Path)
    parser.add_argument("--page", required=True, type=pathlib.Path, help="relative to --root")
    parser.add_argument("--function", required=True, help="C++ function name, in mp::web")
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()

    site = Site(args.root)
    site.visit((args.root / args.page).resolve(), page=True)
    entries = []
    for path, (url, data) in sorted(site.served.items(), key=lambda kv: kv[1][0]):
        etag = hashlib.sha256(data).hexdigest()[:16]
        immutable = "false" if url == "/" else "true"
        entries.append(
            f"    {{{literal(url.encode())}, \"{TYPES[path.suffix]}\",\n"
            f"     std::string_view({literal(data)},\n      {len(data)}),\n"
            f"     \"\\\"{etag}\\\"\", {immutable}}},"
        )
    source = (
        "// Generated by src/web/embed.py from the files under src/web: do not edit.\n"
        '#include "web/site.h"\n\n'
        "namespace mp::web {\n\n"
        f"const std::vector<http::StaticFile>& {args.function}() {{\n"
        "  static const std::vector<http::StaticFile> files = {\n"
        + "\n".join(entries)
        + "\n  };\n  return files;\n}\n\n}  // namespace mp::web\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not args.out.exists() or args.out.read_text() != source:
        args.out.write_text(source)


if __name__ == "__main__":
    main()
