"""The house rules of the code outside tests/: short files, no module changing another's names, and the
benchmark's code used by the benchmark alone."""
import ast
import subprocess

from conftest import ROOT


def source_files():
    """Every tracked Python file outside tests/: {path relative to the repository: its syntax tree}."""
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    paths = [path for path in listed.split() if not path.startswith("tests/")]
    if not paths:  # not a git checkout (an unpacked archive): every file on disk
        paths = [str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
                 if not {"tests", "venv", "site-packages"} & set(path.parts) and ".venv" not in path.parts]
    return {path: ast.parse((ROOT / path).read_text(encoding="utf-8"), path) for path in paths}


def imported_names(tree):
    """The names an `import` binds in a module: `import sys` binds sys, `from tagger import tag as t` binds t."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def test_no_file_is_over_450_lines():
    lengths = {path: len((ROOT / path).read_text(encoding="utf-8").splitlines()) for path in source_files()}
    assert {path: n for path, n in lengths.items() if n > 450} == {}


def test_no_module_assigns_to_another_modules_names_or_to_the_standard_streams():
    """What a function varies is an argument: never `module.CONSTANT = ...`, `sys.stdin = ...` or a redirect."""
    found = []
    for path, tree in source_files().items():
        imported = imported_names(tree)
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in imported:
                    found.append(f"{path}:{node.lineno}: {ast.unparse(target)} =")
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called in ("setattr", "delattr") and isinstance(node.args[0], ast.Name) and node.args[0].id in imported:
                    found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
                if called.endswith(("redirect_stdout", "redirect_stderr")):
                    found.append(f"{path}:{node.lineno}: {called}")
    assert found == []


def test_only_the_benchmark_imports_the_benchmarks_code():
    """figures.py reads the saved results; the product never needs the benchmark."""
    found = []
    for path, tree in source_files().items():
        if path == "benchmark.py" or path.startswith("benchmarks/"):
            continue
        for node in ast.walk(tree):
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path}:{node.lineno}: {module}" for module in modules
                      if module.split(".")[0] in ("benchmark", "benchmarks")]
    assert found == []
