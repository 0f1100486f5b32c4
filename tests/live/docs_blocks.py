"""The documentation's tested blocks: the fenced block right after ``<!-- test: NAME -->`` in
README.md or docs/*.md, found by its name wherever it lives.

    block("nginx-serve", "sh")       the text of that block (the tests run it as written)

With DJTOKEN_DOC_BLOCKS_LOG set, every name read is appended to that file. scripts/test sets it,
and after the tests runs

    python3 tests/live/docs_blocks.py LOG

which fails unless every name is written once in the documentation, in front of a fenced block,
and was read by a test: a recipe that moves keeps its test, and one that no test runs is found.
Rust blocks need no name: every page that has one must be among the files src/lib.rs includes
for `cargo test --doc`, which runs them.
"""

import glob
import os
import re
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MARKER = re.compile(r"<!-- test: ([a-z0-9-]+) -->\n")
BLOCK = re.compile(r"```([a-z]*)\n(.*?)^```", re.S | re.M)


def documents():
    return [os.path.join(TOP, "README.md")] + sorted(glob.glob(os.path.join(TOP, "docs", "*.md")))


def blocks():
    """{name: [(document, language, text), …]} of every marker in the documentation."""
    found = {}
    for path in documents():
        text = open(path, encoding="utf-8").read()
        for marker in MARKER.finditer(text):
            fenced = BLOCK.match(text, marker.end())
            entry = (os.path.relpath(path, TOP), fenced.group(1) if fenced else None, fenced and fenced.group(2))
            found.setdefault(marker.group(1), []).append(entry)
    return found


def block(name, language=None):
    """The block named ``name``, checked to be the one such block and of ``language``."""
    found = blocks().get(name, [])
    assert len(found) == 1, "the documentation has %d blocks named %r (README.md, docs/)" % (len(found), name)
    path, lang, text = found[0]
    assert text is not None, "%s: <!-- test: %s --> is not followed by a fenced block" % (path, name)
    assert language is None or lang == language, "%s: block %r is %r, not %r" % (path, name, lang, language)
    log = os.environ.get("DJTOKEN_DOC_BLOCKS_LOG")
    if log:
        with open(log, "a") as f:
            f.write(name + "\n")
    return text


def check(log):
    problems = []
    for name, found in sorted(blocks().items()):
        if len(found) != 1:
            problems.append("%r is written %d times: %s" % (name, len(found), ", ".join(p for p, _, _ in found)))
        elif found[0][2] is None:
            problems.append("%s: <!-- test: %s --> is not followed by a fenced block" % (found[0][0], name))
    lib = open(os.path.join(TOP, "src", "lib.rs"), encoding="utf-8").read()
    for path in documents():
        relative = os.path.relpath(path, TOP)
        has_rust = "```rust\n" in open(path, encoding="utf-8").read()
        if has_rust and '#[doc = include_str!("../%s")]' % relative not in lib:
            problems.append("%s has Rust examples, and src/lib.rs does not run them as doc tests" % relative)
    read = set(open(log).read().split()) if os.path.exists(log) else set()
    unread = sorted(set(blocks()) - read)
    if unread:
        problems.append("no test read: %s" % ", ".join(unread))
    for problem in problems:
        print("docs_blocks: " + problem, file=sys.stderr)
    if not problems:
        print("docs_blocks: %d named blocks, each written once and read by a test" % len(blocks()))
    return not problems


if __name__ == "__main__":
    sys.exit(0 if check(sys.argv[1]) else 1)
