"""The arena's compare page: pick two sides, send a prompt, watch A and B answer, vote.

The names stay hidden (the sides are A and B, placed at random) until the user votes;
then each side's name shows with its tokens per second and time to first token. A turn
runs off the GUI thread on this page's background runner, its events relayed here; Stop
ends the loads and answers under way, both sides'. Follow-up prompts continue the same
session until "New comparison"; each turn can be voted on.

The page owns the arena's engines (``app.arena.engines``): where both models fit they
stay loaded, the second in an engine of the arena's own, and answer at the same time;
:meth:`ComparePage.end_engines` ends that engine when the arena closes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.arena.contest import (
    ArenaEvent,
    ArenaStop,
    Contestant,
    SideResult,
    run_turn,
    start_session,
)
from app.arena.engines import ArenaEngines
from app.arena.plan import ArenaPlan
from app.hearth import Hearth
from app.store.arena import ArenaSession, ArenaStore, ArenaTurn, Side
from ui.arena.side_panel import SidePanel
from ui.background import BackgroundRunner, error_text

VOTES: tuple[tuple[str, str], ...] = (
    ("a", "A is better"),
    ("b", "B is better"),
    ("tie", "Tie"),
    ("both_bad", "Both are bad"),
)


@dataclass(frozen=True)
class ModelChoice:
    path: str  # what to load: a file's path or remote:SERVER/MODEL
    name: str


class _SidePicker(QWidget):
    """A model, and optionally a temperature of its own."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(label, self))
        self.model_box = QComboBox(self)
        self.model_box.setAccessibleName(label)
        self.model_box.setMinimumContentsLength(24)
        layout.addWidget(self.model_box, 1)
        self.own_temperature = QCheckBox("Temperature", self)
        self.own_temperature.setToolTip("Use this temperature instead of the model's own")
        layout.addWidget(self.own_temperature)
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.7)
        self.temperature.setEnabled(False)
        self.own_temperature.toggled.connect(self.temperature.setEnabled)
        layout.addWidget(self.temperature)

    def set_models(self, models: list[ModelChoice], index: int) -> None:
        current = self.model_box.currentData()
        self.model_box.clear()
        for model in models:
            self.model_box.addItem(model.name, model.path)
        found = self.model_box.findData(current) if current else -1
        self.model_box.setCurrentIndex(found if found >= 0 else min(index, len(models) - 1))

    def contestant(self) -> Contestant | None:
        path = self.model_box.currentData()
        if not path:
            return None
        heat = self.temperature.value() if self.own_temperature.isChecked() else None
        return Contestant(path, self.model_box.currentText(), heat)


class ComparePage(QWidget):
    """Signals: ``voted(object)``: the voted ``ArenaTurn``; ``turn_finished(object)``:
    the ``ArenaTurn`` once both sides have answered or were stopped; ``models_switched()``:
    the app's engine's model changed (said only once the names are no secret).
    ``loads``: how many times a side's model has been loaded, as shown."""

    voted = Signal(object)
    turn_finished = Signal(object)
    models_switched = Signal()

    def __init__(
        self,
        hearth: Hearth,
        store: ArenaStore,
        parent: QWidget | None = None,
        *,
        chooser: random.Random | None = None,
    ) -> None:
        super().__init__(parent)
        self.hearth = hearth
        self.store = store
        self.engines = ArenaEngines(hearth)
        self.loads = 0
        self._chooser = chooser or random.Random()
        self._tasks = BackgroundRunner(self, max_threads=1, name="hearth-arena")
        self._plans = BackgroundRunner(self, max_threads=1, name="hearth-arena-plan")
        self._plan_ticket = 0
        self.session: ArenaSession | None = None
        self.contestants: dict[Side, Contestant] = {}
        self.turn: ArenaTurn | None = None
        self._results: dict[Side, SideResult] = {}
        self._stop: ArenaStop | None = None
        self._switched = False
        self._main_model: str | None = None

        layout = QVBoxLayout(self)
        pickers = QGridLayout()
        self.first = _SidePicker("First model", self)
        self.second = _SidePicker("Second model", self)
        pickers.addWidget(self.first, 0, 0)
        pickers.addWidget(self.second, 1, 0)
        tag_row = QHBoxLayout()
        tag_row.addWidget(QLabel("Tag", self))
        self.tag_edit = QLineEdit(self)
        self.tag_edit.setPlaceholderText("e.g. coding (optional; filters the leaderboard)")
        self.tag_edit.setAccessibleName("Tag")
        tag_row.addWidget(self.tag_edit, 1)
        pickers.addLayout(tag_row, 0, 1)
        self.new_button = QPushButton("New comparison", self)
        self.new_button.setToolTip("Start afresh: new prompts go to a new blind pairing")
        self.new_button.clicked.connect(self.new_comparison)
        pickers.addWidget(self.new_button, 1, 1)
        layout.addLayout(pickers)
        self.plan_label = QLabel(self)
        self.plan_label.setObjectName("status")
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.plan_label)

        sides = QHBoxLayout()
        self.panels: dict[Side, SidePanel] = {"a": SidePanel("a", self), "b": SidePanel("b", self)}
        sides.addWidget(self.panels["a"], 1)
        sides.addWidget(self.panels["b"], 1)
        layout.addLayout(sides, 1)

        votes = QHBoxLayout()
        votes.addStretch(1)
        self.vote_buttons: dict[str, QPushButton] = {}
        for outcome, text in VOTES:
            button = QPushButton(text, self)
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, o=outcome: self.vote(o))
            votes.addWidget(button)
            self.vote_buttons[outcome] = button
        votes.addStretch(1)
        layout.addLayout(votes)
        self.vote_label = QLabel(self)
        self.vote_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.vote_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.vote_label)

        composer = QHBoxLayout()
        self.prompt_edit = QPlainTextEdit(self)
        self.prompt_edit.setPlaceholderText("A prompt for both models…")
        self.prompt_edit.setAccessibleName("Arena prompt")
        self.prompt_edit.setFixedHeight(64)
        composer.addWidget(self.prompt_edit, 1)
        self.send_button = QPushButton("Send to both", self)
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        composer.addWidget(self.send_button)
        composer.addWidget(self.stop_button)
        layout.addLayout(composer)
        for picker in (self.first, self.second):
            picker.model_box.currentIndexChanged.connect(self._pairing_changed)
            picker.own_temperature.toggled.connect(self._pairing_changed)
            picker.temperature.valueChanged.connect(self._pairing_changed)

    # Models --------------------------------------------------------------------------

    def set_models(self, models: list[ModelChoice]) -> None:
        self.first.set_models(models, 0)
        self.second.set_models(models, 1)
        self._pairing_changed()

    def _pairing_changed(self) -> None:
        if self.session is None and not self.running:
            self._show_plan()

    def _show_plan(self) -> None:
        first, second = self.first.contestant(), self.second.contestant()
        if first is None or second is None:
            self.plan_label.setText("Pick two models (or one model with two temperatures).")
            return
        if first.side_name == second.side_name:
            self.plan_label.setText(
                "Both pickers name the same thing: pick another model, or give one side "
                "its own temperature."
            )
            return
        self._plan_for({"a": first, "b": second})

    def _plan_for(self, contestants: dict[Side, Contestant]) -> None:
        """Shows the plan, worked out off the GUI thread (it probes the machine once and
        reads the models' headers)."""
        self._plan_ticket += 1
        ticket, engines = self._plan_ticket, self.engines

        def show(plan: ArenaPlan) -> None:
            if ticket == self._plan_ticket:
                self.plan_label.setText(f"Plan: {plan.text}")

        self._plans.run(
            lambda: engines.plan(contestants),
            on_done=show,
            on_error=lambda error: self.plan_label.setText(
                f"No plan: the models could not be read ({error_text(error)})"
            ),
        )

    # A turn ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._stop is not None

    def new_comparison(self) -> None:
        if self.running:
            return
        self.session = None
        self.turn = None
        for panel in self.panels.values():
            panel.clear()
        self._set_votable(False)
        self.vote_label.setText("")
        self._show_plan()

    def send(self) -> None:
        prompt = self.prompt_edit.toPlainText().strip()
        if self.running or not prompt:
            return
        if self.session is None:
            first, second = self.first.contestant(), self.second.contestant()
            if first is None or second is None:
                self.plan_label.setText("Pick two models first.")
                return
            try:
                self.session, self.contestants = start_session(
                    self.store, first, second, tag=self.tag_edit.text(), chooser=self._chooser
                )
            except ValueError as problem:
                self.plan_label.setText(str(problem))
                return
            self._plan_ticket += 1  # the turn says the plan it runs on
        elif self.tag_edit.text().strip() != self.session.tag:
            self.store.set_tag(self.session.id, self.tag_edit.text())
        self.prompt_edit.clear()
        self._results = {}
        self._set_votable(False)
        self.vote_label.setText("")
        for panel in self.panels.values():
            panel.begin_turn(prompt)
        stop = self._stop = ArenaStop()
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.new_button.setEnabled(False)
        self._main_model = self._loaded_model()
        report = self._tasks.relay(self._event)
        hearth, store, engines = self.hearth, self.store, self.engines
        session, contestants = self.session, dict(self.contestants)
        self._tasks.run(
            lambda: run_turn(hearth, store, session, contestants, prompt, report, stop, engines),
            on_done=self._turn_done,
            on_error=self._turn_failed,
        )

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.stop()
            self.vote_label.setText("Stopping…")

    def _loaded_model(self) -> str | None:
        request = self.hearth.engine.load_request
        return request.model_path if request is not None else None

    def _event(self, item: object) -> None:
        assert isinstance(item, ArenaEvent)
        if item.side is None:
            if item.kind == "plan":
                self.plan_label.setText(f"Plan: {item.text}")
            return
        panel = self.panels[item.side]
        if item.kind == "loading":
            self.loads += 1
            panel.set_status(f"Loading the model for {item.side.upper()}…")
            other = "b" if item.side == "a" else "a"
            if other in self._results and item.text != "beside":
                self.vote_label.setText(f"Switching models: {other.upper()} is done.")
        elif item.kind == "started":
            panel.set_status("Writing…")
        elif item.kind == "text":
            panel.append(item.text)
        elif item.kind == "done" and item.result is not None:
            self._results[item.side] = item.result
            panel.set_answer(item.result.text)
            panel.set_status(_status_words(item.result))

    def _turn_ended(self) -> None:
        self._stop = None
        if self._loaded_model() != self._main_model:
            self._switched = True

    def _turn_done(self, turn: ArenaTurn) -> None:
        self._turn_ended()
        self.turn = turn
        self.send_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.new_button.setEnabled(True)
        complete = turn.status_a == "complete" and turn.status_b == "complete"
        self._set_votable(complete)
        if complete:
            self.vote_label.setText("Which answer is better? The names show once you vote.")
        else:
            self.vote_label.setText(
                "Stopped before both sides finished: this turn cannot be voted on. "
                "Send the prompt again to compare."
            )
            self._models_switched()
        self.turn_finished.emit(turn)

    def _turn_failed(self, error: Exception) -> None:
        self._turn_ended()
        self.send_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.new_button.setEnabled(True)
        self.vote_label.setText(f"The comparison failed: {error_text(error)}")
        self._models_switched()

    def _set_votable(self, votable: bool) -> None:
        for button in self.vote_buttons.values():
            button.setEnabled(votable)

    # Voting ----------------------------------------------------------------------------

    def vote(self, outcome: str) -> None:
        if self.turn is None or self.running:
            return
        turn = self.store.vote(self.turn.id, outcome)
        self.turn = turn
        self._set_votable(False)
        self._reveal(turn)
        words = dict(VOTES)[outcome]
        self.vote_label.setText(f"Voted: {words}. Send a follow-up, or start a new comparison.")
        self.voted.emit(turn)
        self._models_switched()

    def _reveal(self, turn: ArenaTurn) -> None:
        figures = {
            "a": (turn.tokens_per_s_a, turn.ttft_ms_a),
            "b": (turn.tokens_per_s_b, turn.ttft_ms_b),
        }
        for side, panel in self.panels.items():
            panel.reveal(self.contestants[side].side_name)
            speed, first = figures[side]
            parts = []
            if speed:
                parts.append(f"{speed:.1f} tokens/s")
            if first:
                parts.append(f"first token after {first:.0f} ms")
            panel.set_status(" · ".join(parts))

    def _models_switched(self) -> None:
        if self._switched:
            self._switched = False
            self.models_switched.emit()

    def end_engines(self) -> None:
        """Stops the turn and ends the arena's own engine once that turn has ended (off
        the GUI thread; it is done even when the window is closing)."""
        self.stop()
        self._tasks.run(self.engines.close, must_finish=True)

    def begin_shutdown(self) -> None:
        self.end_engines()
        self._tasks.abort_all()
        self._plans.abort_all()


def _status_words(result: SideResult) -> str:
    if result.status == "error":
        return result.error or "The answer failed."
    if result.status == "stopped":
        return "Stopped."
    return "Done."
