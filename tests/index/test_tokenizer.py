from __future__ import annotations

from papersift.index.lexical.tokenizer import Tokenizer, TokenizerSettings


def test_lowercases_splits_unicode_drops_stopwords_and_stems() -> None:
    tokens = Tokenizer().tokenize(
        "The Transformers are attending to Long-Context inputs; Schrödinger's équations"
    )
    assert tokens == [
        "transform",
        "attend",
        "long",
        "context",
        "input",
        "schrödinger",
        "s",
        "équation",
    ]


def test_query_and_document_share_terms() -> None:
    tokenizer = Tokenizer()
    assert set(tokenizer.tokenize("sparse attention")) <= set(
        tokenizer.tokenize("We study sparsely attended... no: Sparse Attentions for long inputs")
    )


def test_settings_switch_off_stemming_and_stopwords() -> None:
    tokenizer = Tokenizer(TokenizerSettings(stopwords="none", stemmer="none"))
    assert tokenizer.tokenize("The running dogs") == ["the", "running", "dogs"]


def test_words_give_spans_of_original_text() -> None:
    text = "Graph Networks, graphs!"
    spans = Tokenizer().words(text)
    assert [(term, text[start:end]) for term, start, end in spans] == [
        ("graph", "Graph"),
        ("network", "Networks"),
        ("graph", "graphs"),
    ]


def test_find_equals_filtering_all_words_on_real_abstracts() -> None:
    from tests.helpers.data import demo_records

    tokenizer = Tokenizer()
    for record in demo_records(120):
        text = str(record["abstract"])
        terms = set(tokenizer.tokenize(str(record["title"]))[:4]) | {"model", "learn"}
        expected = [span for span in tokenizer.words(text) if span[0] in terms]
        assert tokenizer.find(text, terms) == expected
    assert tokenizer.find("anything", set()) == []


def test_find_equals_filtering_all_words_on_awkward_text() -> None:
    tokenizer = Tokenizer()
    terms = {"model", "graph", "learn", "istanbul"}
    texts = [
        "Models:modeling,remodel graph_models GRAPHS learned learner",
        "İstanbul models graphs",  # İ lowercases to two characters: offsets must not shift
        "model",
        "xmodel model9 _model modèle Graph-based",
    ]
    for text in texts:
        expected = [span for span in tokenizer.words(text) if span[0] in terms]
        assert tokenizer.find(text, terms) == expected, text
    kept_case = Tokenizer(TokenizerSettings(lowercase=False, stemmer="none", stopwords="none"))
    text = "Graph graph GRAPH graphs"
    assert kept_case.find(text, {"graph"}) == [("graph", 6, 11)]
