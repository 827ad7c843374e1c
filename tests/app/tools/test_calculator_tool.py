"""The calculator: right answers, and refusals that keep the expression from ever
reaching Python, all as results the model can read."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path
from typing import Any

import pytest

from app.tools.base import ToolResult
from app.tools.calculator import CalculatorTool


def calculate(expression: str) -> ToolResult:
    return CalculatorTool().run({"expression": expression})


@pytest.mark.parametrize(
    ("expression", "answer"),
    [
        ("37*41", "1517"),
        ("2**10", "1024"),
        ("2^10", "1024"),
        ("2^3^2", "512"),
        ("(2 + 3) * 4", "20"),
        ("7/2", "3.5"),
        ("7//2", "3"),
        ("-7 % 3", "2"),
        ("0.1 + 0.2", "0.3"),
        ("1/3", "0.333333333333333"),
        ("sqrt(16)", "4"),
        ("sqrt(2)", "1.4142135623731"),
        ("pi", "3.14159265358979"),
        ("cos(pi)", "-1"),
        ("log(8, 2)", "3"),
        ("ln(e)", "1"),
        ("round(2.675, 2)", "2.67"),
        ("factorial(20)", "2432902008176640000"),
        ("comb(52, 5)", "2598960"),
        ("max(1, 5, 3) - min(4, 2)", "3"),
        ("abs(-3.5)", "3.5"),
        ("2**100", "1267650600228229401496703205376"),
        ("1e3 + 1", "1001"),
        ("12 × 3 ÷ 4", "9"),
        ("−5 + 2", "-3"),  # the minus sign people paste
        ("3 > 2", "true"),
        ("1 < 2 < 1", "false"),
        ("1e20", "1e+20"),
        ("-0.0", "0"),
    ],
)
def test_right_answers(expression: str, answer: str) -> None:
    assert calculate(expression) == ToolResult(answer)


def test_a_big_whole_number_is_exact() -> None:
    result = calculate("10**3000 + 1")
    assert not result.is_error
    assert result.text == "1" + "0" * 2999 + "1"


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("__import__('os').system('echo hacked')", "not a known function"),
        ("().__class__.__bases__[0].__subclasses__()", "not a known function"),
        ("().__class__", "not arithmetic"),
        ("sqrt.__globals__", "not arithmetic"),
        ("math.pi", "not arithmetic"),
        ("open('/etc/passwd').read()", "not a known function"),
        ("__builtins__", "unknown name"),
        ("x + 1", "unknown name"),
        ("lambda: 1", "not arithmetic"),
        ("[1, 2, 3]", "not arithmetic"),
        ("'abc'", "not a number"),
        ("2 if 1 else 3", "not arithmetic"),
        ("(y := 2)", "not arithmetic"),
        ("f'{1}'", "not arithmetic"),
        ("1; 2", "not an arithmetic expression"),
        ("import os", "not an arithmetic expression"),
        ("sqrt(x=4)", "plain values"),
        ("sqrt(*[4])", "plain values"),
        ("1 << 2", "not arithmetic"),
        ("not 1", "not arithmetic"),
        ("1j * 1j", "not a number"),
        ("", "empty"),
        ("1/0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("sqrt(-1)", "not defined"),
        ("(-8) ** (1/3)", "not a real number"),
        ("sqrt(1, 2)", "cannot take those values"),
    ],
)
def test_refusals_say_why(expression: str, reason: str) -> None:
    result = calculate(expression)
    assert result.is_error
    assert reason in result.text


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "expression",
    [
        "9**9**9",
        "2**100000",
        "10**10000",
        "(10**3000) * (10**3000)",
        "2.0 ** 100000",
        "1e308 * 10",
        "exp(1000)",
        "factorial(100000)",
        "comb(10**6, 5 * 10**5)",
        "round(5, -10**18)",
        "10**3000 / 3",
    ],
)
def test_huge_numbers_are_refused_at_once(expression: str) -> None:
    result = calculate(expression)
    assert result.is_error
    assert "large" in result.text or "limited" in result.text or "digits" in result.text


def test_long_and_deeply_nested_input_is_refused() -> None:
    long = calculate("1" + "+1" * 300)
    assert long.is_error and "longer than" in long.text
    nested = calculate("-" * 200 + "1")
    assert nested.is_error and "nested too deeply" in nested.text
    parentheses = calculate("(" * 220 + "1" + ")" * 220)
    assert parentheses.is_error


def test_an_expression_that_would_write_a_file_does_nothing(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    for expression in [
        f"__import__('pathlib').Path({str(target)!r}).touch()",
        f"open({str(target)!r}, 'w').write('x')",
    ]:
        assert calculate(expression).is_error
    assert not target.exists()


def test_it_never_runs_python_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """eval, exec and compiling to code are made to fail; answers still come."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the calculator ran Python code")

    real_compile = builtins.compile

    def parse_only(source: Any, filename: Any, mode: str, flags: int = 0, *a: Any, **k: Any) -> Any:
        if not flags & ast.PyCF_ONLY_AST:
            refuse()
        return real_compile(source, filename, mode, flags, *a, **k)

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(builtins, "compile", parse_only)
    assert calculate("37*41").text == "1517"
    assert calculate("sqrt(2)**2 > 1.99").text == "true"
    assert calculate("__import__('os')").is_error


def test_the_tool_describes_itself_for_the_model() -> None:
    tool = CalculatorTool()
    assert tool.name == "calculator"
    assert tool.parameters["required"] == ["expression"]
    assert not tool.needs_approval
