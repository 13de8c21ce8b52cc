"""A model's text as every database stores it.

A model (or a server in front of it) may stream a NUL character, or an emoji's two UTF-16
halves as separate escapes in separate chunks (``"\\ud83d"``, then ``"\\ude00"``): valid
JSON, but PostgreSQL refuses the NUL and neither database stores a lone half. The refused
flush failed the attempt, and the job was retried without end.
"""

import re

_SUSPECT = re.compile("[\x00\ud800-\udfff]")


class StorableText:
    """Chunks of one stream made storable: a surrogate pair split over two chunks joined
    again, a lone half replaced by U+FFFD, NUL characters dropped."""

    def __init__(self) -> None:
        self._high = ""  # a first half at a chunk's end, waiting for its second

    def __call__(self, chunk: str) -> str:
        text = self._high + chunk
        self._high = ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            self._high, text = text[-1], text[:-1]
        if not _SUSPECT.search(text):
            return text
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return joined.replace("\x00", "")

    def rest(self) -> str:
        """What is left when the stream ends: a first half whose second never came."""
        rest, self._high = self._high, ""
        return "\ufffd" if rest else ""
