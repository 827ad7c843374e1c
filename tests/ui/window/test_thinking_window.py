"""Thinking in the real window with the real starter model: shown apart, and switched.

The 135M starter model does not think by itself. Its replies are given the shape of a
thinking model's with the per-model output grammar (constrained sampling, a real
setting): ``<think>`` … ``</think>`` then the answer. The engine's reply parser splits
that into thinking and answer, as it does for Qwen3 or DeepSeek-R1.

The thinking switches are offered by a template override that reads ``enable_thinking``
and ``reasoning_effort`` (written here in ChatML style, as SmolLM2's own template is).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QLabel, QTextEdit, QWidget

from app.store.records import Message
from tests.support.settings_dialog import when_settings_dialog_opens
from tests.ui.sidebar.sidebar_helpers import click_row, row_of_title
from tests.ui.window.helpers import last_reply, type_and_send, wait_for_reply
from ui.chat.message_widget import MessageWidget
from ui.main_window import MainWindow
from ui.settings import ModelSettingsDialog

# A real thinking shape for a model that does not think: instructions that ask for it,
# and a grammar every reply must follow.
THINK_FIRST = "Think first inside <think> tags, then answer briefly."
THINKING_SHAPE = r'root ::= "<think>\n" [^<\n ] [^<\n]{20,240} "\n</think>\n\n" [^<\n ] [^<]{4,240}'
THINKING_REPLY = {
    "system_prompt": THINK_FIRST,
    "grammar": THINKING_SHAPE,
    "seed": 3,
    "temperature": 0.3,
    "max_tokens": 200,
}

# ChatML, plus the two thinking switches the way thinking models' templates read them.
SWITCHES_TEMPLATE = """\
{%- if reasoning_effort is defined -%}
<|im_start|>system
Reasoning effort: {{ reasoning_effort }}<|im_end|>
{% endif -%}
{%- for message in messages -%}
<|im_start|>{{ message.role }}
{{ message.content }}<|im_end|>
{% endfor -%}
{%- if add_generation_prompt -%}
<|im_start|>assistant
{% if enable_thinking is defined and not enable_thinking -%}
<think>

</think>

{% endif -%}
{%- endif -%}
"""

# ChatML that refuses a system turn, as Gemma's templates do.
NO_SYSTEM_TEMPLATE = """\
{%- for message in messages -%}
{%- if message.role == 'system' -%}
{{ raise_exception('System role not supported') }}
{%- endif -%}
<|im_start|>{{ message.role }}
{{ message.content }}<|im_end|>
{% endfor -%}
{%- if add_generation_prompt -%}
<|im_start|>assistant
{% endif -%}
"""

NO_SYSTEM_NOTICE = (
    "This model's template has no system role: your instructions are added to the top of "
    "your first message."
)


def visible_texts(root: QWidget) -> list[str]:
    """Every piece of text a person can see under ``root``."""
    texts = [e.toPlainText() for e in root.findChildren(QTextEdit) if e.isVisible()]
    texts += [label.text() for label in root.findChildren(QLabel) if label.isVisible()]
    return texts


def choose(qtbot, box: QComboBox, text: str) -> None:
    """Picks an entry of a closed list with the arrow keys."""
    box.setFocus()
    key = Qt.Key.Key_Down if box.findText(text) > box.currentIndex() else Qt.Key.Key_Up
    while box.currentText() != text:
        before = box.currentIndex()
        qtbot.keyClick(box, key)
        assert box.currentIndex() != before, f"{text!r} is not offered"


class FoldingRecorder(QObject):
    """Each time the next reply's thinking section opens (True) or folds (False).

    A QObject on the GUI thread, so the worker's signal reaches it queued, after the
    view has made the reply's widget.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.events: list[bool] = []
        self._view = window.chat_view
        window.worker.reply_started.connect(self._started)

    @Slot(object)
    def _started(self, message: Message) -> None:
        widget = self._view.widget_for(message.id)
        if widget is not None and widget.thinking is not None:
            widget.thinking.expanded_changed.connect(self.events.append)


def test_a_thinking_reply_shows_a_folding_section_and_the_answer_alone(qtbot, open_window):
    window = open_window(**THINKING_REPLY)
    folding = FoldingRecorder(window)
    type_and_send(qtbot, window, "What is the capital of France?")
    reply = wait_for_reply(qtbot, window)

    stored = window.hearth.conversations.get_message(reply.message.id)
    assert stored.status == "complete", stored.error
    # Stored apart: the thinking in its own field, the answer alone in the content.
    assert stored.reasoning.strip() and stored.content.strip()
    for text in (stored.reasoning, stored.content):
        assert "<think>" not in text and "</think>" not in text
    assert stored.thinking_ms is not None

    # It opened while the model thought, and folded once the answer began.
    assert folding.events[:2] == [True, False]
    section = reply.thinking
    assert section is not None and section.isVisible()
    header = section.header.text()
    assert header.startswith("Thought for")
    assert not section.is_expanded() and not section.text_view.isVisible()
    answer = reply.plain_text()
    assert answer.strip() and stored.reasoning.strip() not in answer
    # No markup in any message (the instructions line above the chat names the tags).
    shown = [text for widget in window.chat_view.widgets for text in visible_texts(widget)]
    assert shown and not any("think>" in text for text in shown)

    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    assert section.text_view.isVisible()
    assert section.text_view.toPlainText().strip() == stored.reasoning.strip()
    assert not any("think>" in text for text in visible_texts(reply))

    qtbot.mouseClick(reply.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == stored.content

    # Opened again from the sidebar, the stored reply shows its thinking folded.
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    view = window.sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "What is the capital of France?"))
    qtbot.waitUntil(lambda: len(window.chat_view.widgets) == 2)
    again: MessageWidget = last_reply(window)
    assert again.thinking is not None
    qtbot.waitUntil(again.thinking.isVisible)
    assert again.thinking.header.text() == header
    assert not again.thinking.is_expanded()
    assert again.plain_text() == answer


def test_no_thinking_switches_for_a_template_without_them(qtbot, window):
    controls = window.composer.thinking_controls
    assert window.composer.isVisible() and not controls.isVisible()
    assert not window.chat_view.template_note_label.isVisible()


def test_thinking_switches_are_kept_per_chat_and_reach_the_template(qtbot, open_window):
    window = open_window(chat_template_override=SWITCHES_TEMPLATE, max_tokens=8)
    controls = window.composer.thinking_controls
    think, effort = controls.think_button, controls.effort_box
    assert controls.isVisible() and think.isVisible() and effort.isVisible()
    # The template thinks unless told not to, and the button shows that default.
    assert think.text() == "Think (default)" and think.isChecked()

    # First chat: thinking on, chosen explicitly (a click turns it off, another on).
    qtbot.mouseClick(think, Qt.MouseButton.LeftButton)
    assert not think.isChecked() and think.text() == "Think"
    qtbot.mouseClick(think, Qt.MouseButton.LeftButton)
    assert think.isChecked() and think.text() == "Think"
    type_and_send(qtbot, window, "Hello")
    first = wait_for_reply(qtbot, window).message
    chat = window.hearth.chat
    assert chat.template_switches(first.conversation_id) == {"enable_thinking": True}

    # A new chat starts from the model's settings; this one: thinking off, high effort.
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert think.text() == "Think (default)" and think.isChecked()
    qtbot.mouseClick(think, Qt.MouseButton.LeftButton)
    assert not think.isChecked() and think.text() == "Think"
    choose(qtbot, effort, "Effort: high")
    type_and_send(qtbot, window, "Hi there")
    second = wait_for_reply(qtbot, window).message
    assert chat.template_switches(second.conversation_id) == {
        "enable_thinking": False,
        "reasoning_effort": "high",
    }
    # Both reached the template: an empty thinking block and an effort line were added.
    stored = window.hearth.conversations
    with_thinking = stored.get_message(first.id).prompt_tokens or 0
    without = stored.get_message(second.id).prompt_tokens or 0
    assert with_thinking > 0 and without > with_thinking + 8

    # Each chat shows its own choice again when opened.
    view = window.sidebar.list_view
    chats = window.hearth.conversations.list_conversations()
    assert {c.id: (c.thinking, c.effort) for c in chats} == {
        first.conversation_id: (True, None),
        second.conversation_id: (False, "high"),
    }
    click_row(qtbot, view, row_of_title(view, "Hello"))
    qtbot.waitUntil(lambda: window.chat.conversation_id == first.conversation_id)
    assert think.isChecked() and effort.currentText() == "Effort: default (model's own)"
    click_row(qtbot, view, row_of_title(view, "Hi there"))
    qtbot.waitUntil(lambda: window.chat.conversation_id == second.conversation_id)
    assert not think.isChecked() and effort.currentText() == "Effort: high"

    # The model's own default, set in its settings, is what a new chat starts from.
    def set_default_off(dialog: ModelSettingsDialog) -> None:
        choose(qtbot, dialog.thinking_box, "Off")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    when_settings_dialog_opens(set_default_off)
    qtbot.mouseClick(window.model_bar.settings_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.sidebar.new_chat_button, Qt.MouseButton.LeftButton)
    assert think.text() == "Think (default)" and not think.isChecked()
    assert chat.template_switches(None) == {"enable_thinking": False}


def test_a_template_without_a_system_role_is_explained_and_still_answers(qtbot, open_window):
    window = open_window(
        chat_template_override=NO_SYSTEM_TEMPLATE,
        system_prompt="Answer like a pirate.",
        max_tokens=16,
    )
    info = window.hearth.engine.info
    assert info is not None and not info.supports_system and info.template_note
    note = window.chat_view.template_note_label
    assert note.isVisible() and note.text() == info.template_note
    assert info.template_note in window.model_bar.picker.toolTip()

    seen: list[str] = []

    def read_the_dialog(dialog: ModelSettingsDialog) -> None:
        seen.extend(visible_texts(dialog))
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    when_settings_dialog_opens(read_the_dialog)
    qtbot.mouseClick(window.model_bar.settings_button, Qt.MouseButton.LeftButton)
    assert NO_SYSTEM_NOTICE in seen

    type_and_send(qtbot, window, "Hello")
    reply = wait_for_reply(qtbot, window)
    stored = window.hearth.conversations.get_message(reply.message.id)
    assert stored.status == "complete" and stored.content.strip()
