"""The block splitter: where finished blocks end, whatever the chunking."""

from __future__ import annotations

import pytest

from ui.render.blocks import Block, BlockSplitter, CodeBlock, OpenCode, ProseBlock


def split(text: str, size: int) -> tuple[list[Block], str, OpenCode | None]:
    splitter = BlockSplitter()
    blocks: list[Block] = []
    for start in range(0, len(text), size):
        blocks.extend(splitter.feed(text[start : start + size]))
    return blocks, splitter.tail_prose, splitter.tail_code


def test_blocks_do_not_depend_on_chunk_size(sample_markdown: str) -> None:
    whole = split(sample_markdown, len(sample_markdown))
    for size in (1, 2, 3, 7, 16, 64):
        assert split(sample_markdown, size) == whole, size


def test_sample_splits_into_expected_blocks(sample_markdown: str) -> None:
    blocks, tail, code = split(sample_markdown, 5)
    kinds = [type(block).__name__ for block in blocks]
    assert kinds == [
        "ProseBlock",  # heading
        "ProseBlock",  # paragraph
        "ProseBlock",  # 1. 2.
        "ProseBlock",  # 3.
        "ProseBlock",  # bullets
        "ProseBlock",  # table
        "ProseBlock",  # quote
        "CodeBlock",
        "ProseBlock",  # text between
        "CodeBlock",
        "ProseBlock",  # rule
        "ProseBlock",  # final paragraph
    ]
    assert blocks[7] == CodeBlock(
        "python",
        'def add(x, y):\n    """Add two numbers."""\n    return x + y  # the sum',
    )
    assert blocks[9] == CodeBlock("bash", 'echo "hello" | tr a-z A-Z')
    assert tail == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert code is None


def test_a_blank_line_alone_does_not_finish_a_block() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("First paragraph.\n\n") == []
    assert splitter.tail_prose == "First paragraph."
    assert splitter.feed("Second") == []
    assert splitter.tail_prose == "First paragraph.\n\nSecond"
    # The next line is complete and starts a new block: now the first is finished.
    assert splitter.feed("\n") == [ProseBlock("First paragraph.")]
    assert splitter.tail_prose == "Second"


def test_indented_line_after_blank_continues_the_list_item() -> None:
    blocks, tail, _ = split("- item\n\n  more about the item\n\nNext paragraph\n", 3)
    assert blocks == [ProseBlock("- item\n\n  more about the item")]
    assert tail == "Next paragraph"


def test_open_fence_is_the_tail_and_grows_line_by_line() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("Intro\n```js\nlet a = 1;\nlet b") == [ProseBlock("Intro")]
    code = splitter.tail_code
    assert code is not None
    assert (code.language, code.lines, code.partial) == ("js", ["let a = 1;"], "let b")
    assert splitter.tail_prose == ""


def test_closing_fence_being_typed_is_not_shown_as_code() -> None:
    splitter = BlockSplitter()
    splitter.feed("```\ncode\n``")
    code = splitter.tail_code
    assert code is not None and code.partial is None
    # More characters make it an ordinary line again.
    splitter.feed("`x")
    code = splitter.tail_code
    assert code is not None and code.partial == "```x"
    assert splitter.feed("\n```\n") == [CodeBlock("", "code\n```x")]


def test_a_fence_needs_a_closing_fence_of_its_own_kind() -> None:
    blocks, _, code = split("````md\n```\ninner\n```\n````\n", 4)
    assert blocks == [CodeBlock("md", "```\ninner\n```")]
    assert code is None
    blocks, _, code = split("~~~\n```\n", 2)
    assert blocks == []
    assert code is not None and code.lines == ["```"]


def test_fence_inside_a_list_item_is_lifted_out_and_dedented() -> None:
    text = "1. Install:\n   ```sh\n   pip install x\n   ```\n   Then run it.\n\n2. Done\n"
    blocks, tail, _ = split(text, 3)
    assert blocks == [
        ProseBlock("1. Install:"),
        CodeBlock("sh", "pip install x"),
        # Still indented it would be an indented code block; it is prose.
        ProseBlock("Then run it."),
    ]
    assert tail == "2. Done"


def test_opening_fence_being_typed_is_left_out_of_the_prose_tail() -> None:
    splitter = BlockSplitter()
    splitter.feed("Here:\n```pyth")
    assert splitter.tail_prose == "Here:"
    assert splitter.tail_code is None


def test_backticks_in_info_string_are_not_a_fence() -> None:
    blocks, tail, code = split("``` not `a` fence\ntext\n", 1)
    assert code is None
    assert blocks == []
    assert tail == "``` not `a` fence\ntext"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_endings(newline: str) -> None:
    text = newline.join(["A", "", "```py", "x = 1", "```", "B", ""])
    blocks, tail, _ = split(text, 2)
    assert blocks == [ProseBlock("A"), CodeBlock("py", "x = 1")]
    assert tail == "B"
