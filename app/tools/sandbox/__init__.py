"""The confinement the Python tool runs code in: one backend per operating system.

``app.tools.sandbox.pick.confinement_for_this_os`` picks it: Linux namespaces,
rlimits and seccomp (``linux``), the macOS sandbox profile (``macos``), a Windows job
object with a restricted token (``windows``). Each says whether it can run here
(``available``) and runs one piece of code (``run``); ``app.tools.python_sandbox`` is
the tool the model calls.
"""
