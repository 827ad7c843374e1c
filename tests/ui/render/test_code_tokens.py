"""Pygments tokens per line: streamed line by line they match lexing the whole block,
and a streaming block costs what arrived, not its size."""

from __future__ import annotations

import pytest
from pygments.token import Comment, Keyword, String, _TokenType

from ui.render.code_language import guess_lexer, lexer_for
from ui.render.code_tokens import CodeTokens, resumable

SOURCES = {
    "python": 'def f(x):\n    """A docstring\n    over lines."""\n    return x  # done\n',
    "c": "/* a comment\n   over lines */\nint main(void) {\n    return 0;\n}\n",
    "javascript": "const s = `multi\nline`;\n/* c\n d */ let n = 42;\n",
    "go": "package main\n\nfunc main() {\n\ts := `raw\nstring`\n\t_ = s\n}\n",
    "ruby": "def hi\n  <<~TEXT\n    heredoc\n  TEXT\nend\n",
    "json": '{\n  "a": [1, 2],\n  "b": "text"\n}\n',
    "yaml": "name: x\nitems:\n  - a\n  - 'b'\n",
}


def stream_lines(tokens: CodeTokens, code: str, chunk: int) -> None:
    """Feed ``code`` as a streaming block does: complete lines plus the growing one."""
    shown = 0
    for end in range(chunk, len(code) + chunk, chunk):
        lines = code[:end].split("\n")
        partial = lines.pop()
        tokens.replace_from(shown, [*lines[shown:], partial], complete=len(lines))
        shown = len(lines)
    tokens.replace_from(shown, code.split("\n")[shown:], complete=len(code.split("\n")))
    tokens.finish()


def all_spans(tokens: CodeTokens) -> list[list[tuple[int, int, _TokenType]]]:
    return [tokens.spans(n) for n in range(tokens.line_count())]


@pytest.mark.parametrize("language", sorted(SOURCES))
@pytest.mark.parametrize("chunk", [1, 3, 17])
def test_streamed_tokens_equal_the_whole_block_lexed_at_once(language: str, chunk: int) -> None:
    code = SOURCES[language].removesuffix("\n")
    at_once = CodeTokens(lexer_for(language))
    at_once.set_all(code.split("\n"))
    streamed = CodeTokens(lexer_for(language))
    stream_lines(streamed, code, chunk)
    assert all_spans(streamed) == all_spans(at_once)
    assert any(all_spans(at_once))


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", 'x = """a string\nover lines"""\nif x:\n    pass  # done\n'),
        ("c", SOURCES["c"]),
        ("go", SOURCES["go"]),
        ("rust", '/* a\n * b */\nfn main() {\n    let s = r"raw\nstring";\n}\n'),
    ],
)
def test_while_streaming_each_line_reads_as_the_text_so_far_would(language: str, code: str) -> None:
    streamed = CodeTokens(lexer_for(language))
    shown = 0
    for end in range(1, len(code) + 1):
        lines = code[:end].split("\n")
        partial = lines.pop()
        streamed.replace_from(shown, [*lines[shown:], partial], complete=len(lines))
        shown = len(lines)
        so_far = CodeTokens(lexer_for(language))
        so_far.set_all([*lines, partial])
        assert all_spans(streamed) == all_spans(so_far), code[:end]


def test_a_comment_over_lines_is_a_comment_on_every_line() -> None:
    tokens = CodeTokens(lexer_for("c"))
    stream_lines(tokens, SOURCES["c"], 2)
    assert [kind in Comment for _c, _l, kind in tokens.spans(1)] == [True]
    assert any(kind in Keyword for _c, _l, kind in tokens.spans(2))


def test_a_docstring_over_lines_is_a_string_on_every_line() -> None:
    tokens = CodeTokens(lexer_for("python"))
    stream_lines(tokens, SOURCES["python"], 4)
    assert all(kind in String for _c, _l, kind in tokens.spans(2))


def test_streaming_a_long_block_lexes_each_line_about_once() -> None:
    code = "".join(f"value_{n} = compute({n}, 'text')  # note {n}\n" for n in range(2000))
    tokens = CodeTokens(lexer_for("python"))
    assert resumable(tokens.lexer)
    stream_lines(tokens, code, 12)
    # Each update lexes the open line (plus its newline) again; never the whole block.
    assert tokens.lexed_chars < 6 * len(code)
    assert tokens.line_count() == 2001


def test_a_lexer_that_cannot_resume_lexes_line_by_line_while_streaming() -> None:
    code = "".join(f"  key_{n}: value {n}\n" for n in range(800))
    tokens = CodeTokens(lexer_for("yaml"))
    assert not resumable(tokens.lexer)
    stream_lines(tokens, code, 10)
    # Line by line while streaming, then the whole block once at the end.
    assert tokens.lexed_chars < 8 * len(code)


@pytest.mark.parametrize(
    ("tag", "name"),
    [
        ("python", "Python"),
        ("py", "Python"),
        ("c++", "C++"),
        ("rs", "Rust"),
        ("ts", "TypeScript"),
        ("sh", "Bash"),
        ("zig", "Zig"),
        ("elixir", "Elixir"),
        ("fortran", "Fortran"),
        ("Dockerfile", "Docker"),
    ],
)
def test_fence_tags_find_pygments_lexers(tag: str, name: str) -> None:
    lexer = lexer_for(tag)
    assert lexer is not None and lexer.name == name


@pytest.mark.parametrize("tag", ["", "text", "plaintext", "no-such-language"])
def test_plain_and_unknown_tags_have_no_lexer(tag: str) -> None:
    assert lexer_for(tag) is None


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("import os\n\ndef main():\n    print(os.getcwd())\n", "Python"),
        ("const add = (a, b) => a + b;\nconsole.log(add(1, 2));\n", "JavaScript"),
        ('fn main() {\n    let mut x = 5;\n    println!("{}", x);\n}\n', "Rust"),
        ('package main\n\nfunc main() {\n\tfmt.Println("hi")\n}\n', "Go"),
        ('#include <stdio.h>\nint main(void) {\n    printf("hi");\n}\n', "C"),
        ('{\n  "name": "hearth",\n  "tags": [1, 2]\n}', "JSON"),
        ("SELECT name FROM users WHERE age > 21 ORDER BY name;\n", "SQL"),
        ("pip install pygments\ncd project && make\n", "Bash"),
        ("FROM python:3.11\nRUN pip install x\n", "Docker"),
    ],
)
def test_untagged_code_gets_a_language_guess(code: str, name: str) -> None:
    lexer = guess_lexer(code)
    assert lexer is not None and lexer.name == name


@pytest.mark.parametrize(
    "text",
    [
        "The quick brown fox jumps over the lazy dog.\nIt was fine.\n",
        "total 12\n-rw-r--r-- 1 root root 0 Jan  1 a.txt\n",
        "<b>not html</b>",
        "",
    ],
)
def test_text_that_is_not_code_gets_no_guess(text: str) -> None:
    assert guess_lexer(text) is None


def test_guessing_long_text_without_code_is_quick() -> None:
    # Patterns are linear: a long line of words must not make any of them backtrack.
    import time

    text = ("word-" * 4000 + "\n") * 20
    started = time.perf_counter()
    guess_lexer(text)
    assert time.perf_counter() - started < 0.5
