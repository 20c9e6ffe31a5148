"""The shape of the code: no import circle among centre's modules, no area importing another's
routes, and imports at the top of modules unless a comment says why."""
import ast
from pathlib import Path

import centre

ROOT = Path(centre.__file__).parent
#: The application factory (create_app) is the composition root: inside it, it imports every
#: area's routes and the extensions, once, to wire the app; those imports are its job.
FACTORY = "centre"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(inside_functions: bool = False) -> dict[str, set[str]]:
    """Each module of centre/ -> the modules of centre/ it imports at module level, or anywhere
    with inside_functions (the factory's wiring inside create_app aside)."""
    modules = {module_name(path): path for path in ROOT.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree) if inside_functions and name != FACTORY else tree.body:
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports, as the list of modules around it, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_in_centre():
    graph = import_graph()
    assert "centre.certificates.printing" in graph["centre.certificates.rendering"]
    assert find_cycle(graph) is None


def test_no_import_circle_even_through_imports_inside_functions():
    """A function-level import hides a circle from the loader, not from the reader (the old
    certificates.services <-> rendering). The ones allowed to import the factory are the
    entry points of worker processes (the certificates' spawned renderers, the jobs' worker):
    they build the app in a fresh process, after everything."""
    graph = import_graph(inside_functions=True)
    entry_points = ["centre.certificates.rendering", "centre.jobs.worker"]
    assert [name for name, targets in sorted(graph.items()) if "centre" in targets] == entry_points
    for name in entry_points:
        graph[name].discard("centre")
    assert find_cycle(graph) is None


def test_no_module_imports_another_areas_routes():
    """A route module is its blueprint's: only the application factory loads it."""
    offenders = []
    for name, targets in import_graph(inside_functions=True).items():
        for target in targets:
            if target.endswith(".routes") and target.rpartition(".")[0] != name:
                offenders.append(f"{name} -> {target}")
    assert offenders == []


def test_imports_inside_functions_say_why():
    """A late import needs a comment on its line or the line above: a heavy library loaded only
    when used, a worker process's start, a circle avoided (then the circle test says which)."""
    unexplained = []
    for path in sorted(ROOT.rglob("*.py")):
        if module_name(path) == FACTORY:
            continue
        lines = path.read_text().splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                    if "#" not in here and not above.startswith("#"):
                        unexplained.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {here.strip()}")
    assert unexplained == []
