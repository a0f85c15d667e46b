"""Speaker clustering beyond MAX_CLUSTERED chunks: a sample is clustered and the rest join the nearest."""

import numpy as np

from evidence import diarize


def voices(rng, per_voice: int) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(size=(2, 256))
    truth = np.repeat([0, 1], per_voice)
    x = centres[truth] + 0.6 * rng.normal(size=(len(truth), 256))
    order = rng.permutation(len(truth))
    x, truth = x[order], truth[order]
    return x / np.linalg.norm(x, axis=1, keepdims=True), truth


def test_sampled_clustering_gives_the_direct_clusters(monkeypatch):
    x, truth = voices(np.random.default_rng(1), 150)
    direct = diarize.cluster(x, 2, 1.15)
    monkeypatch.setattr(diarize, "MAX_CLUSTERED", 40)
    sampled = diarize.cluster(x, 2, 1.15)
    assert len(set(direct.tolist())) == 2
    # The same partition, whatever numbers the clusters carry.
    same = (sampled == direct).all() or (sampled == 1 - direct).all()
    assert same and ((direct == truth).all() or (direct == 1 - truth).all())


def test_sampled_clustering_with_the_count_automatic(monkeypatch):
    x, truth = voices(np.random.default_rng(2), 150)
    monkeypatch.setattr(diarize, "MAX_CLUSTERED", 40)
    labels = diarize.cluster(x, None, 1.15)
    assert len(labels) == len(x)
    assert ((labels == truth).all() or (labels == 1 - truth).all())
