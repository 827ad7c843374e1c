"""Fixtures for the message-rendering tests: real widgets, shown offscreen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from ui.render.message_body import MessageBody

SAMPLE = """# Release notes

Some *emphasis*, **bold**, `inline code` and a [link](https://example.com/docs).

1. First step
2. Second step

3. Third step, after a blank line

- bullet
  - nested bullet

| Name | Value |
|------|-------|
| alpha | 1 |
| beta | 2 |

> A block quote
> on two lines.

```python
def add(x, y):
    \"\"\"Add two numbers.\"\"\"
    return x + y  # the sum
```

Text between code blocks.

~~~bash
echo "hello" | tr a-z A-Z
~~~

---

Final paragraph; the table after it is still open when the stream ends:

| a | b |
|---|---|
| 1 | 2 |
"""


@pytest.fixture
def sample_markdown() -> str:
    return SAMPLE


@pytest.fixture
def make_body(qtbot: QtBot) -> Callable[[], MessageBody]:
    """Build a shown MessageBody of a fixed width, cleaned up after the test."""

    def build() -> MessageBody:
        body = MessageBody()
        qtbot.addWidget(body)
        body.resize(640, 400)
        body.show()
        qtbot.waitExposed(body)
        return body

    return build


def _stream(body: MessageBody, text: str, size: int) -> None:
    for start in range(0, len(text), size):
        body.append(text[start : start + size])


@pytest.fixture
def stream() -> Callable[[MessageBody, str, int], None]:
    """Feed text to a body in chunks of a given size, as a stream would."""
    return _stream
