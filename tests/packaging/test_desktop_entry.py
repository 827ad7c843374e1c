"""The Linux download's menu entry: the .desktop file and the script that installs it."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LINUX = PROJECT_ROOT / "packaging" / "linux"
DESKTOP_FILE = LINUX / "hearth.desktop"
INSTALL_SCRIPT = LINUX / "install-desktop-entry.sh"
ICONS = PROJECT_ROOT / "resources" / "icons"

# From the Desktop Entry Specification (1.4/1.5): the keys a Type=Application entry may
# have, and the registered main categories (one of which must be given).
KNOWN_KEYS = {
    "Type", "Version", "Name", "GenericName", "NoDisplay", "Comment", "Icon", "Hidden",
    "OnlyShowIn", "NotShowIn", "DBusActivatable", "TryExec", "Exec", "Path", "Terminal",
    "Actions", "MimeType", "Categories", "Implements", "Keywords", "StartupNotify",
    "StartupWMClass", "PrefersNonDefaultGPU", "SingleMainWindow",
}  # fmt: skip
MAIN_CATEGORIES = {
    "AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics",
    "Network", "Office", "Science", "Settings", "System", "Utility",
}  # fmt: skip
BOOLEAN_KEYS = {"NoDisplay", "Hidden", "DBusActivatable", "Terminal", "StartupNotify"}
LIST_KEYS = {"Categories", "Keywords", "MimeType", "OnlyShowIn", "NotShowIn", "Actions"}


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def problems(entry: dict[str, str]) -> list[str]:
    """What the Desktop Entry Specification would object to, for an application."""
    found = [f"unknown key {key}" for key in entry if key not in KNOWN_KEYS]
    for required in ("Type", "Name", "Exec"):
        if not entry.get(required):
            found.append(f"missing {required}")
    if entry.get("Type") != "Application":
        found.append("Type is not Application")
    found += [
        f"{k} is not true/false"
        for k in BOOLEAN_KEYS & entry.keys()
        if entry[k] not in ("true", "false")
    ]
    found += [
        f"{k} does not end with ;" for k in LIST_KEYS & entry.keys() if not entry[k].endswith(";")
    ]
    if not MAIN_CATEGORIES & set(entry.get("Categories", "").split(";")):
        found.append("no main category")
    if entry.get("Version") not in (None, "1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
        found.append("unknown Version")
    return found


def validator_output(path: Path) -> str | None:
    """desktop-file-validate's complaints, when that tool is installed (CI installs it)."""
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        return None
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr if result.returncode else ""


def test_desktop_file_follows_the_specification(bundle_contents: ModuleType):
    entry = read_entry(DESKTOP_FILE)

    assert problems(entry) == []
    assert entry["Exec"].split()[0] == bundle_contents.executable_name("linux")
    assert entry["Icon"] == "hearth"
    assert entry["Terminal"] == "false"
    # The window's WM_CLASS class is the application name Qt is given: "Hearth".
    assert entry["StartupWMClass"] == bundle_contents.APP_NAME
    assert validator_output(DESKTOP_FILE) in (None, "")


def test_the_checker_catches_a_broken_entry(tmp_path: Path):
    broken = tmp_path / "broken.desktop"
    broken.write_text(
        "[Desktop Entry]\nType=Application\nName=Hearth\nTerminal=no\nCategories=Chat\nColour=red\n"
    )

    assert set(problems(read_entry(broken))) == {
        "unknown key Colour",
        "missing Exec",
        "Terminal is not true/false",
        "Categories does not end with ;",
        "no main category",
    }


def make_unpacked_bundle(folder: Path) -> Path:
    """What the tarball unpacks to, as far as the install script cares."""
    (folder / "_internal" / "resources" / "icons").mkdir(parents=True)
    for icon in ICONS.glob("hearth-*.png"):
        shutil.copy2(icon, folder / "_internal" / "resources" / "icons" / icon.name)
    shutil.copy2(DESKTOP_FILE, folder / "hearth.desktop")
    shutil.copy2(INSTALL_SCRIPT, folder / "install-desktop-entry.sh")
    program = folder / "hearth"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return folder


def run_script(bundle: Path, home: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(home)
    result = subprocess.run(
        ["sh", str(bundle / "install-desktop-entry.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_install_script_adds_a_menu_entry_pointing_at_the_folder(tmp_path: Path):
    bundle = make_unpacked_bundle(tmp_path / "My Apps" / "hearth-0.1.0-linux-x86_64")
    home = tmp_path / "home"

    run_script(bundle, home)

    installed = home / ".local" / "share" / "applications" / "hearth.desktop"
    entry = read_entry(installed)
    assert entry["Exec"] == f'"{bundle}/hearth"'  # quoted: the folder name has a space
    assert problems(entry) == []
    assert validator_output(installed) in (None, "")
    hicolor = home / ".local" / "share" / "icons" / "hicolor"
    for size in (16, 32, 48, 256, 512):
        icon = hicolor / f"{size}x{size}" / "apps" / "hearth.png"
        assert icon.read_bytes() == (ICONS / f"hearth-{size}.png").read_bytes()


def test_install_script_removes_what_it_added(tmp_path: Path):
    bundle = make_unpacked_bundle(tmp_path / "hearth")
    home = tmp_path / "home"
    run_script(bundle, home)

    run_script(bundle, home, "--remove")

    share = home / ".local" / "share"
    assert not (share / "applications" / "hearth.desktop").exists()
    assert not list((share / "icons").rglob("hearth.png"))
