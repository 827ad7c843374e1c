"""The embedding model in a process of its own, as chat models are (``app.engine``).

Run as ``python -m app.docs.embedder_host MODEL.gguf``: loads the GGUF with llama.cpp in
embedding mode (mean pooling, so decoder models such as the starter give one vector per
text too), then answers JSON lines on stdin, ``{"texts": [...]}``, with
``{"vectors": [[...], ...]}`` or ``{"error": "..."}`` on stdout. A crash inside
llama.cpp ends this process, never the window or the indexer.
"""

from __future__ import annotations

import json
import os
import sys

# Each text is cut to this many characters: a passage is at most ~1,400 (app.docs.chunking).
MAX_TEXT_CHARS = 2000
CONTEXT = 1024


def main(argv: list[str]) -> int:
    import llama_cpp

    model_path = argv[0]
    threads = max(1, min(4, (os.cpu_count() or 2) // 2))
    model = llama_cpp.Llama(
        model_path,
        embedding=True,
        pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
        n_ctx=CONTEXT,
        n_batch=CONTEXT,
        n_ubatch=CONTEXT,
        n_threads=threads,
        verbose=False,
    )
    out = sys.stdout
    out.write(json.dumps({"ready": model.n_embd()}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            texts = [str(text)[:MAX_TEXT_CHARS] or " " for text in json.loads(line)["texts"]]
            vectors = model.embed(texts, truncate=True)
            reply = {"vectors": vectors}
        except Exception as error:  # told to the caller, who says it in words
            reply = {"error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
