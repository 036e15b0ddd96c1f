"""Theme suggestions from comments, on this server alone: TF-IDF over the words people
wrote (English stop words left out), then non-negative matrix factorisation (NMF) into a
few topics. Each topic's top terms give a proposed name; each comment goes to the topic
that weighs most in it. No model is downloaded and no text leaves the process.

Deterministic: NNDSVD initialisation and a fixed random_state give the same topics for
the same comments, so tests (and organisers) see stable suggestions."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

# scikit-learn (with numpy and scipy) is imported only where suggestions are computed,
# on a job worker: imported with the app it added ~150 MB to every web worker.
if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

RANDOM_STATE = 0
MAX_FEATURES = 5000  # the vocabulary: the most frequent terms are plenty for themes
MIN_THEMES, MAX_THEMES = 2, 12
TERMS_PER_THEME = 6
TERMS_IN_NAME = 3
MAX_ITER = 400


@dataclass
class Suggested:
    terms: list[str]
    indexes: list[int] = field(default_factory=list)  # of the comments given

    @property
    def name(self) -> str:
        return proposed_name(self.terms)


def proposed_name(terms: list[str]) -> str:
    """"Caseload, managers and training" from the top terms: a term whose words (or their
    singulars) are already in the name is left out, so a name says each thing once."""
    picked: list[str] = []
    used: set[str] = set()
    for term in terms:
        words = {word.removesuffix("s") for word in term.split()}
        if words & used:
            continue
        picked.append(term)
        used |= words
        if len(picked) == TERMS_IN_NAME:
            break
    if not picked:
        return "Suggested theme"
    text = picked[0] if len(picked) == 1 else ", ".join(picked[:-1]) + " and " + picked[-1]
    return text[:1].upper() + text[1:]


def themes_for(comment_count: int) -> int:
    """How many themes to suggest when the organiser leaves it to the server: about one
    per 40 comments, at least MIN_THEMES and at most MAX_THEMES."""
    return max(MIN_THEMES, min(MAX_THEMES, round(math.sqrt(comment_count / 6))))


def vectoriser() -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Words and two-word phrases that appear in at least two comments but not in most
    # of them; sublinear tf so one comment repeating a word does not make it a theme.
    return TfidfVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2, max_df=0.5,
                           max_features=MAX_FEATURES, sublinear_tf=True)


def suggest(texts: list[str], themes: int | None = None) -> list[Suggested]:
    """Suggested themes for these comments, largest first; each lists the indexes of the
    comments it found. Comments with none of the shared terms belong to no suggestion."""
    if len(texts) < 2:
        return []
    import numpy as np
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    wanted = themes or themes_for(len(texts))
    tfidf = vectoriser()
    try:
        matrix = tfidf.fit_transform(texts)
    except ValueError:  # nothing but stop words, or no term shared by two comments
        return []
    wanted = max(1, min(wanted, matrix.shape[0] - 1, matrix.shape[1]))
    model = NMF(n_components=wanted, init="nndsvd", random_state=RANDOM_STATE, max_iter=MAX_ITER)
    with warnings.catch_warnings():
        # Short of full convergence the topics are still the topics: a suggestion, not a figure.
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    terms = tfidf.get_feature_names_out()
    suggestions = [Suggested([str(term) for term in terms[np.argsort(component)[::-1][:TERMS_PER_THEME]]])
                   for component in model.components_]
    best = weights.argmax(axis=1)
    for index, (topic, weight) in enumerate(zip(best, weights.max(axis=1))):
        if weight > 0:
            suggestions[topic].indexes.append(index)
    found = [suggestion for suggestion in suggestions if suggestion.indexes]
    return sorted(found, key=lambda suggestion: (-len(suggestion.indexes), suggestion.name))
