"""Think longer about one reply: sample N candidates, choose one, keep it as a new version.

The candidates answer the same prompt the reply answered (its chat up to the question,
the model's instructions and thinking switches), with temperatures spread around the
model's own, one after the other. The engine host keeps the KV cache of the last
prompt and evaluates only what differs (``app.engine.host``), so every candidate after
the first evaluates almost no prompt tokens: N candidates cost N answers, not N
prompts. Each candidate's ``prompt_eval_tokens`` is kept to show it.

Then one is chosen: a majority vote when the answers are short or numeric and a clear
majority agrees (``app.think.choose``), else a judging prompt in which the same model
names the best candidate and says why. The choice is stored as a new version of the
reply (the versions switcher shows it), the run with every candidate and the reason in
``app.store.think_runs``.

For a model whose template reads ``reasoning_effort`` (or ``enable_thinking``, while
thinking is off) the reply is instead asked again with the effort raised.

A time budget bounds the sampling: no candidate starts after it, and one running past it
is cut (the first always finishes, so there is an answer). Stop works at any point: the
run ends, its candidates stay stored, and the reply is left as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from app.chat.prompt import prompt_messages
from app.chat.service import ChatOptions, ChatService, StreamCallbacks, sampling_from
from app.chat.tool_loop import ReplyControl
from app.engine.errors import EngineCrashed, EngineError
from app.engine.protocol import GenerationStats, SamplingParams
from app.engine.scheduler import Scheduler
from app.store.records import Message
from app.store.think_runs import StoredCandidate, ThinkRunStore
from app.think.choose import answer_matching, judge_messages, majority, read_judgement

DEFAULT_CANDIDATES = 3
DEFAULT_BUDGET_S = 120.0
MAX_CANDIDATES = 8
EFFORTS = ("low", "medium", "high")
# The judge's reply is one line and a sentence; it is asked to be sure, not creative.
JUDGE_SAMPLING = SamplingParams(temperature=0.1, top_p=0.9, top_k=20, max_tokens=160)


def temperatures(base: float, count: int) -> list[float]:
    """``count`` temperatures spread around ``base``: the first is ``base`` itself, the
    rest go from cooler to warmer (0.3 below to 0.5 above, never under 0.1)."""
    if count <= 1:
        return [round(base, 2)]
    low, high = max(0.1, base - 0.3), base + 0.5
    others = (
        [low + (high - low) * i / (count - 2) for i in range(count - 1)] if count > 2 else [high]
    )
    return [round(base, 2), *(round(t, 2) for t in others)]


@dataclass
class ThinkCallbacks:
    """What a run reports, on the thread that runs it.

    on_candidate(position, of, temperature): a candidate begins. on_text(position, text):
    its answer streams. on_candidate_done(candidate): it ended (stored). on_judging():
    the model is comparing them. reply: the stream of a raised-effort reply."""

    on_candidate: Callable[[int, int, float], None] = lambda position, of, temperature: None
    on_text: Callable[[int, str], None] = lambda position, text: None
    on_candidate_done: Callable[[StoredCandidate], None] = lambda candidate: None
    on_judging: Callable[[], None] = lambda: None
    reply: StreamCallbacks = field(default_factory=StreamCallbacks)


@dataclass(frozen=True)
class ThinkResult:
    """message: the new version (None when stopped, failed or nothing was sampled).
    method: "vote", "judge", "first" (the judge named none), "single" or "effort".
    chosen: the candidate's position."""

    run_id: int | None
    message: Message | None
    candidates: tuple[StoredCandidate, ...]
    method: str
    chosen: int | None
    reason: str
    stopped: bool = False
    error: str | None = None
    seconds: float = 0.0


class ThinkLonger:
    """Runs think longer with a chat service's engine, store and settings."""

    def __init__(
        self,
        chat: ChatService,
        runs: ThinkRunStore,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chat = chat
        self.runs = runs
        self._clock = clock

    def raised_effort(self, conversation_id: int) -> ChatOptions | None:
        """The options that make a reasoning model think harder, or None when its
        template has no such switch left to raise."""
        info = self.chat.engine.info
        if info is None:
            return None
        switches = self.chat.template_switches(conversation_id)
        if info.supports_effort:
            current = switches.get("reasoning_effort") or "medium"
            at = EFFORTS.index(current) if current in EFFORTS else 1
            return ChatOptions(thinking=True, effort=EFFORTS[min(at + 1, len(EFFORTS) - 1)])
        thinking = switches.get("enable_thinking", info.thinking_default)
        if info.supports_thinking_toggle and not thinking:
            return ChatOptions(thinking=True)
        return None

    def run(
        self,
        reply_id: int,
        count: int = DEFAULT_CANDIDATES,
        *,
        budget_s: float = DEFAULT_BUDGET_S,
        callbacks: ThinkCallbacks | None = None,
        control: ReplyControl | None = None,
        use_effort: bool = True,
        options: ChatOptions | None = None,
    ) -> ThinkResult:
        """Think longer about the reply ``reply_id``; see the module's docstring.

        ``options``: this run's instructions and reply length, as the reply had them
        (the command line's ``--system`` and ``--max-tokens``)."""
        callbacks = callbacks or ThinkCallbacks()
        control = control or self.chat.begin_reply()
        conversations = self.chat.conversations
        reply = conversations.get_message(reply_id)
        if reply.role != "assistant" or reply.parent_id is None:
            raise ValueError("only a reply can be thought about longer")
        if not 1 <= count <= MAX_CANDIDATES:
            raise ValueError(f"think longer samples 1 to {MAX_CANDIDATES} candidates, not {count}")
        if budget_s <= 0:
            raise ValueError("the time budget must be more than 0 seconds")
        started = self._clock()
        raised = self.raised_effort(reply.conversation_id) if use_effort else None
        if raised is not None:
            if options is not None:
                raised = replace(
                    raised, system_prompt=options.system_prompt, max_tokens=options.max_tokens
                )
            return self._with_effort(reply, raised, callbacks, control, started)
        return self._sample(reply, count, budget_s, callbacks, control, started, options)

    # Raised effort ---------------------------------------------------------------------

    def _with_effort(
        self,
        reply: Message,
        options: ChatOptions,
        callbacks: ThinkCallbacks,
        control: ReplyControl,
        started: float,
    ) -> ThinkResult:
        run_id = self.runs.start(reply.id)
        result = self.chat.regenerate(reply.id, callbacks.reply, options=options, control=control)
        stopped = control.stopped or result.message.status == "stopped"
        if options.effort:
            reason = f"Asked again with the thinking effort raised to {options.effort}."
        else:
            reason = "Asked again with thinking switched on."
        self.runs.finish(
            run_id, message_id=result.message.id, method="effort", chosen=None, reason=reason
        )
        return ThinkResult(
            run_id,
            result.message,
            (),
            "effort",
            None,
            reason,
            stopped=stopped,
            error=result.error,
            seconds=self._clock() - started,
        )

    # Candidates ----------------------------------------------------------------------

    def _sample(
        self,
        reply: Message,
        count: int,
        budget_s: float,
        callbacks: ThinkCallbacks,
        control: ReplyControl,
        started: float,
        options: ChatOptions | None = None,
    ) -> ThinkResult:
        chat = self.chat
        parent = chat.conversations.get_message(reply.parent_id or 0)
        model = chat.model_name
        settings = chat.model_settings.get(model or "")
        system_prompt = settings.system_prompt
        base = sampling_from(settings)
        if options is not None and options.system_prompt is not None:
            system_prompt = options.system_prompt
        if options is not None and options.max_tokens is not None:
            base = replace(base, max_tokens=options.max_tokens)
        messages = prompt_messages(system_prompt, self._history(parent))
        switches = chat.template_switches(reply.conversation_id)
        scheduler = Scheduler.of(chat.engine)
        run_id = self.runs.start(reply.id)
        deadline = started + budget_s
        done: list[StoredCandidate] = []
        kept: list[tuple[StoredCandidate, str, GenerationStats]] = []
        heats = temperatures(base.temperature, count)

        def result(**fields: Any) -> ThinkResult:
            values: dict[str, Any] = {
                "run_id": run_id,
                "message": None,
                "candidates": tuple(done),
                "method": "",
                "chosen": None,
                "reason": "",
                "seconds": self._clock() - started,
            }
            values.update(fields)
            return ThinkResult(**values)

        for position, temperature in enumerate(heats, start=1):
            if control.stopped:
                break
            if kept and self._clock() >= deadline:
                break  # the budget is spent: choose among those there are
            callbacks.on_candidate(position, count, temperature)
            seed = None if base.seed is None else base.seed + position - 1
            sampling = replace(base, temperature=temperature, seed=seed)
            ticket = control.new_ticket()
            parts: list[str] = []
            thoughts: list[str] = []
            over_budget = False

            def on_text(text: str, position: int = position, parts: list[str] = parts) -> None:
                nonlocal over_budget
                parts.append(text)
                callbacks.on_text(position, text)
                if kept and self._clock() >= deadline and not over_budget:
                    over_budget = True
                    ticket.cancel()  # noqa: B023 - this candidate's own ticket

            try:
                stats = scheduler.generate(
                    messages,
                    sampling,
                    on_text,
                    on_thinking=thoughts.append,
                    options=switches,
                    ticket=ticket,
                )
            except EngineError as error:
                if isinstance(error, EngineCrashed):
                    chat.engine.forget_crashed()
                self.runs.finish(run_id, message_id=None, method="", chosen=None, reason=str(error))
                return result(error=str(error))
            cut = stats.finish_reason == "cancelled"
            status = "stopped" if cut and control.stopped else "over_budget" if cut else "complete"
            candidate = StoredCandidate(
                position,
                "".join(parts).strip(),
                temperature,
                stats.completion_tokens,
                stats.prompt_eval_tokens,
                stats.total_ms,
                status,
            )
            self.runs.add_candidate(run_id, candidate)
            done.append(candidate)
            callbacks.on_candidate_done(candidate)
            if status == "complete" and candidate.content:
                kept.append((candidate, "".join(thoughts), stats))
        if control.stopped:
            reason = f"Stopped after {len(kept)} of {count} candidates; the reply is unchanged."
            self.runs.finish(run_id, message_id=None, method="", chosen=None, reason=reason)
            return result(stopped=True, reason=reason)
        if not kept:
            reason = "No candidate finished within the time budget."
            self.runs.finish(run_id, message_id=None, method="", chosen=None, reason=reason)
            return result(error=reason, reason=reason)
        try:
            method, index, reason = self._choose(parent.content, kept, switches, control, callbacks)
        except EngineError as error:
            if isinstance(error, EngineCrashed):
                chat.engine.forget_crashed()
            self.runs.finish(run_id, message_id=None, method="", chosen=None, reason=str(error))
            return result(error=str(error))
        if control.stopped:
            reason = "Stopped while choosing; the reply is unchanged."
            self.runs.finish(run_id, message_id=None, method="", chosen=None, reason=reason)
            return result(stopped=True, reason=reason)
        chosen, thinking, stats = kept[index]
        if len(kept) < count:
            reason += f" ({len(kept)} of {count} candidates finished within the time budget.)"
        message = self._store_version(reply, parent, chosen, thinking, stats, model)
        self.runs.finish(
            run_id, message_id=message.id, method=method, chosen=chosen.position, reason=reason
        )
        return result(message=message, method=method, chosen=chosen.position, reason=reason)

    def _history(self, parent: Message) -> list[Message]:
        chain = [parent]
        while chain[-1].parent_id is not None:
            chain.append(self.chat.conversations.get_message(chain[-1].parent_id))
        return list(reversed(chain))

    def _choose(
        self,
        question: str,
        kept: list[tuple[StoredCandidate, str, GenerationStats]],
        switches: dict[str, Any],
        control: ReplyControl,
        callbacks: ThinkCallbacks,
    ) -> tuple[str, int, str]:
        """(method, index into ``kept``, reason)."""
        answers = [candidate.content for candidate, _thinking, _stats in kept]
        if len(answers) == 1:
            return "single", 0, "Only one candidate: kept as it is."
        vote = majority(answers, question)
        if vote.chosen is not None:
            return "vote", vote.chosen, vote.reason
        callbacks.on_judging()
        ticket = control.new_ticket()
        reply: list[str] = []
        Scheduler.of(self.chat.engine).generate(
            judge_messages(question, answers),
            JUDGE_SAMPLING,
            reply.append,
            options={k: v for k, v in switches.items() if k != "tools"},
            ticket=ticket,
        )
        verdict = read_judgement("".join(reply), len(answers))
        if verdict.chosen is None:
            said = f" (it said: “{verdict.reason}”)" if verdict.reason else ""
            agreeing = answer_matching("".join(reply), answers, question)
            if agreeing is not None:
                number = kept[agreeing][0].position
                reason = (
                    f"The model named no candidate when judging{said}, but candidate "
                    f"{number} gives the answer it named."
                )
                return "judge", agreeing, reason
            reason = f"The model named no candidate when judging{said}; the first was kept."
            return "first", 0, reason
        number = kept[verdict.chosen][0].position
        reason = f"The model judged candidate {number} best: {verdict.reason or 'no reason given'}"
        return "judge", verdict.chosen, reason

    def _store_version(
        self,
        reply: Message,
        parent: Message,
        chosen: StoredCandidate,
        thinking: str,
        stats: GenerationStats,
        model: str | None,
    ) -> Message:
        store = self.chat.conversations
        message = store.add_message(
            reply.conversation_id, parent.id, "assistant", chosen.content, model=model
        )
        store.update_message(
            message.id,
            reasoning=thinking,
            prompt_tokens=stats.prompt_tokens,
            completion_tokens=stats.completion_tokens,
            ttft_ms=stats.ttft_ms,
            tokens_per_s=stats.tokens_per_s,
        )
        return store.get_message(message.id)
