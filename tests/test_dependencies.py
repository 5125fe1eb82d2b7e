"""Who imports whom: the real-data wing runs without the Day-1 files, and they without it."""
import subprocess
import sys

from conftest import ROOT

DAY_1 = ("main", "train", "model_lstm_tagger", "main_example", "lstm_example", "loss_examples",
         "loss_figures")

# Run in a fresh interpreter: importing any Day-1 module there raises, so a wing module that
# needs one fails to import (or to train), whatever the import looks like.
BLOCKER = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Blocker())
"""


def run_blocked(blocked, code):
    result = subprocess.run([sys.executable, "-c", BLOCKER.format(blocked=blocked) + code],
                            cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    return result


def test_the_wing_trains_and_tags_without_the_day_1_files_onnx_or_transformers(tmp_path):
    """A .pt model needs no ONNX package and no transformers; an .onnx one and --contextual say
    what to install."""
    model = tmp_path / "toy.pt"
    # None in sys.modules: as if not installed (importing fails; importlib's find_spec says None)
    code = f"""
import pkgutil, importlib, tagger, contextlib, io, sys
for name in ("onnx", "onnxruntime", "onnxscript", "transformers"):
    sys.modules[name] = None
try:
    import main
    raise SystemExit("the blocker blocked nothing")
except ImportError:
    pass
for module in pkgutil.iter_modules(tagger.__path__):
    importlib.import_module("tagger." + module.name)
from tagger import train, tag
with contextlib.redirect_stdout(io.StringIO()):
    train.main(["--train", {str(ROOT / "train.csv")!r}, "--epochs", "2", "--save",
                {str(model)!r}])
tag.main([{str(model)!r}, "The dog ate"])
try:
    train.main(["--train", {str(ROOT / "train.csv")!r}, "--contextual", {str(tmp_path)!r}])
except SystemExit as stop:
    print(stop.code, file=sys.stderr)
tag.main([{str(tmp_path / "toy.onnx")!r}, "The dog ate"])
"""
    result = run_blocked(DAY_1, code)
    assert result.stdout.startswith("The/"), result.stderr
    assert result.returncode == 2 and result.stderr == (
        "error: contextual features need transformers: pip install -r "
        "requirements-contextual.txt\n2\n"
        f"error: {tmp_path / 'toy.onnx'}: tagging an exported model needs ONNX Runtime: "
        "pip install -r requirements-export.txt\n")


def test_main_example_imports_nothing_from_the_wing():
    result = run_blocked(("tagger", "benchmarks", "benchmark"), "import main_example")
    assert result.returncode == 0, result.stderr


def test_the_product_never_needs_the_benchmark():
    """The Day-1 files and the tagger run without benchmark.py and benchmarks/."""
    code = "import main, main_example\nfrom tagger import train, tag, export, corpus"
    result = run_blocked(("benchmark", "benchmarks"), code)
    assert result.returncode == 0, result.stderr
