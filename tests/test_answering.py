"""Cited answers: unit tests for the composer's parts, and the real pipeline on the dev set."""

from __future__ import annotations

import doctest
import re
import shutil

import pytest

import rag
import rag.answering as answering
import rag.recent
from rag.answering import (
    _antecedent,
    _mentioning,
    _missing_names,
    _name_phrases,
    _on_topic,
    _Sentence,
    _sentences,
    _short,
    _speaker,
    _topic_words,
    contextualize,
    user_turns,
)
from rag.errors import QueryError
from rag.evaluation import citation_problems, evaluate, has_fact, load_questions
from rag.types import Hit

from .conftest import ROOT, STARTER, write_article

DEV = ROOT / "tests" / "data" / "starter_dev.jsonl"


def test_doctests():
    for module in (answering, rag.chunking, rag.reading, rag.recent):
        assert doctest.testmod(module).failed == 0


# --- parts, no model ----------------------------------------------------------


def test_follow_ups_become_standalone_questions():
    prev = ["What did Rutte say about Ukraine?"]
    assert contextualize("And what about North Korea?", prev) == "What did Rutte say about North Korea?"
    assert contextualize("what about the Indo-Pacific", prev) == "What did Rutte say about the Indo-Pacific?"
    assert contextualize("Who was he with in Berlin?", prev) == "Who was Rutte with in Berlin?"
    assert contextualize("What did Scholz say?", prev) == "What did Scholz say?"  # a new subject stands alone
    assert contextualize("What did Rutte say?", []) == "What did Rutte say?"
    # Chains: the context is carried through every turn.
    assert contextualize("And about Taiwan?", ["What did Rutte say about Ukraine?", "What about North Korea?"]) == (
        "What did Rutte say about Taiwan?"
    )


def test_history_formats():
    assert user_turns(
        ["q1", ("q2", "a2"), {"role": "user", "content": "q3"}, {"role": "assistant", "content": "a3"}, ""]
    ) == ["q1", "q2", "q3"]
    assert user_turns(None) == []


def test_speaker_of_context_dependent_sentences():
    doc = (
        'Rutte noted that the agreements are "a bridge." He is "convinced that Ukraine will join."\n'
        "“Putin must not win,” he warned.\n"
        "Interviewer: What do you think?\n"
        "Dr. Carter: Absolutely. Allies are concerned about funding.\n"
    )
    he = doc.index("He is")
    assert _speaker(doc, he, doc[he : doc.index("\n")]) == "Rutte"
    warned = doc.index("“Putin")
    assert _speaker(doc, warned, "“Putin must not win,” he warned.") == "Rutte"
    allies = doc.index("Allies")
    assert _speaker(doc, allies, "Allies are concerned about funding.") == "Dr. Carter"
    # "He died ..." quotes nobody: it is not the words of whoever spoke last.
    died = doc.replace("“Putin must not win,” he warned.", "He died of cancer in 2012.")
    assert _speaker(died, died.index("He died"), "He died of cancer in 2012.") == ""
    # A sentence that names its own subject needs no speaker.
    assert _speaker(doc, 0, 'Rutte noted that the agreements are "a bridge."') == ""
    # "he" is no organisation: a Mr named after "Blackrock said" is the one who tweeted
    doc = (
        "Blackrock said Mr Osborne would provide perspectives on European politics. Mr Osborne was in the Commons "
        'to watch the Budget. After the event, he tweeted that "sound money" matters.'
    )
    tweet = doc.index("After the event")
    assert _speaker(doc, tweet, doc[tweet:]) == "Osborne"
    # ... while a person who said something stays the speaker ("Mark Rutte" is a first and last name)
    doc = 'Mark Rutte spoke. Rutte said it matters. Mr Stoltenberg listened. He is "convinced it will."'
    he = doc.index("He is")
    assert _speaker(doc, he, doc[he:]) == "Rutte"


def _read_in(doc: str, text: str, names: list[str]) -> _Sentence:
    """The sentence `text` of `doc` as the reader reads it for a question with `names`."""
    start = doc.index(text)
    s = _Sentence(Hit("d#0", "d", doc, 0, len(doc), 1.0, title="A headline"), 0, start, start + len(text), text)
    s.about = _antecedent(names, s, doc)
    return s


def test_an_opening_pronoun_is_read_as_the_question_s_name_before_it():
    doc = (
        "Colm Deely, 44, was originally convicted of murdering Deirdre McCarthy in March 2011. "
        "However, his conviction was overturned by the Court of Appeal last year. "
        "Deely spoke in court. The court was quiet. He said he did not mean it. The weather was cold. "
        "It rained. She was found on the beach."
    )
    names = _name_phrases("Why was Colm Deely's murder conviction overturned?")
    assert names == ["Colm Deely"]

    def sentence(text: str) -> _Sentence:
        return _read_in(doc, text, names)

    however = sentence("However, his conviction was overturned by the Court of Appeal last year.")
    assert however.read == "However, Colm Deely's conviction was overturned by the Court of Appeal last year."
    assert however.display == however.text  # what is shown and cited stays the article's own words
    assert sentence("He said he did not mean it.").read == "Colm Deely said he did not mean it."
    # (the name two sentences back: "... Paterno's victories ... The coach was never charged. He died ...")
    assert sentence("The weather was cold.").about == ""  # no pronoun: nothing to read
    # after sentences that do not name the question's person, a pronoun is left as it is
    assert sentence("She was found on the beach.").about == ""
    # someone else spoke in between: the pronoun is theirs ('"...," Early said. He did not say how')
    doc2 = 'Vanessa Marcotte was killed in August. "We are narrowing it down," Early said. He did not say how.'
    hit2 = Hit("e#0", "e", doc2, 0, len(doc2), 1.0, title="DNA profile")
    start = doc2.index("He did not")
    he = _Sentence(hit=hit2, rank=0, start=start, end=len(doc2), text=doc2[start:])
    assert _antecedent(_name_phrases("Who killed Vanessa Marcotte?"), he, doc2) == ""
    # three sentences back, and "For her," stands for the person herself
    doc3 = (
        "Katie Snooks, 28, says she has suffered with acne for 10 years. She's a YouTuber. "
        '"I tried five different antibiotics," she explains. For her, effective treatment came with Roaccutane.'
    )
    start = doc3.index("For her")
    her = _Sentence(hit=Hit("f#0", "f", doc3, 0, len(doc3), 1.0), rank=0, start=start, end=len(doc3), text=doc3[start:])
    her.about = _antecedent(_name_phrases("Which treatment worked for Katie Snooks's acne?"), her, doc3)
    assert her.read == "For Katie Snooks, effective treatment came with Roaccutane."


def test_an_opening_it_is_read_as_the_thing_named_last_before_it_and_only_in_a_sentence_naming_nothing_else():
    doc = (
        "Anwer Saleem has returned to Kolkata to revive his family's auction house, The Russell Exchange. "
        "It was bought from the British by his grandfather in 1940. "
        "It is unclear whether it makes a profit. "
        "It was followed by Sotheby's with 65.9 million bids."
    )
    names = _name_phrases("In what year did Anwer Saleem's grandfather buy The Russell Exchange?")

    def sentence(text: str) -> _Sentence:
        return _read_in(doc, text, names)

    # "It" is the auction house, named last, not Anwer Saleem, named first; a people ("British") is no other thing
    bought = sentence("It was bought from the British by his grandfather in 1940.")
    assert bought.read == "Russell Exchange was bought from the British by his grandfather in 1940."
    assert sentence("It is unclear whether it makes a profit.").about == ""  # "It is unclear": no thing
    assert sentence("It was followed by Sotheby's with 65.9 million bids.").about == ""  # others' figures


def test_initials_an_article_defines_are_read_as_the_name_the_question_spells_out():
    from rag.answering import _passing

    doc = (
        "Homes were destroyed, according to Justice and Empowerment Initiatives (JEI). "
        "Megan Chapman, co-director of JEI, said police used live bullets."
    )
    hit = Hit("d#0", "d", doc, 0, len(doc), 1.0)
    start = doc.index("Megan")
    s = _Sentence(hit=hit, rank=0, start=start, end=len(doc), text=doc[start:])
    _passing("Who is the co-director of Justice and Empowerment Initiatives?", "person", [s], {"d": doc})
    assert s.read == "Megan Chapman, co-director of Justice and Empowerment Initiatives, said police used live bullets."
    assert s.display == s.text  # shown and cited as the article writes it


def test_names_and_numbers_the_passages_never_mention():
    hits = [
        Hit(
            "d#0",
            "d",
            "Rutte met Scholz in Berlin on November 4, 2024. North Korean troops are in Russia.",
            0,
            10,
            1.0,
            title="NATO",
        )
    ]
    assert _missing_names("What did Macron say about Ukraine?", hits) == ["Macron", "Ukraine"]
    assert _missing_names("What did Rutte say about North Korea?", hits) == []
    assert _missing_names("How much aid did the U.S. send in 2023?", hits) == ["U.S", "2023"]
    assert _missing_names("What happened in 2024?", hits) == []


def test_has_fact_alternatives_and_quotes():
    assert has_fact("He said “Victory Plan” loudly", "victory plan|nothing")
    assert not has_fact("nothing here", "victory plan")


# --- the real pipeline ---------------------------------------------------------


def test_rutte_on_ukraine_cites_exact_quotes_from_both_articles(starter_index):
    a = rag.answer("What did Rutte say about Ukraine?", index_dir=starter_index)
    assert not a.refused
    assert citation_problems(a, starter_index) == []
    assert {c.source for c in a.citations} == {"Khaleej Times", "Time.news"}
    assert has_fact(a.text, "bridge to nato membership") and has_fact(a.text, "putin to triumph in ukraine")
    # Every sentence ends with its markers, and the context-dependent ones name their speaker.
    for sentence in re.split(r"(?<=\])\s+", a.text):
        assert re.search(r"(\[\d+\])+$", sentence)
    assert "(Rutte) He is" in a.text
    first = a.citations[0]
    assert first.n == 1 and first.title and first.published and first.quote in a.text


def test_same_fact_in_two_articles_is_said_once_and_cited_to_both(starter_index):
    a = rag.answer("Who did Rutte say NATO would work with after the election?", index_dir=starter_index)
    assert citation_problems(a, starter_index) == []
    corroborations = [c for c in a.citations if c.role == "corroboration"]
    assert corroborations, a.text
    for c in corroborations:
        primary = next(p for p in a.citations if f"[{p.n}][{c.n}]" in a.text)
        assert primary.source != c.source
        assert c.quote not in a.text  # said once, in the other article's words


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2024 election?",
        "What did Emmanuel Macron say about Ukraine?",
        "What did Rutte say about climate change?",
    ],
)
def test_what_the_articles_do_not_say_is_refused(starter_index, question):
    a = rag.answer(question, index_dir=starter_index)
    assert a.refused and a.citations == [] and "don't say" in a.text
    assert a.related and all(isinstance(h, Hit) for h in a.related)


def test_follow_up_uses_history(starter_index):
    first = rag.answer("What did Rutte say about Ukraine?", index_dir=starter_index)
    history = [("What did Rutte say about Ukraine?", first.text)]
    a = rag.answer("And what about North Korea?", history=history, index_dir=starter_index)
    assert a.query == "What did Rutte say about North Korea?"
    assert not a.refused and has_fact(a.text, "north korean troops|pyongyang")
    alone = rag.answer("And what about North Korea?", index_dir=starter_index)
    assert alone.query == "And what about North Korea?"


def test_filters_that_leave_no_article_say_so(starter_index):
    a = rag.answer("What did Rutte say about Ukraine?", index_dir=starter_index, filters={"since": "2030"})
    assert a.refused and a.text == "No article matches: since 2030." and a.citations == [] and a.related == []
    with pytest.raises(QueryError, match="not a date"):
        rag.answer("What did Rutte say about Ukraine?", index_dir=starter_index, filters={"since": "2024-13"})


def test_empty_question(starter_index):
    with pytest.raises(QueryError, match="empty"):
        rag.answer("  ", index_dir=starter_index)


def test_dev_set_quality(starter_index):
    """The starter dev set, held to the figures the composer reaches (see the issue notes)."""
    questions = load_questions(DEV)
    assert len(questions) >= 30 and sum(not q["answerable"] for q in questions) >= 8
    report = evaluate(questions, index_dir=starter_index, k=5)
    m = report.metrics
    bad = [(r["question"], r["citation_problems"]) for r in report.rows if r["citation_problems"]]
    assert not bad, bad
    assert m["citation_validity"] == 1.0
    assert m["hit@5"] == 1.0  # the passages answer() read, after its re-ranked second look
    assert m["first_pass_hit@5"] >= 0.92
    assert m["key_fact_recall"] >= 0.90
    assert m["refusal_recall"] >= 0.90
    assert m["false_refusals"] <= 1
    assert m["refusal_precision"] >= 0.90


def test_a_would_be_refusal_reads_a_reranked_deeper_list(starter_index):
    # Only a relative clause dates NATO ("established at the onset of the Cold War");
    # a plain retrieve() ranks that passage below the top 5, the re-ranked look finds it.
    question = "When was NATO founded?"
    assert not any(has_fact(h.text, "cold war") for h in rag.retrieve(question, k=5, index_dir=starter_index))
    a = rag.answer(question, index_dir=starter_index)
    assert any(has_fact(h.text, "cold war") for h in a.hits[:5])
    assert citation_problems(a, starter_index) == []


def test_interview_replies_are_read_with_the_question_they_answer(starter_index):
    # "Member states must engage in open dialogue" answers the interviewer's question
    # about unity; on its own the sentence never mentions unity.
    a = rag.answer("How can NATO members keep the alliance unified?", index_dir=starter_index)
    assert not a.refused and has_fact(a.text, "open dialogue")
    assert "Dr. Carter" in a.text and citation_problems(a, starter_index) == []  # who said it is shown


def test_instructions_inside_an_article_change_nothing(starter_index, tmp_path):
    from .conftest import injected_index

    index = injected_index(tmp_path)
    for q in [
        "What did Rutte say about Ukraine?",
        "Who won the 2024 election?",
        "What did Rutte say about North Korea?",
    ]:
        clean, injected = rag.answer(q, index_dir=starter_index), rag.answer(q, index_dir=index)
        assert "banana" not in injected.text.lower()
        assert (injected.text, injected.refused) == (clean.text, clean.refused)


def test_the_opening_sentences_of_a_best_article_are_read_beside_its_retrieved_passage():
    doc = (
        "ASTANA, March 16. The opposition will meet experts, the ministry's spokesman, Anuar Zhainakov, said. "
        "Delegations arrived on Tuesday evening. "
        + "Talks went on through the night and into the morning. " * 20
        + "The talks will continue tomorrow, he confirmed. The meeting began on March 14 in the capital."
    )
    start = doc.index("The talks will continue")
    passage = Hit("d#3", "d", doc[start:], start, len(doc), 1.0, title="Syria talks")
    texts = {"d": doc}
    read = [s.text for s in _sentences([passage], texts)]
    assert read[:2] == [
        "The opposition will meet experts, the ministry's spokesman, Anuar Zhainakov, said.",
        "Delegations arrived on Tuesday evening.",
    ]  # the lede first, then the sentence before the passage and the passage's own
    assert "The meeting began on March 14 in the capital." in read
    lower = Hit("e#3", "e", doc[start:], start, len(doc), 0.5, title="Syria talks")  # third-best: its passage only
    texts["e"] = doc
    rest = [s.text for s in _sentences([passage, passage, lower], texts) if s.hit is lower]
    assert not any("Zhainakov, said" in t for t in rest)


def test_a_question_asked_again_over_the_same_passages_is_not_read_again(tmp_path, monkeypatch):
    from rag.build import update_index
    from rag.corpus import load_corpus

    corpus = tmp_path / "corpus"
    shutil.copytree(STARTER, corpus)
    index = tmp_path / "index"
    update_index(load_corpus(corpus)[0], index)
    reads = []
    real = answering.extract
    monkeypatch.setattr(answering, "extract", lambda *a, **kw: reads.append(a[0].text) or real(*a, **kw))
    question = "What did Rutte say about Ukraine?"
    first = rag.answer(question, index_dir=index)
    assert rag.answer(question, index_dir=index) is first and reads == [question]  # composed once
    rag.answer(question, index_dir=index, filters={"since": "2030-01-01"})  # other passages (none): read
    assert len(reads) == 2
    # a new build of the index is read afresh, and its new article can answer
    write_article(corpus, "rutte-kyiv.txt", "Mark Rutte said in Kyiv that Ukraine will join NATO one day.")
    update_index(load_corpus(corpus)[0], index)
    again = rag.answer(question, index_dir=index)
    assert len(reads) == 3 and again is not first


def test_a_question_asked_again_is_not_embedded_again(monkeypatch):
    import numpy as np

    from rag.embedding import get_encoder

    encoder, calls = get_encoder(), []
    real = encoder.encode_queries
    monkeypatch.setattr(encoder, "encode_queries", lambda texts: calls.append(list(texts)) or real(texts))
    q = "What did Rutte say about Ukraine, asked twice?"
    v = encoder.encode_query(q)
    assert encoder.encode_query(q) is v and calls == [[q]]
    assert not v.flags.writeable and np.array_equal(v, real([q])[0])  # the vector a call of its own gives


def test_the_short_answer_is_a_figure_of_the_sentence_that_has_the_question_s_words():
    from rag.reading import typed

    q = "How much did Hong Kong's Hang Seng gain after the Fed's rate hike?"
    lead = (
        "The Shanghai Composite Index gained 0.8 percent to 3,268.94. "
        "Hong Kong's Hang Seng added 2.1 percent to 24,288.28."
    )  # one lead, two sentences: "gained" is nearest 3,268.94, but that is Shanghai's
    s = _Sentence(Hit("d#0", "d", lead, 0, len(lead), 1.0), 0, 0, len(lead), lead, kind="quantity")
    s.typed = typed(lead, "quantity", q)
    short, _ = _short(q, s)
    assert short.text == "2.1 percent"


def test_a_name_that_says_it_is_the_asked_thing_is_the_short_answer():
    from rag.reading import typed

    q = "Which group will Katie Walsh join after leaving the White House?"
    lead = (
        "She is now set to serve as a senior adviser to America First Policies, a nonprofit group helmed by former "
        "Trump campaign officials."
    )  # "Trump" is nearer the question's "White House"; the group calls itself one
    s = _Sentence(Hit("d#0", "d", lead, 0, len(lead), 1.0), 0, 0, len(lead), lead, kind="organisation")
    s.typed = typed(lead, "organisation", q)
    assert _short(q, s)[0].text == "America First Policies"
    q = "Which journal published the Johns Hopkins study?"
    lead = "Kenneth Feder of Johns Hopkins and his colleagues reported in the Journal of Adolescent Health."
    s = _Sentence(Hit("d#0", "d", lead, 0, len(lead), 1.0), 0, 0, len(lead), lead, kind="organisation")
    s.typed = typed(lead, "organisation", q)
    assert _short(q, s)[0].text == "Journal of Adolescent Health"  # whole: "of Adolescent Health" is no person


def test_by_how_much_a_thing_grew_is_the_figure_it_grew_by():
    from rag.reading import typed

    q = "How much did the Chinese SUV market grow in 2016?"
    lead = (
        "The Chinese SUV market surged by 45.7 percent to post nearly 9.2 million units in 2016, growing three "
        "times faster than the overall rate of expansion for passenger cars."
    )  # "three times" is nearer the question's "grow" ("growing"), but it compares
    s = _Sentence(Hit("d#0", "d", lead, 0, len(lead), 1.0), 0, 0, len(lead), lead, kind="quantity")
    s.typed = typed(lead, "quantity", q)
    assert _short(q, s)[0].text == "45.7 percent"


def test_when_will_is_not_answered_by_a_time_already_past_when_the_article_was_written():
    from rag.answering import _before
    from rag.reading import candidates

    s = "Trade fell by 40% in 2015 and 18% more last year; the code will be approved in 2018, or in the 2010s."
    dates = [c for c in candidates(s) if c.kind == "date"]
    assert [(c.text, _before(c, "2017-02-03")) for c in dates] == [
        ("2015", True),
        ("last year", True),
        ("2018", False),
        ("2010s", False),  # a decade that has not ended
    ]
    assert not _before(dates[0], "")  # an undated article: nothing is known to have passed


def test_the_short_answer_is_not_a_difference_or_a_conversion_beside_the_figure():
    from rag.reading import typed

    def short(q: str, text: str) -> str:
        s = _Sentence(Hit("d#0", "d", text, 0, len(text), 1.0), 0, 0, len(text), text, kind="quantity")
        s.typed = typed(text, "quantity", q)
        return _short(q, s)[0].text

    q = "How much tobacco will Zimbabwe produce this year?"
    s = "Zimbabwe will produce 205 million kilograms (450 million pounds) of tobacco this year, three million more."
    assert short(q, s) == "205 million kilograms"
    q = "How much foreign currency do the producers bring in a year?"
    assert short(q, "The foreign currency you produce is above $800 million (745 million euros) a year.") == (
        "above $800 million"
    )


def test_a_quote_s_own_brackets_are_not_citation_markers():
    from rag.evaluation import _cited_sentences

    text = 'It was said. [1] "It is necessary to arrest [Lee] in light of it," a court said. [2][1]'
    assert _cited_sentences(text) == {
        1: "It was said. ",
        2: ' "It is necessary to arrest [Lee] in light of it," a court said. ',
    }


def test_the_noun_an_about_hangs_on_is_part_of_the_topic_and_a_verb_of_asking_is_not():
    q = "What did Kremlin press secretary Dmitry Peskov call the allegations about Russian contacts with Trump aides?"
    assert "allegation" in _topic_words(q)  # "... has called the allegations "ridiculous"" is on topic
    assert _topic_words("What did Rutte say about Ukraine?") == {"ukraine"}
    assert _topic_words("What did May think about Brexit?") == {"brexit"}


def test_a_place_short_answer_is_where_it_happened_and_a_total_or_another_year_s_figure_is_passed_over():
    from rag.reading import typed

    def short(q, text, kind):
        s = _Sentence(Hit("d#0", "d", text, 0, len(text), 1.0), 0, 0, len(text), text, kind=kind)
        s.typed = typed(text, kind, q)
        return _short(q, s)[0].text

    q = "Where was Kim Jong Nam attacked?"
    assert (
        short(
            q, "Kim was at a desk for a flight to Macau when two women attacked him at a Kuala Lumpur airport.", "place"
        )
        == "Kuala Lumpur"
    )
    assert (
        short("Where did Walcott die?", "Walcott died in the eastern Caribbean island of St. Lucia.", "place")
        == "St. Lucia"
    )
    q = "How many seats did the VVD win?"
    assert short(q, "Mr Rutte's VVD Party won 33 of parliament's 150 seats.", "quantity") == "33"
    q = "How many accidental gun deaths were there in 2015?"
    assert (
        short(
            q, "The CDC shows a drop in accidental gun deaths from 586 in 2014 to 489 the following year.", "quantity"
        )
        == "489"
    )
    q = "What temperature did the town of Magnum hit on Feb. 11?"  # "11 of 99" is a date's day, not a total
    assert (
        short(
            q,
            "The town of Magnum hit an all-time record Feb. 11 of 99 degrees, more than 40 degrees above.",
            "quantity",
        )
        == "99"
    )
    q = "In which city is Royal Bank of Scotland based?"  # "the Edinburgh-based lender" is where it is
    text = (
        "The Edinburgh-based lender said it had been severely hit by litigation and conduct costs of almost 5.9 "
        "billion pounds, including over its role in the mis-selling of a UK insurance product."
    )  # "in the mis-selling of a UK ..." reads as where, but only Edinburgh is where the lender is based
    assert short(q, text, "place") == "Edinburgh"
    q = "Which constituency is Christina Rees the MP for?"  # as near "MP" as Workington, nearer her name
    text = "Ms Hayman, MP for Workington in West Cumbria, was promoted, while Ms Rees, MP for Neath, was a minister."
    assert short(q, text, "place") == "Neath"
    q = "How many Palestinians live in the Salfit district's towns and villages?"  # the number that counts them
    text = "An estimated 72,000 Palestinians live in the district's 18 towns and villages."
    assert short(q, text, "quantity") == "An estimated 72,000"
    q = "How many CETME automatic rifles were in the cache?"  # "rifles" after 9,000, not before 400
    text = "The cache included 9,000 CETME fully automatic rifles, anti-aircraft guns, 400 shells and grenades."
    assert short(q, text, "quantity") == "9,000"


def test_a_lead_that_only_describes_the_organisation_asked_about_follows_the_sentence_that_names_it():
    from rag.reading import typed

    doc = (
        "AARP, a group that advocates for senior citizens and other older Americans, shares her concern. "
        'The organization sent a letter to Congress yesterday saying the bill would "dramatically increase costs."'
    )
    q = "Which group sent a letter to Congress saying the health bill would dramatically increase costs?"
    hit = Hit("d#0", "d", doc, 0, len(doc), 1.0, title="First-time voter")
    start = doc.index("The organization")
    lead = _Sentence(hit=hit, rank=0, start=start, end=len(doc), text=doc[start:], kind="organisation")
    assert typed(lead.text, "organisation", q) == []  # the lead names no one
    first, second = answering._named_before(q, "organisation", [lead], doc)
    assert doc[first.start : first.end] == first.text and first.text.startswith("AARP, a group")
    assert second is lead and _short(q, first)[0].text == "AARP"
    other = "Congress met on Monday. " + doc[start:]  # the sentence before names nothing of the kind: no change
    lead2 = _Sentence(hit=hit, rank=0, start=24, end=len(other), text=other[24:], kind="organisation")
    assert answering._named_before(q, "organisation", [lead2], other) == [lead2]


def test_a_when_was_it_done_question_is_led_by_the_date_of_that_act():
    from rag.answering import _dated_act, _names_act

    act = _dated_act("When was the Russian Empire's ban on Latin-alphabet books in Lithuania lifted?")
    assert _names_act(act, "Smugglers carried volumes until the ban was lifted in 1904.")
    assert not _names_act(act, "In the 19th century the Russian Empire banned books printed in the Latin alphabet.")
    assert _dated_act("When did Rutte speak?") is None
    assert _dated_act("When is the next court date for the two women charged with Kim Jong-nam's murder?") is None


def test_a_light_verb_leaves_the_act_to_its_object():
    from rag.answering import _act_stems

    assert _act_stems("Who performed Megan Halvey Ryan's scoliosis surgery?") is None  # "her surgeon Pat Kiely"
    assert _act_stems("Who directed Disney's Beauty and the Beast?") == frozenset({"direct"})


def test_a_when_lead_dates_the_act_in_its_own_clause_and_near_it():
    from rag.reading import typed, when_act

    q = "When did Theresa May trigger Article 50?"
    act = when_act(q)

    def dates(text):
        s = _Sentence(Hit("d#0", "d", text, 0, len(text), 1.0), 0, 0, len(text), text, kind="date")
        s.typed = typed(text, "date", q)
        return answering._dates_act(act, s)

    assert dates("Mrs May, who will trigger Article 50 on Wednesday, told staff she wanted unity.")
    # the date of another clause: when the Council was told, and when Britain leaves
    assert not dates("Sir Tim Barrow informed the Council on Monday of the date that Article 50 would be triggered.")
    assert not dates(
        "Triggering Article 50 begins a two-year negotiation process to attempt to reach a deal before Britain "
        "officially leaves the EU in March 2019."
    )


def test_how_many_of_a_whole_is_answered_by_the_part():
    from rag.reading import typed

    q = "How many of Alibaba's engineers have PhDs?"
    text = "Alibaba currently employs more than 20,000 engineers, more than 500 of whom have PhDs."
    s = _Sentence(Hit("d#0", "d", text, 0, len(text), 1.0), 0, 0, len(text), text, kind="quantity")
    s.typed = typed(text, "quantity", q)
    assert _short(q, s)[0].text == "more than 500"
    assert _short("How many engineers does Alibaba employ?", s)[0].text == "more than 20,000"


def test_a_deeper_search_reads_the_articles_that_mention_a_name_the_passages_found_do_not():
    from rag.types import Filters

    class Store:  # the keyword search finds a passage that names it, and one that does not (BM25 ranks loosely)
        def candidates(self, query, vector, *, mode, depth, n, filters):
            assert mode == "lexical" and query == "Karada"
            return [
                Hit("a#3", "a", "a car bomb in the Karada district of Baghdad killed more than 200", 0, 60, 2.0),
                Hit("b#0", "b", "Another bomb struck a market in the capital", 0, 40, 1.0, title="Baghdad blasts"),
            ]

    assert _mentioning(["Karada"], Store(), Filters()) == Filters(doc_ids=("a",))
    assert _mentioning([], Store(), Filters(sources=("BBC",))) == Filters(sources=("BBC",))
    assert _mentioning(["2024"], Store(), Filters()) == Filters()  # a year narrows nothing (the store is not asked)


def test_a_month_and_day_months_before_the_article_is_past_for_a_when_will_question():
    from rag.answering import _before
    from rag.reading import Candidate

    def past(text: str, published: str) -> bool:
        return _before(Candidate("date", text, 0, len(text)), published)

    assert past("January 20", "2017-03-13")  # "allowed on January 20 a pre-judicial investigation"
    assert past("20 Jan", "2017-03-13")
    assert not past("March 29", "2017-03-13")  # later that month: to come
    assert not past("January 20", "2016-12-10")  # in a December article: next month
    assert not past("Friday", "2017-03-13") and past("in 2015", "2017-03-13")


def test_a_short_sentence_with_a_number_is_read_but_a_dateline_is_not():
    from rag.answering import _informative

    assert _informative("He was 44.")  # "Ruiz was executed shortly after midnight. He was 44."
    assert not _informative("MOSCOW, February 6. /TASS/.")
    assert not _informative("Read more here.")


def test_a_sentence_under_a_headline_on_the_topic_is_on_topic_unless_a_statement_is_asked_for():
    doc = 'Theresa Villiers told Al Jazeera: "I feel a sense of optimism." May spoke about trade.'
    title = "British government takes next steps towards Brexit"
    hit = Hit("d#0", "d", doc, 0, len(doc), 1.0, title=title)
    villiers = _Sentence(hit, 0, 0, 63, doc[:63])
    assert villiers.text.endswith('optimism."')
    q = "Which Conservative MP told Al Jazeera she felt a sense of optimism about Brexit?"
    assert _on_topic(q, "person", [villiers], {"d": doc}) == [villiers]
    # what someone said about a topic is said of it in the sentence itself
    assert _on_topic("What did Villiers say about Brexit?", "statement", [villiers], {"d": doc}) == []


def test_the_sentence_after_a_link_s_headline_is_read_and_the_link_is_not():
    doc = (
        "Trump spoke on Monday. READ MORE: Donald Trump doubles down on deportation plan It already looks like "
        "a low-intensity conflict zone, Smith says."
    )
    hit = Hit("d#0", "d", doc, 0, len(doc), 1.0, title="Deportations")
    read = [s.text for s in _sentences([hit], {"d": doc}, ledes=False)]
    assert "It already looks like a low-intensity conflict zone, Smith says." in read
    assert not any("READ MORE" in t for t in read)
