"""How alike a few template strings are: TF-IDF cosine and average-linkage grouping.

The same arithmetic as scikit-learn's `TfidfVectorizer` (smoothed idf, l2 rows) and
`AgglomerativeClustering(linkage="average", metric="cosine", distance_threshold=…)`, for the
handful of templates a signature group or an incident holds. Loading scikit-learn for that
cost seconds of start-up; this costs microseconds.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import regex


def tfidf(docs: list[str], token_pattern: str, lowercase: bool = True) -> np.ndarray:
    """One l2-normalised TF-IDF row per document (smoothed idf); a zero row for a document
    without tokens. An empty matrix when no document has a token."""
    pattern = regex.compile(token_pattern)
    counts = [Counter(pattern.findall(d.lower() if lowercase else d)) for d in docs]
    vocab = sorted({t for c in counts for t in c})
    if not vocab:
        return np.zeros((len(docs), 0))
    index = {t: i for i, t in enumerate(vocab)}
    matrix = np.zeros((len(docs), len(vocab)))
    for row, c in enumerate(counts):
        for token, n in c.items():
            matrix[row, index[token]] = n
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(docs)) / (1 + df)) + 1
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def cosine(a: list[str], b: list[str], token_pattern: str) -> float:
    """Cosine similarity of the TF-IDF vectors of two documents (each a list of strings)."""
    rows = tfidf([" ".join(a), " ".join(b)], token_pattern, lowercase=True)
    return float(rows[0] @ rows[1]) if rows.shape[1] else 0.0


def average_linkage(rows: np.ndarray, threshold: float) -> list[int]:
    """A group label per row: rows are merged, closest groups first, while the average cosine
    distance between two groups is below `threshold`. A zero row stays alone."""
    n = len(rows)
    zero = ~rows.any(axis=1) if rows.size else np.ones(n, dtype=bool)
    dist = 1.0 - rows @ rows.T if rows.size else np.ones((n, n))
    dist[zero, :] = math.inf
    dist[:, zero] = math.inf
    np.fill_diagonal(dist, math.inf)
    sizes = np.ones(n)
    label = list(range(n))
    alive = np.ones(n, dtype=bool)
    while True:
        flat = int(np.argmin(dist))
        i, j = divmod(flat, n)
        if not dist[i, j] < threshold:
            break
        i, j = min(i, j), max(i, j)
        merged = (sizes[i] * dist[i] + sizes[j] * dist[j]) / (sizes[i] + sizes[j])
        dist[i, :] = merged
        dist[:, i] = merged
        dist[j, :] = math.inf
        dist[:, j] = math.inf
        dist[i, i] = math.inf
        dist[i, ~alive] = math.inf
        dist[~alive, i] = math.inf
        sizes[i] += sizes[j]
        alive[j] = False
        label = [i if g == j else g for g in label]
    return label
