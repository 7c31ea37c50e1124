"""Fuzzy search over many capability phrases without scanning them all.

Brute force (`rapidfuzz.process.extract` with WRatio over every phrase) costs a full pass per request.
This index answers the same question from a vocabulary of distinct words instead:

1. each query word is compared (rapidfuzz) only with vocabulary words that share a character trigram
   with it — typos, plurals and words containing the query word all qualify;
2. the phrases holding those words are scored by how many query words they hold, weighted by rarity;
3. the best few hundred candidates are scored with WRatio, exactly as brute force would score them.

Phrases are processed with `rapidfuzz.utils.default_process`, the same way brute force processes them,
so the final scores are comparable one for one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from matching.growable import Growable

_MIN_WORD_SCORE = 75.0  # how close a vocabulary word must be to a query word to count
_MAX_SIMILAR_WORDS = 64  # per query word; the rest would add only rare, weak candidates
_MAX_SHORTLIST = 4000  # vocabulary words checked per query word, most trigrams shared first
_CANDIDATES = 384  # phrases re-scored with WRatio per query
_EXACT_BONUS = 3.0
_SHORTEST = 8  # shortest phrases of each of the closest words, always re-scored
_SHORTEST_WORDS = 12
_DENSE_SHARE = 8  # accumulate into a dense array once postings exceed 1/8 of the phrases


def _trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@dataclass(frozen=True)
class Hit:
    phrase_id: int
    score: float


class PhraseIndex:
    """An index over a list of phrases; phrase ids are positions in that list. Phrases can be added at the end and
    removed (left out of answers) without a rebuild."""

    def __init__(self, phrases: Sequence[str]) -> None:
        self._processed: list[str] = [default_process(p) for p in phrases]
        phrases_of: defaultdict[str, list[int]] = defaultdict(list)  # by word, in the order words first appear
        for phrase_id, text in enumerate(self._processed):
            for word in set(text.split()):
                phrases_of[word].append(phrase_id)
        vocab = {word: word_id for word_id, word in enumerate(phrases_of)}  # word ids in that order too
        postings = list(phrases_of.values())
        self._words: list[str] = list(vocab)
        self._word_ids = vocab
        # The same as arrays of Python strings: picking a few hundred by position is one numpy call.
        self._word_array = Growable(object, np.asarray(self._words, dtype=object))
        self._processed_array = Growable(object, np.asarray(self._processed, dtype=object))
        self._similar: dict[str, list[tuple[int, float]]] = {}
        lengths = np.asarray([len(t) for t in self._processed], dtype=np.int32)
        self._lengths = Growable(np.int32, lengths)
        # Each word's phrases, shortest first: WRatio favours short phrases, so the first few of every
        # similar word are always worth a look.
        self._postings: list[np.ndarray] = []
        for posting in postings:
            ids = np.asarray(posting, dtype=np.int32)
            self._postings.append(ids[np.argsort(lengths[ids], kind="stable")] if len(ids) > _SHORTEST else ids)
        grams: dict[str, list[int]] = {}
        for word_id, word in enumerate(self._words):
            for gram in _trigrams(word):
                grams.setdefault(gram, []).append(word_id)
        self._grams = {g: np.asarray(ids, dtype=np.int32) for g, ids in grams.items()}
        self._word_lengths = Growable(np.int32, [len(w) for w in self._words])
        # Prefer phrases whose length WRatio rewards: it scales a partial match down for long phrases.
        self._length_prior = Growable(np.float32, (1.0 / (1.0 + lengths.astype(np.float32) / 64.0)).astype(np.float32))
        self._alive = Growable(bool, np.ones(len(self._processed), dtype=bool))
        self._removed = 0

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_similar": {}}  # what requests looked up is theirs, not the index's

    def add(self, phrases: Sequence[str]) -> list[int]:
        """Index more phrases, in time proportional to them and to the postings of their words; their ids."""
        ids = []
        for phrase in phrases:
            text = default_process(phrase)
            phrase_id = len(self._processed)
            self._processed.append(text)
            self._processed_array.append(text)
            self._lengths.append(len(text))
            self._length_prior.append(np.float32(1.0 / (1.0 + np.float32(len(text)) / 64.0)))
            self._alive.append(True)
            for word in set(text.split()):
                word_id = self._word_ids.get(word)
                if word_id is None:
                    word_id = self._new_word(word)
                self._postings[word_id] = self._with_phrase(self._postings[word_id], phrase_id)
            ids.append(phrase_id)
        return ids

    def remove(self, phrase_ids: Iterable[int]) -> None:
        """Leave phrases out of every answer from now on (their ids are not reused)."""
        alive = self._alive.values
        for phrase_id in phrase_ids:
            if alive[phrase_id]:
                alive[phrase_id] = False
                self._removed += 1

    @property
    def removed(self) -> int:
        """How many indexed phrases no longer count: when many, a rebuild gives the memory back."""
        return self._removed

    def _new_word(self, word: str) -> int:
        word_id = len(self._words)
        self._words.append(word)
        self._word_ids[word] = word_id
        self._word_array.append(word)
        self._word_lengths.append(len(word))
        self._postings.append(np.zeros(0, dtype=np.int32))
        for gram in _trigrams(word):
            known = self._grams.get(gram)
            self._grams[gram] = np.asarray([word_id], dtype=np.int32) if known is None else np.append(known, word_id)
        self._similar.clear()  # a new word may be close to words already looked up
        return word_id

    def _with_phrase(self, posting: np.ndarray, phrase_id: int) -> np.ndarray:
        if len(posting) < _SHORTEST:
            return np.append(posting, np.int32(phrase_id))
        # Keep the posting shortest first, as the build left it.
        lengths = self._lengths.values
        where = int(np.searchsorted(lengths[posting], lengths[phrase_id], side="right"))
        return np.insert(posting, where, np.int32(phrase_id))

    def _idf(self, word_id: int) -> float:
        return float(np.float32(math.log(1 + max(len(self._processed), 1) / len(self._postings[word_id]))))

    def __len__(self) -> int:
        return len(self._processed)

    @property
    def processed(self) -> list[str]:
        """The phrases as `rapidfuzz.utils.default_process` leaves them, by phrase id."""
        return self._processed

    @property
    def vocabulary_size(self) -> int:
        return len(self._words)

    def _similar_words(self, word: str) -> list[tuple[int, float]]:
        """Vocabulary words close to `word`: (word id, similarity 0..1)."""
        known = self._similar.get(word)
        if known is None:
            known = self._similar_words_uncached(word)
            if len(self._similar) < 100_000:  # requests repeat their words; bound the memory anyway
                self._similar[word] = known
        return known

    def _similar_words_uncached(self, word: str) -> list[tuple[int, float]]:
        out: dict[int, float] = {}
        exact = self._word_ids.get(word)
        if exact is not None:
            out[exact] = 1.0
        grams = [self._grams[g] for g in _trigrams(word) if g in self._grams]
        if grams:
            counts = np.bincount(np.concatenate(grams), minlength=len(self._words))
            need = 1 if len(grams) <= 5 else math.ceil(len(grams) * 0.3)
            shortlist = np.flatnonzero(counts >= need)
            if len(shortlist) > _MAX_SHORTLIST:
                shortlist = shortlist[np.argsort(-counts[shortlist], kind="stable")[:_MAX_SHORTLIST]]
            if len(shortlist):
                choices = self._word_array.values[shortlist].tolist()
                scores = process.cdist([word], choices, scorer=fuzz.ratio, dtype=np.float32)[0]
                # A word inside a longer one ("mask" in "masks", "face" in "faceshield") is close too, as
                # WRatio's partial matching would find it.
                lengths = self._word_lengths.values[shortlist]
                fits = (np.minimum(lengths, len(word)) >= 3) & (
                    np.minimum(lengths, len(word)) >= 0.3 * np.maximum(lengths, len(word))
                )
                if fits.any():
                    partial = process.cdist([word], choices, scorer=fuzz.partial_ratio, dtype=np.float32)[0]
                    scores = np.where(fits, np.maximum(scores, partial * 0.95), scores)
                good = np.flatnonzero(scores >= _MIN_WORD_SCORE)
                if len(good) > _MAX_SIMILAR_WORDS:
                    good = good[np.argsort(-scores[good], kind="stable")[:_MAX_SIMILAR_WORDS]]
                for position in good:
                    word_id = int(shortlist[position])
                    out[word_id] = max(out.get(word_id, 0.0), float(scores[position]) / 100.0)
        return sorted(out.items(), key=lambda pair: -pair[1])

    def search(self, query: str, limit: int = 10, score_cutoff: float = 0.0) -> list[Hit]:
        """The `limit` phrases with the highest WRatio to `query`, best first."""
        processed = default_process(query)
        words = list(dict.fromkeys(processed.split()))
        if not words or not self._processed:
            return []
        id_parts: list[np.ndarray] = []
        word_weights: list[float] = []
        shortest: list[np.ndarray] = []
        for word in words:
            for rank, (word_id, similarity) in enumerate(self._similar_words(word)):
                posting = self._postings[word_id]
                id_parts.append(posting)
                if rank < _SHORTEST_WORDS:
                    shortest.append(posting[:_SHORTEST])
                # A phrase holding the very word outranks one holding a look-alike: WRatio's token-set
                # comparison gives the former a high score whatever else the phrase says.
                word_weights.append(self._idf(word_id) * (_EXACT_BONUS if similarity >= 1.0 else similarity**3))
        if not id_parts:
            return []
        ids = np.concatenate(id_parts)
        weights = np.repeat(np.asarray(word_weights, dtype=np.float32), [len(part) for part in id_parts])
        if len(ids) * _DENSE_SHARE > len(self._processed):
            totals = np.bincount(ids, weights=weights, minlength=len(self._processed)).astype(np.float32)
            candidates = np.flatnonzero(totals)
            scores = totals[candidates]
        else:
            candidates, inverse = np.unique(ids, return_inverse=True)
            scores = np.bincount(inverse, weights=weights).astype(np.float32)
        scores = scores * self._length_prior.values[candidates]
        if self._removed:
            alive = self._alive.values
            kept = alive[candidates]
            candidates, scores = candidates[kept], scores[kept]
            shortest = [part[alive[part]] for part in shortest]
            if not len(candidates):
                return []
        keep = max(_CANDIDATES, limit * 4)
        if len(candidates) > keep:
            top = np.argpartition(-scores, keep - 1)[:keep]
            candidates = np.union1d(candidates[top], np.concatenate(shortest))
        texts = self._processed_array.values[candidates].tolist()
        ranked = process.extract(
            processed, texts, scorer=fuzz.WRatio, processor=None, limit=limit, score_cutoff=score_cutoff
        )
        return [Hit(int(candidates[position]), float(score)) for _, score, position in ranked]
