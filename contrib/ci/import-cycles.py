#!/usr/bin/env python3
"""Lists circles in the main crate's import graph; exits 1 when there is one.

Usage: contrib/ci/import-cycles.py [SRC_DIR]   (default: src)

Two graphs are checked: between top-level modules (`crate::plan` -> `crate::bottle`), and
between the files of one folder (`plan/build.rs` -> `plan/gate.rs`; a child's use of its
parent's `mod.rs` is not an edge). Paths are read from `crate::`, `super::` and `self::`
references outside comments and `#[cfg(test)] mod tests`.
"""
import collections
import glob
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "src"


def module_of(path):
    parts = os.path.relpath(path, root)[: -len(".rs")].split("/")
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


modules = {module_of(f): f for f in glob.glob(f"{root}/**/*.rs", recursive=True)}


def code_of(path):
    text = open(path, encoding="utf-8").read()
    tests = text.find("#[cfg(test)]\nmod tests")
    if tests >= 0:
        text = text[:tests]
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)


def target(current, path):
    """The module a `crate::`/`super::`/`self::` path names (its longest module prefix)."""
    segments = path.split("::")
    head, rest = segments[0], segments[1:]
    if head == "crate":
        base = ()
    elif head == "self":
        base = current
    else:  # super
        base = current[:-1]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    for n in range(len(rest), -1, -1):
        if base + tuple(rest[:n]) in modules:
            return base + tuple(rest[:n])
    return None


PATH = re.compile(r"\b((?:crate|super|self)(?:::\w+)+)(?:::\{([^;]*?)\})?", re.S)


def edges(level):
    graph = collections.defaultdict(set)
    for module, path in modules.items():
        for match in PATH.finditer(code_of(path)):
            paths = [match.group(1)]
            for item in (match.group(2) or "").split(","):
                item = item.strip().split(" as ")[0].strip()
                if re.fullmatch(r"[\w:]+", item or "-"):
                    paths.append(f"{match.group(1)}::{item}")
            for p in paths:
                to = target(module, p)
                if to is None or to == module:
                    continue
                if level == "modules" and module and to and module[0] != to[0]:
                    graph[module[:1]].add(to[:1])
                elif level == "files" and len(module) == len(to) and module[:-1] == to[:-1]:
                    graph[module].add(to)
    return graph


def circles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted("::".join(m) for m in component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


failed = False
for level in ("modules", "files"):
    found = circles(edges(level))
    print(f"{level}: {len(found)} circle(s)")
    for component in found:
        print("  " + " <-> ".join(component))
    failed = failed or bool(found)
sys.exit(1 if failed else 0)
