"""The per-model settings dialog: instructions, sampling, thinking, tools, loading, the
template.

:class:`ModelSettingsDialog` edits a copy of one model's
:class:`~app.store.records.ModelSettings`; nothing is saved by the dialog itself (see
:func:`ui.settings.edit.edit_model_settings`). "Reset to defaults" fills in the defaults,
which are kept only if the user then presses Save.

Given the loaded model's :class:`~app.engine.protocol.ModelInfo`, the dialog also says
what its template cannot do: no system role (the instructions then go at the top of the
first message), no thinking switch or effort.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.protocol import ModelInfo
from app.store.records import ModelSettings
from ui.chat.tool_controls import OWN_TOOLS
from ui.settings import help_text
from ui.settings.fields import GpuLayersSpinBox, SeedField
from ui.settings.kv_fields import (
    KV_CACHE_TYPE,
    KvCacheBox,
    context_words,
    kv_memory_words,
    memory_label,
)
from ui.settings.speculative_fields import SpeculativeFields
from ui.settings.tool_fields import ToolDefaults

# Used as the context ceiling when the model file does not say what it was trained for.
_UNKNOWN_CONTEXT_CEILING = 1 << 20
_MAX_REPLY_TOKENS = 1 << 20
_CONTEXT_STEP = 1024


def _double_spin(minimum: float, maximum: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    return spin


def _int_spin(minimum: int, maximum: int, step: int = 1) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSingleStep(step)
    return spin


def _set_height_in_lines(edit: QPlainTextEdit, lines: int) -> None:
    # Tall enough to see a paragraph; the dialog scrolls rather than growing off-screen.
    margins = edit.contentsMargins()
    frame = 2 * edit.frameWidth() + margins.top() + margins.bottom()
    height = edit.fontMetrics().lineSpacing() * lines + frame + 8
    edit.setFixedHeight(height)


def _choice_box(choices: list[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    for text, value in choices:
        box.addItem(text, value)
    return box


def _select(box: QComboBox, value: object) -> None:
    index = next((i for i in range(box.count()) if box.itemData(i) == value), 0)
    box.setCurrentIndex(index)


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("settingsNote")
    return label


def _add_row(form: QFormLayout, label_text: str, field: QWidget, tooltip: str) -> None:
    label = QLabel(label_text)
    label.setBuddy(field)
    # The explanation shows over the label and the field alike.
    label.setToolTip(tooltip)
    field.setToolTip(tooltip)
    field.setAccessibleName(label_text.replace("&", ""))
    field.setAccessibleDescription(tooltip)
    form.addRow(label, field)


class ModelSettingsDialog(QDialog):
    """Edits one model's settings; read the result with :meth:`settings` after Save."""

    def __init__(
        self,
        current: ModelSettings,
        display_name: str,
        trained_context: int | None,
        parent: QWidget | None = None,
        *,
        info: ModelInfo | None = None,
        tool_choices: Sequence[tuple[str, str]] = OWN_TOOLS,
        draft_choices: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``tool_choices``: (name, words) of the tools to offer as defaults (Hearth's own
        and the MCP servers switched on); ``draft_choices``: (name, key) of the local
        models to offer as a draft model."""
        super().__init__(parent)
        self._model_key = current.model_key
        self.setWindowTitle(f"Settings for {display_name}")
        self.setModal(True)
        context_ceiling = (
            trained_context if trained_context and trained_context > 0 else _UNKNOWN_CONTEXT_CEILING
        )

        self.system_prompt_edit = QPlainTextEdit()
        self.system_prompt_edit.setPlaceholderText(
            "For example: You are a patient tutor. Answer briefly and explain your steps."
        )
        self.system_prompt_edit.setToolTip(help_text.SYSTEM_PROMPT)
        self.system_prompt_edit.setAccessibleName("Custom instructions")
        self.system_prompt_edit.setTabChangesFocus(True)
        _set_height_in_lines(self.system_prompt_edit, 6)

        self.temperature_spin = _double_spin(0.0, 2.0, 0.05)
        self.top_p_spin = _double_spin(0.0, 1.0, 0.01)
        self.top_k_spin = _int_spin(0, 1000)
        self.top_k_spin.setSpecialValueText("Off")
        self.min_p_spin = _double_spin(0.0, 1.0, 0.01)
        self.repeat_penalty_spin = _double_spin(1.0, 2.0, 0.05)
        self.seed_edit = SeedField()
        self.max_tokens_spin = _int_spin(1, _MAX_REPLY_TOKENS, 256)
        self.max_tokens_spin.setSuffix(" tokens")
        self.context_spin = _int_spin(0, context_ceiling, _CONTEXT_STEP)
        self.context_spin.setSpecialValueText("Model default")
        self.context_spin.setSuffix(" tokens")
        self.gpu_layers_spin = GpuLayersSpinBox()
        self.kv_cache_box = KvCacheBox()
        self.speculative = SpeculativeFields(draft_choices)
        self._info = info

        self.thinking_box = _choice_box([("Model default", None), ("On", True), ("Off", False)])
        self.effort_box = _choice_box(
            [("Model default", None), ("Low", "low"), ("Medium", "medium"), ("High", "high")]
        )
        self.grammar_edit = QPlainTextEdit()
        self.grammar_edit.setPlaceholderText("Empty: replies are free text")
        self.grammar_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.grammar_edit.setToolTip(help_text.GRAMMAR)
        self.grammar_edit.setAccessibleName("Output grammar (GBNF)")
        self.grammar_edit.setTabChangesFocus(True)
        self.grammar_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        _set_height_in_lines(self.grammar_edit, 4)

        self.template_edit = QPlainTextEdit()
        self.template_edit.setPlaceholderText("Empty: use the template in the model file")
        self.template_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.template_edit.setToolTip(help_text.CHAT_TEMPLATE)
        self.template_edit.setAccessibleName("Chat template override")
        self.template_edit.setTabChangesFocus(True)
        self.template_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        _set_height_in_lines(self.template_edit, 6)

        instructions_box = QGroupBox("Custom instructions")
        instructions = QVBoxLayout(instructions_box)
        instructions.addWidget(self.system_prompt_edit)
        # Said plainly where the template refuses a system role.
        self.no_system_note: QLabel | None = None
        if info is not None and not info.supports_system:
            self.no_system_note = _note(help_text.NO_SYSTEM_ROLE)
            instructions.addWidget(self.no_system_note)

        sampling_box = QGroupBox("How replies are written")
        sampling = QFormLayout(sampling_box)
        _add_row(sampling, "&Temperature", self.temperature_spin, help_text.TEMPERATURE)
        _add_row(sampling, "Top-&p", self.top_p_spin, help_text.TOP_P)
        _add_row(sampling, "Top-&k", self.top_k_spin, help_text.TOP_K)
        _add_row(sampling, "&Min-p", self.min_p_spin, help_text.MIN_P)
        _add_row(sampling, "&Repeat penalty", self.repeat_penalty_spin, help_text.REPEAT_PENALTY)
        _add_row(sampling, "&Seed", self.seed_edit, help_text.SEED)
        _add_row(sampling, "Longest repl&y", self.max_tokens_spin, help_text.MAX_TOKENS)

        thinking_group = QGroupBox("Thinking")
        thinking = QFormLayout(thinking_group)
        _add_row(thinking, "T&hinking", self.thinking_box, help_text.THINKING)
        _add_row(thinking, "&Effort", self.effort_box, help_text.EFFORT)
        no_toggle = info is not None and not info.supports_thinking_toggle
        no_effort = info is not None and not info.supports_effort
        self.thinking_box.setEnabled(not no_toggle)
        self.effort_box.setEnabled(not no_effort)
        if no_toggle or no_effort:
            if no_toggle and no_effort:
                lacks = "neither a thinking switch nor an effort setting"
            else:
                lacks = "no thinking switch" if no_toggle else "no effort setting"
            thinking.addRow(_note(f"This model's chat template offers {lacks}."))

        tools_box = QGroupBox("Tools")
        self.tool_defaults = ToolDefaults(tool_choices, tools_box)
        QVBoxLayout(tools_box).addWidget(self.tool_defaults)

        loading_box = QGroupBox("Loading the model")
        loading = QFormLayout(loading_box)
        _add_row(loading, "&Context length", self.context_spin, help_text.CONTEXT_LENGTH)
        _add_row(loading, "&GPU layers", self.gpu_layers_spin, help_text.GPU_LAYERS)
        _add_row(loading, "&KV cache type", self.kv_cache_box, KV_CACHE_TYPE)
        for label, field, tooltip in self.speculative.rows():
            _add_row(loading, label, field, tooltip)
        # The context as loaded, who chose it, and the cache's memory in the chosen type.
        self.context_note = memory_label()
        self.kv_memory_note = memory_label()
        if info is not None:
            self.context_note.setText(context_words(info, current.context_length is not None))
            loading.addRow(self.context_note)
            loading.addRow(self.kv_memory_note)
            self.kv_cache_box.currentIndexChanged.connect(self._show_kv_memory)
        if trained_context and trained_context > 0 and info is None:
            trained = QLabel(f"This model was trained for up to {trained_context:,} tokens.")
            trained.setWordWrap(True)
            loading.addRow(trained)

        template_box = QGroupBox("Chat template (advanced)")
        QVBoxLayout(template_box).addWidget(self.template_edit)

        grammar_box = QGroupBox("Output grammar, GBNF (advanced)")
        QVBoxLayout(grammar_box).addWidget(self.grammar_edit)

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        for box in (
            instructions_box,
            sampling_box,
            thinking_group,
            tools_box,
            loading_box,
            template_box,
            grammar_box,
        ):
            content_layout.addWidget(box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.save_button = self._button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = self._button(QDialogButtonBox.StandardButton.Cancel)
        self.reset_button = self._button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.reset_button.setText("Reset to defaults")
        self.reset_button.setToolTip("Fill in Hearth's defaults; nothing changes until you save")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reset_button.clicked.connect(self.reset_to_defaults)

        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.resize(520, 640)

        self.set_values(current)
        self.system_prompt_edit.setFocus()

    def _button(self, which: QDialogButtonBox.StandardButton) -> QPushButton:
        button: QAbstractButton | None = self.buttons.button(which)
        assert isinstance(button, QPushButton)
        return button

    def set_values(self, settings: ModelSettings) -> None:
        """Fill every field from ``settings``."""
        self.system_prompt_edit.setPlainText(settings.system_prompt)
        self.temperature_spin.setValue(settings.temperature)
        self.top_p_spin.setValue(settings.top_p)
        self.top_k_spin.setValue(settings.top_k)
        self.min_p_spin.setValue(settings.min_p)
        self.repeat_penalty_spin.setValue(settings.repeat_penalty)
        self.seed_edit.set_seed(settings.seed)
        self.max_tokens_spin.setValue(settings.max_tokens)
        # 0 is the spin box's "Model default".
        self.context_spin.setValue(settings.context_length or 0)
        self.gpu_layers_spin.set_layers(settings.gpu_layers)
        self.kv_cache_box.set_kv_type(settings.kv_cache_type)
        self._show_kv_memory()
        self.speculative.set_values(settings.speculative, settings.draft_model)
        self.template_edit.setPlainText(settings.chat_template_override or "")
        _select(self.thinking_box, settings.thinking)
        _select(self.effort_box, settings.effort)
        self.grammar_edit.setPlainText(settings.grammar or "")
        self.tool_defaults.set_values(settings.tools, settings.tool_choice)

    def _show_kv_memory(self) -> None:
        if self._info is not None:
            self.kv_memory_note.setText(
                kv_memory_words(self._info, self.kv_cache_box.kv_type() or "f16")
            )

    def reset_to_defaults(self) -> None:
        """Show the defaults in every field (saved only if the user presses Save)."""
        self.set_values(ModelSettings(model_key=self._model_key))

    def settings(self) -> ModelSettings:
        """The values in the fields now."""
        # Make sure a number still being typed counts, even if focus never left the box.
        for spin in (
            self.temperature_spin,
            self.top_p_spin,
            self.top_k_spin,
            self.min_p_spin,
            self.repeat_penalty_spin,
            self.max_tokens_spin,
            self.context_spin,
            self.gpu_layers_spin,
        ):
            spin.interpretText()
        template = self.template_edit.toPlainText()
        grammar = self.grammar_edit.toPlainText()
        return ModelSettings(
            model_key=self._model_key,
            system_prompt=self.system_prompt_edit.toPlainText().strip(),
            temperature=round(self.temperature_spin.value(), 4),
            top_p=round(self.top_p_spin.value(), 4),
            top_k=self.top_k_spin.value(),
            min_p=round(self.min_p_spin.value(), 4),
            repeat_penalty=round(self.repeat_penalty_spin.value(), 4),
            seed=self.seed_edit.seed(),
            max_tokens=self.max_tokens_spin.value(),
            context_length=self.context_spin.value() or None,
            gpu_layers=self.gpu_layers_spin.layers(),
            chat_template_override=template if template.strip() else None,
            thinking=self.thinking_box.currentData(),
            effort=self.effort_box.currentData(),
            grammar=grammar if grammar.strip() else None,
            tools=self.tool_defaults.tools(),
            tool_choice=self.tool_defaults.tool_choice(),
            kv_cache_type=self.kv_cache_box.kv_type(),
            speculative=self.speculative.mode(),
            draft_model=self.speculative.draft_model(),
        )
