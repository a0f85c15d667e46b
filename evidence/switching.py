"""The cheapest way through a sequence of frames, each frame in one of several states (an offset, or
"not there"), paying each frame's cost in its state and a fixed price for each change of state: the
Viterbi path that compare and align both take, each with its own costs and price."""

from __future__ import annotations

import numpy as np


def cheapest_path(cost: np.ndarray, switch_cost: float) -> np.ndarray:
    """The state (column of `cost`, frames × states) of each frame on the cheapest path."""
    n, k = cost.shape
    total = np.zeros(k)
    stayed = np.zeros((n, k), dtype=bool)
    came_from = np.zeros(n, dtype=np.int64)
    for t in range(n):
        best = int(np.argmin(total))
        switch = total[best] + switch_cost
        stayed[t] = total <= switch
        came_from[t] = best
        total = np.minimum(total, switch) + cost[t]
    path = np.empty(n, dtype=np.int64)
    state = int(np.argmin(total))
    for t in range(n - 1, -1, -1):
        path[t] = state
        if not stayed[t, state]:
            state = int(came_from[t])
    return path
