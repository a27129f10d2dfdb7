"""The shape the design fixes, read from the source: web -> workflows -> engine and never back,
SpiffWorkflow inside engine/ only, no circle of imports, modules under 400 lines and functions
under 50 (migrations are scripts and are not held to it)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "workflows", "web")


def sources(*packages):
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def module_of(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path):
    """Every module ``path`` imports, anywhere in it, as absolute names."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def known(name):
    """``name`` if it is one of Sanchika's modules (a package or a module file), else None."""
    path = ROOT.joinpath(*name.split("."))
    if (path / "__init__.py").exists() or path.with_suffix(".py").exists():
        return name
    return None


@pytest.mark.parametrize("package, forbidden", [
    ("engine", ("workflows", "web", "migrations", "flask", "sqlalchemy")),
    ("workflows", ("web", "migrations", "flask")),
])
def test_no_package_imports_one_above_it(package, forbidden):
    wrong = sorted(f"{module_of(p)} imports {name}" for p in sources(package)
                   for name in imports(p) if name.split(".")[0] in forbidden)
    assert not wrong


def test_spiffworkflow_is_imported_in_engine_only():
    wrong = sorted(module_of(p) for p in sources("workflows", "web")
                   if any(name.split(".")[0] == "SpiffWorkflow" for name in imports(p)))
    assert not wrong


def test_no_module_imports_itself_round_a_circle():
    graph = {}
    for path in sources(*PACKAGES):
        module = module_of(path)
        graph[module] = {known(n) for n in imports(path)} - {None, module}
    # a package's __init__ importing its own modules is not a circle back to it
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not module.startswith(t + ".")}
    circles, done = [], set()

    def visit(module, path):
        if module in path:
            circles.append(" -> ".join(path[path.index(module):] + [module]))
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, path + [module])
        done.add(module)
    for module in sorted(graph):
        visit(module, [])
    assert not circles


def test_modules_and_functions_stay_small():
    large = []
    for path in sources(*PACKAGES):
        text = path.read_text()
        if text.count("\n") > 400:
            large.append(f"{module_of(path)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 50:
                    large.append(f"{module_of(path)}.{node.name}: {length} lines")
    assert not large
