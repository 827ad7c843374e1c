"""The few lines that run the model's code inside the sandbox.

The code comes on standard input. Like an interactive prompt, the value of a last line
that is an expression is printed (when it is not None), so ``df.describe()`` shows
something. A traceback names the code's own lines, without this prelude's frames.
"""

from __future__ import annotations

PRELUDE = """
import ast, linecache, sys, traceback
source = sys.stdin.read()
sys.stdin.close()
linecache.cache["<code>"] = (len(source), None, source.splitlines(True), "<code>")
namespace = {"__name__": "__main__", "__builtins__": __builtins__}
try:
    tree = ast.parse(source, "<code>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<code>", "exec"), namespace)
    if last is not None:
        value = eval(compile(last, "<code>", "eval"), namespace)
        if value is not None:
            print(repr(value))
except SystemExit:
    raise
except BaseException as error:
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != "<code>":
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb)
    sys.stderr.flush()
    sys.exit(1)
"""
"""Run with ``python -I -B -c PRELUDE``; exits 1 after printing a traceback."""
