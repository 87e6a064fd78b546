#!/usr/bin/env python3
"""Writes a long prompt for the long-context screenshots and benchmarks (docs/LONG-CONTEXT.md "In the GUI"):
the repository's LICENSE text repeated and cut at a token boundary so that it has exactly N tokens (BOS
included) under MODEL's tokenizer, as `attnscope-cli tokenize --json` counts them.

    python3 scripts/long_prompt.py build/app/attnscope-cli MODEL.gguf 7998 out.txt
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    cli, model, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    license_text = open(os.path.join(os.path.dirname(__file__), "..", "LICENSE"), "rb").read()
    text = license_text
    while True:
        with tempfile.NamedTemporaryFile(suffix=".txt") as f:
            f.write(text)
            f.flush()
            d = json.loads(subprocess.run([cli, "tokenize", model, "--text-file", f.name, "--json"],
                                          check=True, capture_output=True).stdout)
        if len(d["ids"]) >= n:
            break
        text += b"\n" + license_text
    end = d["byte_spans"][n - 1][1]
    open(out, "wb").write(text[:end])


if __name__ == "__main__":
    main()
