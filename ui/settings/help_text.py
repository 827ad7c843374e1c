"""Plain-words explanations for each per-model setting, shown as tooltips in the dialog."""

from __future__ import annotations

SYSTEM_PROMPT = (
    "Told to the model at the start of every chat with it: who it should be, how it should "
    "answer, what it should keep in mind. Leave empty to use none."
)
TEMPERATURE = (
    "How adventurous the wording is. Low values (around 0.2) keep answers focused and "
    "predictable; high values (1.0 and up) make them more varied and creative, but also "
    "more likely to wander. 0 always picks the most likely next word."
)
TOP_P = (
    "Only consider the most likely next words whose chances add up to this share. "
    "0.95 drops the long tail of unlikely words; 1.0 turns this off."
)
TOP_K = (
    "Only consider this many of the most likely next words. Lower is safer and blander; "
    "0 turns this off."
)
MIN_P = (
    "Skip any word whose chance is less than this fraction of the best word's chance. "
    "0.05 removes unlikely words while keeping variety; 0 turns this off."
)
REPEAT_PENALTY = (
    "Discourages the model from repeating itself. 1.0 is off, 1.1 is a gentle nudge; much "
    "higher values can make the wording strange."
)
SEED = (
    "The starting point for the randomness. Leave empty for a different answer every time; "
    "enter a number to get the same answer again for the same question and settings."
)
MAX_TOKENS = (
    "The longest reply the model may write, in tokens (a token is about three quarters of a word)."
)
CONTEXT_LENGTH = (
    "How much of the conversation the model can keep in mind at once, in tokens. Longer "
    "needs more memory. \u201cModel default\u201d leaves the choice to Hearth. Changing it "
    "reloads the model."
)
GPU_LAYERS = (
    "How many of the model's layers run on the graphics card. \u201cAuto\u201d lets Hearth "
    "decide from the free memory; 0 runs everything on the processor; \u201cAll\u201d (999) "
    "puts every layer on the GPU. Changing it reloads the model."
)
CHAT_TEMPLATE = (
    "Advanced: a Jinja chat template to use instead of the one in the model file, for "
    "models whose template is missing or wrong. Leave empty to use the model's own. "
    "Changing it reloads the model."
)
THINKING = (
    "Whether the model thinks before it answers, for models whose chat template offers "
    "the switch. \u201cModel default\u201d leaves it to the model. Each chat can change it "
    "with the Think button by the message box."
)
EFFORT = (
    "How long the model thinks before answering, for models that offer it (such as "
    "gpt-oss): low is quicker, high is more careful. Each chat can change it by the "
    "message box."
)
GRAMMAR = (
    "Advanced: a grammar in llama.cpp's GBNF format that every reply must follow (for "
    "example, only JSON of a given shape). Leave empty for free text. A grammar the "
    "engine cannot read makes the reply fail with the reason."
)
NO_SYSTEM_ROLE = (
    "This model's template has no system role: your instructions are added to the top of "
    "your first message."
)
