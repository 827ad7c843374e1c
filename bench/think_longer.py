"""Does thinking longer help? Accuracy and time on checkable questions at N = 1, 3 and 5.

48 questions of our own with one numeric answer each: arithmetic word problems and unit
conversions. For each question the model replies once (N = 1: the plain reply); then
think longer samples N candidates (N = 3, 5) and keeps one (majority vote on the final
number when a majority agrees, else the model judges), exactly as the window's button
does (``app.think.longer``; raised effort is off, so every model is measured the same
way). An answer is right when the last number it gives equals the expected one.

Reports, per N: accuracy, mean seconds per question (N = 1: the reply; N > 1: the think
longer run alone), how often the vote or the judge chose, and the prompt tokens the
later candidates evaluated (the KV cache of the shared prompt is reused, so about 1).

Runs on a private ``HEARTH_HOME``; ``--model`` takes any name or GGUF path Hearth can
load, so the same script measures larger models.

    nice -n 10 .venv/bin/python bench/think_longer.py --limit 12 --max-tokens 96
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.think.choose import number_key

# (question, expected answer). Written for this benchmark; every answer is a number.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Tom has 3 apples and buys 4 more. How many apples does he have?", "7"),
    ("A box holds 12 eggs. How many eggs are in 5 boxes?", "60"),
    ("Sara had 20 stickers and gave away 8. How many are left?", "12"),
    ("A bus carries 40 people. How many buses are needed for 120 people?", "3"),
    ("Pens cost 2 dollars each. How much do 9 pens cost, in dollars?", "18"),
    ("A train travels 60 km each hour. How far does it go in 4 hours, in km?", "240"),
    ("There are 7 days in a week. How many days are in 6 weeks?", "42"),
    ("Ann reads 15 pages a day. How many pages does she read in 10 days?", "150"),
    ("A pizza has 8 slices. 3 friends eat 2 slices each. How many slices are left?", "2"),
    ("Ben is 9 years old. His sister is twice his age. How old is his sister?", "18"),
    ("A shop sold 45 cakes on Monday and 38 on Tuesday. How many cakes in total?", "83"),
    ("100 sweets are shared equally by 4 children. How many does each child get?", "25"),
    ("A garden is 6 metres long and 5 metres wide. What is its area in square metres?", "30"),
    ("Lucy saves 7 dollars a week. How many dollars has she saved after 8 weeks?", "56"),
    ("A book costs 15 dollars. Mia pays with a 50 dollar note. How much change, in dollars?", "35"),
    ("There are 24 students and 4 tables, equally shared. How many students per table?", "6"),
    ("A farmer has 13 cows and buys 9 more, then sells 5. How many cows now?", "17"),
    ("A film starts at 2 pm and lasts 3 hours. At what hour (pm) does it end?", "5"),
    ("A rope 50 metres long is cut into 10 equal pieces. How long is each piece, in metres?", "5"),
    ("Jack scored 14, 11 and 20 points in three games. What was his total?", "45"),
    ("A car uses 6 litres of fuel per 100 km. How many litres for 300 km?", "18"),
    ("Each pack has 6 juice boxes. How many juice boxes are in 7 packs?", "42"),
    ("Half of 86 is what number?", "43"),
    ("What is 25 percent of 200?", "50"),
    ("Kim had 3 dozen pencils. How many pencils is that?", "36"),
    ("A class of 30 has 12 boys. How many girls are there?", "18"),
    ("How many centimetres are in 3 metres?", "300"),
    ("How many grams are in 2 kilograms?", "2000"),
    ("How many minutes are in 2 hours?", "120"),
    ("How many seconds are in 5 minutes?", "300"),
    ("How many millilitres are in 4 litres?", "4000"),
    ("How many metres are in 7 kilometres?", "7000"),
    ("How many hours are in 3 days?", "72"),
    ("How many millimetres are in 9 centimetres?", "90"),
    ("How many inches are in 4 feet?", "48"),
    ("How many feet are in 5 yards?", "15"),
    ("How many ounces are in 3 pounds?", "48"),
    ("How many days are in 4 weeks?", "28"),
    ("How many months are in 6 years?", "72"),
    ("How many centimetres are in 2.5 metres?", "250"),
    ("How many grams are in 0.5 kilograms?", "500"),
    ("How many minutes are in 1.5 hours?", "90"),
    ("How many metres are in 0.2 kilometres?", "200"),
    ("How many seconds are in 1 hour?", "3600"),
    ("Convert 1000 millilitres to litres.", "1"),
    ("Convert 600 centimetres to metres.", "6"),
    ("Convert 180 minutes to hours.", "3"),
    ("Convert 5000 grams to kilograms.", "5"),
)
INSTRUCTION = "Answer the question. End your answer with the final number."
COUNTS = (1, 3, 5)


@dataclass
class Tally:
    right: int = 0
    asked: int = 0
    seconds: list[float] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=dict)
    later_prompt_eval: list[int] = field(default_factory=list)

    def line(self, count: int) -> str:
        accuracy = self.right / self.asked if self.asked else 0.0
        mean = statistics.mean(self.seconds) if self.seconds else 0.0
        text = f"N={count}: {self.right}/{self.asked} right ({accuracy:.0%}), {mean:.1f} s/question"
        if self.methods:
            text += ", chosen by " + ", ".join(f"{k} {v}" for k, v in sorted(self.methods.items()))
        if self.later_prompt_eval:
            text += f", later candidates evaluated ≤{max(self.later_prompt_eval)} prompt tokens"
        return text


def correct(answer: str, expected: str) -> bool:
    return number_key(answer) == number_key(expected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="SmolLM2-135M-Instruct")
    parser.add_argument("--limit", type=int, default=len(QUESTIONS), help="first K questions")
    parser.add_argument(
        "--sample", type=int, help="K questions spread evenly over the list (both kinds)"
    )
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--counts", default=",".join(map(str, COUNTS)), help="e.g. 1,3,5")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per think longer")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    os.environ["HEARTH_HOME"] = tempfile.mkdtemp(prefix="hearth-think-bench-")

    from app.hearth import Hearth
    from app.store.think_runs import ThinkRunStore
    from app.think.longer import ThinkLonger

    hearth = Hearth.open()
    try:
        model = hearth.resolve_model(args.model)
        key = hearth.model_key(model.path)
        settings = hearth.model_settings.get(key)
        hearth.model_settings.save(
            replace(settings, max_tokens=args.max_tokens, system_prompt=INSTRUCTION)
        )
        info = hearth.engine.load(hearth.load_request(model))
        chosen = list(QUESTIONS[: args.limit])
        if args.sample:
            step = len(QUESTIONS) / args.sample
            chosen = [QUESTIONS[int(i * step)] for i in range(args.sample)]
        print(f"{model.name} on {info.backend}; {len(chosen)} questions", flush=True)
        thinker = ThinkLonger(hearth.chat, ThinkRunStore(hearth.database))
        tallies = {count: Tally() for count in counts}
        for question, expected in chosen:
            conversation = hearth.conversations.create_conversation(question[:40], key)
            began = time.monotonic()
            reply = hearth.chat.send(conversation.id, question)
            if 1 in tallies:
                tally = tallies[1]
                tally.asked += 1
                tally.right += correct(reply.message.content, expected)
                tally.seconds.append(time.monotonic() - began)
            marks = []
            for count in counts:
                if count == 1:
                    continue
                result = thinker.run(
                    reply.message.id, count, budget_s=args.budget, use_effort=False
                )
                tally = tallies[count]
                tally.asked += 1
                answer = result.message.content if result.message else ""
                ok = correct(answer, expected)
                tally.right += ok
                tally.seconds.append(result.seconds)
                tally.methods[result.method or "none"] = (
                    tally.methods.get(result.method or "none", 0) + 1
                )
                tally.later_prompt_eval += [
                    c.prompt_eval_tokens or 0 for c in result.candidates[1:]
                ]
                marks.append(f"N={count}:{'✓' if ok else '✗'}")
            first = "✓" if correct(reply.message.content, expected) else "✗"
            print(f"  {expected:>5}  N=1:{first} {' '.join(marks)}  {question}", flush=True)
        print()
        for count in counts:
            print(tallies[count].line(count))
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "model": model.name,
                        "questions": len(chosen),
                        "results": {
                            str(c): {
                                "right": t.right,
                                "asked": t.asked,
                                "mean_s": statistics.mean(t.seconds) if t.seconds else 0,
                                "methods": t.methods,
                            }
                            for c, t in tallies.items()
                        },
                    },
                    indent=2,
                )
            )
    finally:
        hearth.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
