"""A model's chunks made into text every database stores."""

from worker.storable import StorableText


def storable(*chunks: str) -> str:
    text = StorableText()
    return "".join(text(chunk) for chunk in chunks) + text.rest()


def test_plain_text_passes_unchanged() -> None:
    assert storable("Dear team, ", "I am glad \U0001f600 to ", "apply.") == (
        "Dear team, I am glad \U0001f600 to apply."
    )


def test_an_emoji_sent_as_two_halves_in_two_chunks_is_joined_again() -> None:
    assert storable("I am ", "\ud83d", "\ude00 glad") == "I am \U0001f600 glad"
    assert storable("\ud83d\ude00") == "\U0001f600"


def test_a_lone_half_becomes_the_replacement_character() -> None:
    assert storable("a\udc00b") == "a\ufffdb"
    assert storable("a\ud83d", "b") == "a\ufffdb"
    assert storable("the end\ud83d") == "the end\ufffd"


def test_nul_characters_are_dropped() -> None:
    assert storable("Dear\x00 team", "\x00") == "Dear team"
