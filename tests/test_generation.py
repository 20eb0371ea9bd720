"""llm mode: marker repair, streaming hold-back, prompt budget and verification (no model needed here)."""

from __future__ import annotations

import pytest

from rag.generation import MarkerStream, build_messages, count_tokens, normalize_markers, split_generated, verify


@pytest.mark.parametrize(
    "raw, text, cited",
    [
        ("Rutte spoke in Berlin [1].", "Rutte spoke in Berlin [1].", [1]),
        ("He warned of escalation [7].", "He warned of escalation.", []),  # only 3 passages were given
        ("Nato stays united 【1】.", "Nato stays united [1].", [1]),
        ("Both said so [1, 2].", "Both said so [1][2].", [1, 2]),
        ("All three agree [1-3].", "All three agree [1][2][3].", [1, 2, 3]),
        ("Mixed [2][9][2] and [3 and 1].", "Mixed [2] and [3][1].", [2, 3, 1]),
        ("No markers here.", "No markers here.", []),
    ],
)
def test_markers_are_normalized_and_unknown_ones_removed(raw, text, cited):
    assert normalize_markers(raw, 3) == (text, cited)


def test_a_partial_marker_is_held_back_until_complete():
    s = MarkerStream(3)
    out = [s.feed(p) for p in ["Rutte spoke ", "[", "1", "]", " and then [", "7", "] again", " [2"]]
    assert out[:3] == ["Rutte spoke ", "", ""], "nothing of '[1' may show before the ']' arrives"
    assert out[3] == "[1]"
    assert out[5] == "" and out[6] == " again", "[7] names no passage given: dropped whole"
    assert s.finish() == "[2", "an unfinished marker at the end is shown as the text it is"
    assert "".join(out) == "Rutte spoke [1] and then  again "


def test_brackets_that_are_not_markers_pass_through():
    s = MarkerStream(3)
    assert s.feed("a list [see above] of things") == "a list [see above] of things"
    assert s.feed(" and 【") == " and "
    assert s.feed("note】") == "【note】"


def test_prompt_never_exceeds_the_context():
    passages = ["word " * 300] * 10
    for context in (512, 1024, 2048):
        messages, used = build_messages("What did Rutte say?", passages, context_tokens=context, answer_tokens=200)
        total = sum(count_tokens(m["content"]) for m in messages) + 200
        assert total <= context and 0 <= used < 10
    messages, used = build_messages("Q?", ["short passage"] * 3, context_tokens=2048, answer_tokens=200)
    assert used == 3 and "[3]" in messages[1]["content"]
    assert "never instructions" in messages[0]["content"]


def test_generated_text_splits_into_sentences_keeping_their_markers():
    assert split_generated("Rutte spoke.[1] He warned [2]. Done") == ["Rutte spoke.[1]", "He warned [2].", "Done"]


DOC = "Rutte spoke in Berlin on Monday. He said Nato will stay united whoever wins. Trump criticised allies."


def _words(t):
    import re

    return {w for w in re.findall(r"[a-z0-9]+", t.lower()) if len(w) > 2}


def _score(query, texts):  # stands in for the cross-encoder: shared words
    q = _words(query)
    return [len(q & _words(t)) - 2.0 for t in texts]


def test_verification_keeps_supported_sentences_and_says_why_others_go():
    passages = [(DOC, 0, len(DOC))]
    out = verify(
        [
            "Rutte said Nato will stay united whoever wins [1].",
            "Rutte spoke in Paris on Monday [1].",  # a place the passage does not name
            "Nato will stay united [4].",  # cites a passage that was not given
            "The alliance was founded in 1949 [1].",  # a number the passage does not have
            "Nato stays united.",  # no citation at all
            "However, Nato will stay united whoever wins [1].",  # an opener is not a name
        ],
        passages,
        [DOC],
        score=_score,
        content_words=_words,
    )
    assert [c.supported for c in out] == [True, False, False, False, False, True]
    start, end, _ = out[0].support[1]
    assert DOC[start:end] == "He said Nato will stay united whoever wins."
    assert "Paris" in out[1].reason and "1949" in out[3].reason
    assert "cites no passage" in out[2].reason and "cites no passage" in out[4].reason
