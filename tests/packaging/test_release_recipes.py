"""The Windows installer script and the CI workflow that builds all three downloads.

Neither can run here (Inno Setup runs on Windows, the workflow on GitHub's runners),
so these check that they agree with the recipe: names, paths and the checks run.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ISS = PROJECT_ROOT / "packaging" / "windows" / "hearth.iss"
WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "bundle.yml"
BUILD = PROJECT_ROOT / "packaging" / "build.py"


def iss_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            current = match.group(1)
            sections[current] = []
        else:
            sections.setdefault(current, []).append(line)
    return sections


def test_installer_installs_the_bundle_folder_and_starts_the_window(
    bundle_contents: ModuleType,
):
    sections = iss_sections()
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    program = bundle_contents.executable_name("win32") + ".exe"

    assert re.fullmatch(r"\{\{[0-9A-F-]{36}\}", setup["AppId"])
    assert setup["PrivilegesRequired"] == "lowest"  # no administrator needed
    icon = setup["SetupIconFile"].replace("\\", "/")  # a Windows path in the script
    assert (ISS.parent / icon).resolve() == (bundle_contents.icon_file("win32").resolve())
    assert setup["UninstallDisplayIcon"] == "{app}\\" + program
    assert any(
        line.startswith('Source: "{#BundleDir}\\*"') and "recursesubdirs" in line
        for line in sections["Files"]
    )
    assert all(f'Filename: "{{app}}\\{program}"' in line for line in sections["Icons"])


def test_every_value_build_py_passes_to_inno_setup_has_a_default_in_the_script():
    passed = set(re.findall(r'f"/D(\w+)=', BUILD.read_text(encoding="utf-8")))
    defaulted = set(re.findall(r"^#ifndef (\w+)$", ISS.read_text(encoding="utf-8"), re.M))

    assert passed == {"AppVersion", "BundleDir", "OutputDir", "OutputBaseFilename"}
    assert passed <= defaulted


def load_workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_workflow_builds_on_all_three_systems():
    job = load_workflow()["jobs"]["bundle"]
    matrix = job["strategy"]["matrix"]["include"]

    by_os = {entry["os"]: entry for entry in matrix}
    assert set(by_os) == {"ubuntu-22.04", "macos-14", "windows-2022"}
    assert by_os["macos-14"]["variant"] == "metal"
    assert "-DGGML_METAL=ON" in by_os["macos-14"]["cmake_args"]
    assert by_os["windows-2022"]["variant"] == by_os["ubuntu-22.04"]["variant"] == "cpu"


def test_workflow_uses_the_portable_cpu_flags_of_scripts_setup():
    setup = (PROJECT_ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    (portable,) = re.findall(r'^portable_cpu="([^"]+)"', setup, re.M)

    workflow = load_workflow()
    assert workflow["env"]["PORTABLE_X86_64"] == portable
    for entry in workflow["jobs"]["bundle"]["strategy"]["matrix"]["include"]:
        flags = portable if entry["cmake_args"] == "portable" else entry["cmake_args"]
        assert "-DGGML_NATIVE=OFF" in flags.split()


def test_workflow_smoke_tests_each_download_and_uploads_it():
    steps = load_workflow()["jobs"]["bundle"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)

    assert "python packaging/build.py --smoke-test" in scripts
    assert 'env -u DISPLAY -u QT_QPA_PLATFORM "$program" --smoke-test' in scripts
    assert "xvfb-run" in scripts and "packaging/window_check.py" in scripts
    assert 'Hearth.app/Contents/MacOS/Hearth" --smoke-test' in scripts
    assert 'hearth-cli.exe") --smoke-test' in scripts
    uploads = [step for step in steps if str(step.get("uses", "")).startswith("actions/upload")]
    assert len(uploads) == 1
    paths = uploads[0]["with"]["path"]
    for pattern in ("*.tar.gz", "*.dmg", "*-setup.exe"):
        assert pattern in paths


def test_workflow_pins_the_versions_scripts_setup_installs():
    setup = (PROJECT_ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    env = load_workflow()["env"]

    assert f'llama_version="{env["LLAMA_CPP_PYTHON_VERSION"]}"' in setup
    assert env["STARTER_MODEL_PACKAGE"] in setup
