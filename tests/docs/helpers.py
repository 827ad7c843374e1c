"""Small document sets the documents tests index: real files of several formats."""

from __future__ import annotations

from pathlib import Path

from tests.support.pdf_writer import write_pdf

HARBOUR_PAGES = [
    ["Annual report of the harbour board.", "The board met four times this year."],
    ["Shipping", "The lighthouse at Gull Point was repainted red and white in May."],
    ["Accounts", "Harbour dues rose to 14 crowns per vessel, approved on 3 June."],
]


def write_sample_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "harbour.pdf", HARBOUR_PAGES)
    (folder / "garden.md").write_text(
        "# Garden notes\n\nThe quince tree flowers in late April.\n\n"
        "## Pests\n\nAphids on the roses were treated with soapy water.\n"
    )
    (folder / "recipes.txt").write_text(
        "Barley soup\nSimmer the barley for forty minutes with leeks.\n"
    )
    return folder
