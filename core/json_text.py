"""JSON as the service answers clients: compact, with every character written as itself."""

import json
import re

#: UTF-16 halves: valid in a Python string, not writable as UTF-8
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(data: object) -> str:
    """``data`` as compact JSON, non-ASCII characters unescaped.

    Escaped, a character past U+FFFF took 12 bytes instead of its 4 in UTF-8: a page of
    letters in emoji three times its size. A lone surrogate (a provider may stream one)
    cannot be written as UTF-8, so a text holding one keeps the escapes, valid JSON still.
    """
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii() and _SURROGATE.search(text):
        return json.dumps(data, separators=(",", ":"))
    return text
