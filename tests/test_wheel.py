"""The wheel is the runtime package only, and it works installed anywhere (issue 15, package hygiene).

``installed`` builds the wheel from a copy of the working tree without network (this venv's setuptools, no
build isolation), installs it non-editable into a fresh venv, and makes the dependencies importable without
downloading them: a ``.pth`` file in the new venv holds the path of this venv's site-packages. A plain path
line does not run this venv's editable-install finder, so ``pipeline`` is the installed wheel's, and so are
its data files. The installed ``sohoa restore`` and ``sohoa run`` then run from a folder outside the
repository. The other tests check the boundary statically (no ``pipeline`` module imports dev-only code)
and that importing ``pipeline`` changes nothing in the process.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from devtools.synth import parse_source, render_document

REPO = Path(__file__).resolve().parents[1]
DEV_ONLY = ("devtools", "tests", "scripts", "benchmarks")
# Not copied for the build: they are large, machine-specific or build leftovers (a stale build/lib would
# put deleted modules into the wheel).
_TOP_LEVEL_SKIP = {".git", ".venv", "build", "dist", "out", "work", "samples", "notebooks", "docs"}
_ANYWHERE_SKIP = {"__pycache__", ".ruff_cache", ".pytest_cache", ".hypothesis"}
_ENV_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "SOHOA_DICTIONARIES")

# Written for this test (invented text): one short page, as the generator's source format.
PAGE_SOURCE = """\
[header-left]
UBND TỈNH HÀ TĨNH
#bu SỞ NỘI VỤ
Số: 41/KH-SNV
[header-right]
#b12 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
#bu Độc lập - Tự do - Hạnh phúc
#i Hà Tĩnh, ngày 9 tháng 5 năm 2024
[body]
#cb KẾ HOẠCH
#cb Phát động phong trào thi đua yêu nước năm 2024
Sở Nội vụ xây dựng kế hoạch phát động phong trào thi đua trong cán bộ, công chức như sau:
#b I. MỤC ĐÍCH, YÊU CẦU
Biểu dương kịp thời những tập thể và cá nhân có thành tích xuất sắc.
[footer-right]
#b GIÁM ĐỐC
#b Lê Văn Hùng
"""

# An old OCR text dump typed without diacritics (invented text).
TEXT_DUMP = """\
UY BAN NHAN DAN
TINH QUANG NAM
So: 12/KH-UBND
CONG HOA XA HOI CHU NGHIA VIET NAM
Doc lap - Tu do - Hanh phuc
Quang Nam, ngay 5 thang 3 nam 2024
KE HOACH
Phat dong phong trao thi dua yeu nuoc nam 2024
I. MUC DICH, YEU CAU
Khoi day tinh than thi dua cua can bo, cong chuc va nhan dan trong tinh.
II. TO CHUC THUC HIEN
Cac so, ban, nganh trien khai ke hoach nay va bao cao ket qua ve Uy ban nhan dan tinh.
"""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _copy_ignore(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n in _ANYWHERE_SKIP or n.endswith((".egg-info", ".pyc"))}
    if Path(folder).resolve() == REPO:
        skip |= {n for n in names if n in _TOP_LEVEL_SKIP}
    return skip


def _run(cmd: list[str | Path], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kwargs)
    output = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{output}"
    return proc


def _clean_env() -> dict[str, str]:
    """This process's environment without what would point Python (or sohoa) back at the repository."""
    return {k: v for k, v in os.environ.items() if k not in _ENV_DROP}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """Build the wheel, install it into a fresh venv; returns the paths involved (all under tmp)."""
    import setuptools

    major_minor = tuple(int(p) for p in setuptools.__version__.split(".")[:2])
    assert major_minor >= (70, 1), (
        f"setuptools {setuptools.__version__} cannot build a wheel without the 'wheel' package: "
        "install the dev extra (./quickstart.sh test does)"
    )
    root = tmp_path_factory.mktemp("wheel")
    src, dist, venv = root / "src", root / "dist", root / "venv"
    shutil.copytree(REPO, src, ignore=_copy_ignore)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--disable-pip-version-check", "-q", "-w", dist, src],
        cwd=root,
        env=_clean_env(),
    )
    (wheel,) = dist.glob("sohoa-*.whl")

    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    # pip runs inside the new venv, which at this point sees nothing of this one: the install cannot touch
    # this venv, and finds no "sohoa" already installed to skip to.
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index"]
        + ["--no-compile", "--disable-pip-version-check", "-q", wheel],
        cwd=root,
        env=_clean_env(),
    )
    where = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout
    purelib = Path(where.strip())
    (purelib / "_sohoa_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = root / "elsewhere"  # the working folder of every command: not the repository
    work.mkdir()
    return {"root": root, "src": src, "wheel": wheel, "venv": venv, "python": python, "work": work}


def test_wheel_holds_the_runtime_package_and_its_data_only(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"pipeline", "sohoa-0.1.0.dist-info"}, top
    assert not [n for n in names if n.split("/", 1)[0] in DEV_ONLY or "/synth/" in n]

    # Every module of pipeline/ (pyproject.toml lists the subpackages by hand: a new one must be added).
    src = installed["src"]
    modules = {p.relative_to(src).as_posix() for p in (src / "pipeline").rglob("*.py")}
    assert modules - set(names) == set(), "add the missing subpackages to [tool.setuptools] packages"

    # Every file of dictionaries/, as the package pipeline.dictionaries.
    if (REPO / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(
            ["git", "ls-files", "--", "dictionaries"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split()
        shipped = {Path(p).name for p in listed}
    else:
        shipped = {p.name for p in (REPO / "dictionaries").iterdir() if p.is_file()}
    assert {"syllables.tsv", "lm_syllable3.npz", "ocr_confusions.tsv", "section_labels.tsv"} <= shipped
    assert {f"pipeline/dictionaries/{name}" for name in shipped} - set(names) == set()


def test_installed_package_and_its_data_come_from_the_new_venv(installed):
    probe = (
        "import json, pipeline, pipeline.resources as r; "
        "print(json.dumps([pipeline.__file__, str(r.dictionary_file('syllables.tsv'))]))"
    )
    proc = _run([installed["python"], "-c", probe], cwd=installed["work"], env=_clean_env())
    package_file, syllables = (Path(p).resolve() for p in json.loads(proc.stdout))
    venv = installed["venv"].resolve()
    assert package_file.is_relative_to(venv), package_file
    assert syllables.is_relative_to(venv) and syllables.is_file(), syllables


def test_installed_sohoa_restore_from_another_folder(installed):
    work = installed["work"]
    (work / "garbled.txt").write_text("Phong trao thi dua yeu nuoc\nc6 trach nhiem thuc hien\n", "utf-8")
    proc = _run([installed["venv"] / "bin" / "sohoa", "restore", "garbled.txt"], cwd=work, env=_clean_env())
    lines = _nfc(proc.stdout).splitlines()
    assert lines[0] == "Phong trào thi đua yêu nước", proc.stdout
    assert lines[1] == "có trách nhiệm thực hiện", proc.stdout


def test_installed_sohoa_run_from_another_folder(installed):
    work = installed["work"]
    inputs, out = work / "inputs", work / "out"
    inputs.mkdir()
    (inputs / "ke_hoach_quang_nam.txt").write_text(TEXT_DUMP, encoding="utf-8")
    page = render_document(parse_source(PAGE_SOURCE, "ke_hoach_ha_tinh"), dpi=200, seed=7)[0]
    page.save(inputs / "ke_hoach_ha_tinh.png", dpi=(200, 200))

    sohoa = installed["venv"] / "bin" / "sohoa"
    _run([sohoa, "run", "inputs", "-o", "out", "--quiet", "--workers", "1"], cwd=work, env=_clean_env())

    docs = pd.read_parquet(out / "documents.parquet").set_index("kind")
    assert sorted(docs.index) == ["png", "text"]
    assert (docs.status == "ok").all(), docs[["status", "error"]]
    for kind in ("png", "text"):
        title = _nfc(str(docs.loc[kind, "title"])).lower()
        assert "phong trào thi đua yêu nước" in title, (kind, title)
    restored = _nfc((out / "text" / f"{docs.loc['text', 'doc_id']}.txt").read_text(encoding="utf-8"))
    assert "Khơi dậy tinh thần thi đua của cán bộ, công chức" in restored
    assert len(pd.read_parquet(out / "sections.parquet")) >= 2


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def test_pipeline_never_imports_dev_only_code():
    offences = []
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, name in _imported_names(tree):
            if name.split(".", 1)[0] in DEV_ONLY:
                offences.append(f"{path.relative_to(REPO)}:{lineno}: imports {name}")
    assert offences == []


_SIDE_EFFECT_PROBE = textwrap.dedent(
    """
    import importlib, json, logging, os, pkgutil, sys, warnings

    def tree(folder):
        return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)

    def snapshot():
        loggers = {
            name: [lg.level, lg.propagate, [repr(h) for h in lg.handlers]]
            for name, lg in [("", logging.getLogger()), *logging.Logger.manager.loggerDict.items()]
            if isinstance(lg, logging.Logger)
        }
        return {
            "environ": dict(os.environ),
            "cwd": os.getcwd(),
            "files_here": tree("."),
            "files_home": tree(os.environ["HOME"]),
            "loggers": loggers,
            "warning_filters": [repr(f) for f in warnings.filters],
        }

    # Third-party libraries change the process when first imported (numpy adds warning filters, OpenCV
    # extends LD_LIBRARY_PATH, distributed sets up its loggers): import them first, so that only what
    # pipeline's own modules do at import time is measured.
    for name in sys.argv[1:]:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    before = snapshot()
    import pipeline
    import pipeline.external.tesseract
    first = snapshot()
    for info in pkgutil.walk_packages(pipeline.__path__, "pipeline."):
        importlib.import_module(info.name)
    print(json.dumps({"before": before, "first": first, "all": snapshot()}))
    """
)


def _third_party_imports() -> list[str]:
    names = set()
    for path in (REPO / "pipeline").rglob("*.py"):
        for _, name in _imported_names(ast.parse(path.read_text(encoding="utf-8"))):
            top = name.split(".", 1)[0]
            if top != "pipeline" and top not in sys.stdlib_module_names:
                names.add(name)
    return sorted(names)


def test_importing_pipeline_changes_nothing_in_the_process(tmp_path):
    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir()
    here.mkdir()
    env = {**_clean_env(), "HOME": str(home)}
    proc = _run([sys.executable, "-c", _SIDE_EFFECT_PROBE, *_third_party_imports()], cwd=here, env=env)
    result = json.loads(proc.stdout)
    before = result["before"]
    for stage in ("first", "all"):  # ``import pipeline, pipeline.external.tesseract``; then every module
        after = result[stage]
        for key in before:
            if key == "environ":
                names = before[key].keys() | after[key].keys()
                changed = {k for k in names if before[key].get(k) != after[key].get(k)}
                assert changed == set(), (stage, {k: after[key].get(k) for k in changed})
            elif key == "loggers":
                changed = {n for n, v in before[key].items() if after[key].get(n) != v}
                added = {n: v for n, v in after[key].items() if n not in before[key] and (v[0] or v[2])}
                assert (changed, added) == (set(), {}), (stage, "logging configured at import")
            else:
                assert after[key] == before[key], (stage, key)
