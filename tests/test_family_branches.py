"""A family is one module: no code outside `aetui/core/families/` branches on a family's kind or
name. The test walks the package's source and fails on a comparison with a family's name (`kind ==
"vae"`, `kind in ("ae", "sparse")`) or a table keyed by family names; the rest asks the registry."""

import ast
from pathlib import Path

from aetui.core.families.registry import KINDS

PACKAGE = Path(__file__).resolve().parents[1] / "aetui"
FAMILIES = PACKAGE / "core" / "families"


def names_in(node: ast.AST) -> set[str]:
    """The family names a constant, or a tuple, list or set of constants, holds (a string of
    space-separated names counts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {word for word in node.value.split() if word in KINDS}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(set(), *(names_in(e) for e in node.elts))
    return set()


def branches(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            named = set().union(*(names_in(n) for n in [node.left, *node.comparators]))
            if named:
                found.append((node.lineno, f"compares with {sorted(named)}"))
        elif isinstance(node, ast.Dict):
            keyed = set().union(set(), *(names_in(k) for k in node.keys if k is not None))
            if len(keyed) >= 2:
                found.append((node.lineno, f"a table keyed by {sorted(keyed)}"))
        elif isinstance(node, ast.Match):
            for case in node.cases:
                if isinstance(case.pattern, ast.MatchValue) and names_in(case.pattern.value):
                    found.append((case.pattern.lineno, "matches a family's name"))
    return found


def test_no_code_outside_the_families_branches_on_a_family():
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if FAMILIES in path.parents:
            continue
        for line, what in branches(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {what}")
    assert not offences, "ask aetui.core.families.family(kind) instead:\n" + "\n".join(offences)


def test_the_walk_finds_the_branches_it_forbids():
    for source in ('if recipe.kind == "vae": pass', 'x = kind in ("ae", "sparse")',
                   'title = {"vae": "latents", "aae": "adversary"}.get(kind)', 'ok = "aae" != kind'):
        assert branches(ast.parse(source)), source
    for source in ('if loss["nonneg"] == "soft": pass', 'colours = {"nonneg": 1, "kl": 2}',
                   'ok = family(kind).stats_title'):
        assert not branches(ast.parse(source)), source
